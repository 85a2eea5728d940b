/**
 * Every channel the hub ingests. Adding one here makes the compiler ask for its adapter in the
 * registry (`libs/ingest/channels/registry`) and nowhere else.
 */
// One line, which `nx g @hub/tools:channel` extends in place.
// prettier-ignore
export const CHANNEL_IDS = ['sms', 'telegram', 'webchat', 'whatsapp', 'messenger', 'instagram', 'voice', 'survey', 'commerce', 'email'] as const;
export type ChannelId = (typeof CHANNEL_IDS)[number];

export function isChannelId(value: string): value is ChannelId {
  return (CHANNEL_IDS as readonly string[]).includes(value);
}
