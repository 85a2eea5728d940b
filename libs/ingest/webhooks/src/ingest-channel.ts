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
