import type { ChannelId, Direction, IdentityRef } from '@hub/contracts';
import type { NbaActionKind } from '../events/customer.events';

export interface ChannelEngagement {
  count: number;
  inbound: number;
  firstAt: string;
  lastAt: string;
}

export interface RecentInteraction {
  eventId: string;
  channel: ChannelId;
  direction: Direction;
  occurredAt: string;
  text?: string;
}

export interface DecisionSummary {
  decisionId: string;
  kind: NbaActionKind;
  code: string;
  detail: string;
  decidedAt: string;
  basedOnRevision: string;
  basedOnEventId: string;
  ruleId: string;
  reason: string;
}

/** A customer as folded from their stream. Never stored: always rebuilt from the events. */
export interface CustomerState {
  status: 'unknown' | 'active';
  customerId?: string;
  tenantId?: string;
  registeredAt?: string;
  identities: IdentityRef[];
  engagement: { total: number; inbound: number; byChannel: Partial<Record<ChannelId, ChannelEngagement>> };
  /** The last ten interactions, newest last, by when they happened. */
  recent: RecentInteraction[];
  consent: Partial<Record<ChannelId, 'opted_in' | 'opted_out'>>;
  lastDecision?: DecisionSummary;
  decisions: number;
}

export const initialCustomerState = (): CustomerState => ({
  status: 'unknown',
  identities: [],
  engagement: { total: 0, inbound: 0, byChannel: {} },
  recent: [],
  consent: {},
  decisions: 0,
});
