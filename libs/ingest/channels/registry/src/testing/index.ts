import type { IngestChannelId } from '@hub/contracts';
import type { ChannelTestSetup } from '@hub/channels-core/testing';
import { byChannel, type AtLeastOne, type OnlyIngestChannelIds } from '../registered';
import * as REGISTERED from './setups';

/**
 * Every provider's test setup, per channel, in the registry's order, from the one-line
 * registrations in setups.ts. Checked by the compiler like `CHANNELS`: a channel without its
 * setups does not compile, so the cross-channel integration test covers every provider.
 */
export const CHANNEL_TEST_SETUPS = byChannel<ChannelTestSetup<object>>(
  REGISTERED satisfies Record<IngestChannelId, ChannelTestSetup<object> | AtLeastOne<ChannelTestSetup<object>>> &
    OnlyIngestChannelIds<typeof REGISTERED>,
);
