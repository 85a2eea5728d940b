/**
 * Every channel the hub ingests through a webhook adapter of its own. Adding one here makes the
 * compiler ask for its adapter in the registry (`libs/ingest/channels/registry`) and nowhere else.
 */
// One line, which `nx g @hub/tools:channel` extends in place.
// prettier-ignore
export const CHANNEL_IDS = ['sms', 'telegram', 'webchat', 'whatsapp', 'messenger', 'instagram', 'voice', 'survey', 'commerce', 'email'] as const;
/** A channel with a webhook adapter (an `ingest-<channel>` app): what the registry and `INGEST_CHANNEL` name. */
export type IngestChannelId = (typeof CHANNEL_IDS)[number];

/**
 * Channels that exist only through the generic API (`POST /v1/events`) and the raw topic: a
 * platform's own chat, say, which it sends as canonical events. No webhook adapter, no ingestion app;
 * recorded, projected and decided on like any other channel.
 */
export const API_CHANNEL_IDS = ['chat'] as const;
export type ApiChannelId = (typeof API_CHANNEL_IDS)[number];

/** Every channel an event may name: the webhook channels and the API-only ones. */
export type ChannelId = IngestChannelId | ApiChannelId;
export const ALL_CHANNEL_IDS: readonly ChannelId[] = [...CHANNEL_IDS, ...API_CHANNEL_IDS];

export function isChannelId(value: string): value is ChannelId {
  return (ALL_CHANNEL_IDS as readonly string[]).includes(value);
}

/** A channel with a webhook adapter (`CHANNEL_IDS`). */
export function isIngestChannelId(value: string): value is IngestChannelId {
  return (CHANNEL_IDS as readonly string[]).includes(value);
}
