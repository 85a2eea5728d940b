import { CHANNEL_IDS, isIngestChannelId, type IngestChannelId } from '@hub/contracts';
import { ConfigError } from '@hub/config';

/**
 * The channel a process of the ingestion app serves, from `INGEST_CHANNEL`. One program hosts every
 * channel (apps/ingest/webhooks); each deployment runs it for one channel, as the app
 * `ingest-<channel>`, so a new channel needs no app of its own.
 */
export function ingestChannelOf(env: NodeJS.ProcessEnv): IngestChannelId {
  const value = env['INGEST_CHANNEL']?.trim() ?? '';
  if (isIngestChannelId(value)) return value;
  const given = value === '' ? 'is not set' : `is "${value}"`;
  throw new ConfigError('ingest', [`INGEST_CHANNEL ${given}: it names the channel this process serves, one of ${CHANNEL_IDS.join(', ')}`]);
}

/**
 * The channels a process serves: `INGEST_CHANNEL=<channel>` (the default deployment: one process per
 * channel), or, for a small installation, `INGEST_CHANNELS=sms,whatsapp,…` — one process hosting
 * several, each still its own routes, body limits, signatures and counts (a deployment choice; the
 * code is the same). Not both.
 */
export function ingestChannelsOf(env: NodeJS.ProcessEnv): IngestChannelId[] {
  const list = env['INGEST_CHANNELS']?.trim();
  if (list === undefined || list === '') return [ingestChannelOf(env)];
  if ((env['INGEST_CHANNEL']?.trim() ?? '') !== '')
    throw new ConfigError('ingest', ['INGEST_CHANNEL and INGEST_CHANNELS are both set: set one (a channel, or a list of them)']);
  const names = list.split(',').map((c) => c.trim());
  const unknown = names.filter((c) => !isIngestChannelId(c));
  if (unknown.length > 0)
    throw new ConfigError('ingest', [
      `INGEST_CHANNELS names ${unknown.map((c) => `"${c}"`).join(', ')}: each must be one of ${CHANNEL_IDS.join(', ')}`,
    ]);
  return [...new Set(names as IngestChannelId[])];
}

/** The app's name in logs, metrics and its Kafka client id: `ingest-sms`, or `ingest-sms.whatsapp` for several. */
export const ingestAppName = (channels: readonly IngestChannelId[]): string => `ingest-${channels.join('.')}`;
