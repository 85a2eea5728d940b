import { CHANNEL_IDS, type ChannelId } from '@hub/contracts';

/** At least one item (provider, test setup) per channel. */
export type AtLeastOne<T> = readonly [T, ...T[]];

/**
 * The type of a module of registrations (channels.ts, testing/setups.ts) whose exports are exactly
 * the ChannelIds: a missing one fails `satisfies Record<ChannelId, …>`, an extra one fails here,
 * with its name in the message.
 */
export type OnlyChannelIds<M> = [Exclude<keyof M, ChannelId>] extends [never]
  ? unknown
  : { 'export that is not a ChannelId': Exclude<keyof M, ChannelId> };

/**
 * One entry per ChannelId, in the order of CHANNEL_IDS (a module's exports come in name order),
 * each a list: a channel with one provider registers its definition itself.
 */
export function byChannel<T extends object>(registered: Record<ChannelId, T | AtLeastOne<T>>): Readonly<Record<ChannelId, AtLeastOne<T>>> {
  const list = (entry: T | AtLeastOne<T>): AtLeastOne<T> => (Array.isArray(entry) ? (entry as AtLeastOne<T>) : [entry as T]);
  return Object.fromEntries(CHANNEL_IDS.map((id) => [id, list(registered[id])])) as Record<ChannelId, AtLeastOne<T>>;
}
