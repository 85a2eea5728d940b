import type { ChannelId } from '@hub/contracts';
import type { ChannelDefinition } from '@hub/channels-core';
import { smsChannel } from '@hub/channels-sms';

/**
 * The one list of channels. `satisfies` makes the compiler refuse a ChannelId without an entry;
 * services look adapters up here and never switch on the channel (STYLE.md #4).
 */
export const CHANNELS = {
  sms: smsChannel,
} satisfies Record<ChannelId, ChannelDefinition<object>>;

export function channelDefinition(id: ChannelId): ChannelDefinition<object> {
  return CHANNELS[id];
}
