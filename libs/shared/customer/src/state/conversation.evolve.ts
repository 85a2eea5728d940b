import type { ChannelId, Direction } from '@hub/contracts';
import { earliest, isAfter, latest } from '../time/instant';
import type { ConversationState } from './customer.state';

/**
 * Conversations, kept simple: one per (channel, thread). An inbound message opens it; a
 * `ConversationResolved` closes it; an inbound message later than the resolution reopens it. Open
 * means "the customer's latest message is later than the latest resolution", so the status comes
 * out the same whatever order late events arrive in. Outbound messages never open or close one.
 */
function statusOf(c: Pick<ConversationState, 'lastInboundAt' | 'resolvedAt'>): ConversationState['status'] {
  return c.lastInboundAt !== undefined && isAfter(c.lastInboundAt, c.resolvedAt) ? 'open' : 'resolved';
}

function fresh(channel: ChannelId, threadId: string | undefined): ConversationState {
  return { channel, ...(threadId !== undefined ? { threadId } : {}), status: 'resolved', inboundSinceOpened: 0 };
}

export function conversationAfterMessage(
  current: ConversationState | undefined,
  channel: ChannelId,
  threadId: string | undefined,
  direction: Direction,
  at: string,
): ConversationState | undefined {
  if (direction === 'outbound') {
    return current ? { ...current, lastOutboundAt: latest(current.lastOutboundAt, at) } : undefined;
  }
  const c = current ?? fresh(channel, threadId);
  const afterResolution = isAfter(at, c.resolvedAt);
  const lastInboundAt = latest(c.lastInboundAt, at);
  let openedAt = c.openedAt;
  let inboundSinceOpened = c.inboundSinceOpened;
  if (afterResolution) {
    if (c.status === 'open') {
      openedAt = earliest(openedAt, at);
      inboundSinceOpened += 1;
    } else {
      openedAt = at;
      inboundSinceOpened = 1;
    }
  }
  const next = { ...c, lastInboundAt, ...(openedAt !== undefined ? { openedAt } : {}), inboundSinceOpened };
  return { ...next, status: statusOf(next) };
}

export function conversationAfterResolution(
  current: ConversationState | undefined,
  channel: ChannelId,
  threadId: string | undefined,
  at: string,
): ConversationState {
  const c = current ?? fresh(channel, threadId);
  const next = { ...c, resolvedAt: latest(c.resolvedAt, at) };
  return { ...next, status: statusOf(next) };
}
