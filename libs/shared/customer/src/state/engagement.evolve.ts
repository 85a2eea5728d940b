import type { ChannelId } from '@hub/contracts';
import { DAY_MS, instant } from '../time/instant';
import type { ChannelEngagement, InboundContact } from './customer.state';

/** How far back (from the latest interaction) inbound contacts are kept for windowed measures. */
export const INBOUND_WINDOW_DAYS = 90;
/** A hard cap on the window, so one very chatty customer cannot grow the state without bound. */
export const INBOUND_WINDOW_LIMIT = 500;

/** The latest interaction of any channel. */
export function lastContactAt(byChannel: Partial<Record<ChannelId, ChannelEngagement>>): string | undefined {
  let last: string | undefined;
  for (const e of Object.values(byChannel)) if (e && (last === undefined || instant(e.lastAt) > instant(last))) last = e.lastAt;
  return last;
}

/**
 * The window after one more interaction: the new contact (if inbound) in time order, anything older
 * than 90 days before the latest interaction dropped. Since "the latest interaction" only moves
 * forward, the result is the same whatever order the events arrived in.
 */
export function inboundWindowAfter(
  window: InboundContact[],
  contact: InboundContact | undefined,
  latestAt: string | undefined,
): InboundContact[] {
  const from = latestAt === undefined ? -Infinity : instant(latestAt) - INBOUND_WINDOW_DAYS * DAY_MS;
  const all = contact ? [...window, contact] : window;
  return all
    .filter((c) => instant(c.at) >= from)
    .sort((a, b) => instant(a.at) - instant(b.at))
    .slice(-INBOUND_WINDOW_LIMIT);
}

/** Most inbound contacts in the window; a tie goes to the channel used most recently, then by name. */
export function preferredChannelOf(window: InboundContact[]): ChannelId | undefined {
  const tally = new Map<ChannelId, { count: number; last: number }>();
  for (const c of window) {
    const t = tally.get(c.channel) ?? { count: 0, last: -Infinity };
    tally.set(c.channel, { count: t.count + 1, last: Math.max(t.last, instant(c.at)) });
  }
  let best: { channel: ChannelId; count: number; last: number } | undefined;
  for (const [channel, t] of tally) {
    const better =
      !best || t.count > best.count || (t.count === best.count && (t.last > best.last || (t.last === best.last && channel < best.channel)));
    if (better) best = { channel, ...t };
  }
  return best?.channel;
}
