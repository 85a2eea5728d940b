import type { IngestChannelId } from '@hub/contracts';
import type { ChannelDefinition } from '@hub/channels-core';
import * as REGISTERED from './channels';
import { byChannel, type AtLeastOne, type OnlyIngestChannelIds } from './registered';

/** At least one provider per channel. */
type Providers = AtLeastOne<ChannelDefinition<object>>;

/**
 * The one list of channels and the providers each ingestion app hosts, from the one-line
 * registrations in channels.ts. `satisfies` makes the compiler refuse a IngestChannelId without a line
 * (and a line that names no IngestChannelId); services look adapters up here and never switch on the
 * channel (STYLE.md #4).
 */
export const CHANNELS = byChannel<ChannelDefinition<object>>(
  REGISTERED satisfies Record<IngestChannelId, ChannelDefinition<object> | Providers> & OnlyIngestChannelIds<typeof REGISTERED>,
);

export function channelDefinitions(id: IngestChannelId): Providers {
  return CHANNELS[id];
}
