import { CHANNEL_IDS, type IngestChannelId } from '@hub/contracts';

/** At least one item (provider, test setup) per channel. */
export type AtLeastOne<T> = readonly [T, ...T[]];

/**
 * The type of a module of registrations (channels.ts, testing/setups.ts) whose exports are exactly
 * the IngestChannelIds: a missing one fails `satisfies Record<IngestChannelId, …>`, an extra one fails here,
 * with its name in the message.
 */
export type OnlyIngestChannelIds<M> = [Exclude<keyof M, IngestChannelId>] extends [never]
  ? unknown
  : { 'export that is not an IngestChannelId': Exclude<keyof M, IngestChannelId> };

/**
 * One entry per IngestChannelId, in the order of CHANNEL_IDS (a module's exports come in name order),
 * each a list: a channel with one provider registers its definition itself.
 */
export function byChannel<T extends object>(
  registered: Record<IngestChannelId, T | AtLeastOne<T>>,
): Readonly<Record<IngestChannelId, AtLeastOne<T>>> {
  const list = (entry: T | AtLeastOne<T>): AtLeastOne<T> => (Array.isArray(entry) ? (entry as AtLeastOne<T>) : [entry as T]);
  return Object.fromEntries(CHANNEL_IDS.map((id) => [id, list(registered[id])])) as Record<IngestChannelId, AtLeastOne<T>>;
}
