import { isTextSignal, type TextSignal } from '@hub/text-signals';
import { instant } from '../time/instant';
import type { CustomerState, TextSignalSeen } from './customer.state';

/**
 * The text signals after one more inbound message carrying `found`. Order-independent: a message
 * that arrives late counts, but only moves `lastAt` (and the interaction and conversation it
 * names) when it happened later; `firstAt` likewise. Unknown names (a newer detector's) are skipped.
 */
export function textSignalsAfter(
  signals: CustomerState['textSignals'],
  found: readonly string[],
  message: { at: string; eventId: string; conversation: string },
): CustomerState['textSignals'] {
  let next = signals;
  for (const signal of new Set(found)) {
    if (!isTextSignal(signal)) continue;
    const prev: TextSignalSeen | undefined = Object.prototype.hasOwnProperty.call(next, signal) ? next[signal as TextSignal] : undefined;
    const later = !prev || instant(message.at) >= instant(prev.lastAt);
    const seen: TextSignalSeen = prev
      ? {
          count: prev.count + 1,
          firstAt: instant(message.at) < instant(prev.firstAt) ? message.at : prev.firstAt,
          lastAt: later ? message.at : prev.lastAt,
          lastEventId: later ? message.eventId : prev.lastEventId,
          lastConversation: later ? message.conversation : prev.lastConversation,
        }
      : { count: 1, firstAt: message.at, lastAt: message.at, lastEventId: message.eventId, lastConversation: message.conversation };
    next = { ...next, [signal]: seen };
  }
  return next;
}
