import type { IdentityRef } from '@hub/contracts';
import { consentSignal } from '../consent/consent-keywords';
import type { CustomerEvent } from '../events/customer.events';
import type { CustomerState, RecentInteraction } from './customer.state';
import { initialCustomerState } from './customer.state';

const RECENT_LIMIT = 10;

/**
 * ISO 8601 instants compared as instants: `…T10:00:00Z` is before `…T10:00:00.500Z`, and
 * `…T12:30:00+02:00` is before `…T11:00:00Z`, though neither is as strings.
 */
const instant = (iso: string): number => Date.parse(iso);

const sameIdentity = (a: IdentityRef, b: IdentityRef): boolean =>
  a.kind === b.kind && a.value === b.value && a.namespace === b.namespace;

function withIdentity(list: IdentityRef[], identity: IdentityRef): IdentityRef[] {
  return list.some((i) => sameIdentity(i, identity)) ? list : [...list, identity];
}

/** Pure fold step: the customer after one more event. Never reads a clock. */
export function evolve(state: CustomerState, event: CustomerEvent): CustomerState {
  switch (event.type) {
    case 'CustomerRegistered':
      return {
        ...state,
        status: 'active',
        customerId: event.data.customerId,
        tenantId: event.data.tenantId,
        registeredAt: state.registeredAt ?? event.metadata.occurredAt,
        identities: withIdentity(state.identities, event.data.identity),
      };
    case 'InteractionRecorded': {
      const d = event.data;
      const at = event.metadata.occurredAt;
      const prev = state.engagement.byChannel[d.channel];
      const inbound = d.direction === 'inbound' ? 1 : 0;
      const recentEntry: RecentInteraction = {
        eventId: event.metadata.eventId,
        channel: d.channel,
        direction: d.direction,
        occurredAt: at,
        ...(d.content.text !== undefined ? { text: d.content.text } : {}),
      };
      // Late arrivals take their place by occurredAt, so "the last message" is the latest that happened.
      const recent = [...state.recent, recentEntry]
        .sort((a, b) => instant(a.occurredAt) - instant(b.occurredAt))
        .slice(-RECENT_LIMIT);
      const signal = d.direction === 'inbound' ? consentSignal(d.content.text) : undefined;
      const consent =
        signal === 'opt_out'
          ? { ...state.consent, [d.channel]: 'opted_out' as const }
          : signal === 'opt_in'
            ? { ...state.consent, [d.channel]: 'opted_in' as const }
            : state.consent;
      return {
        ...state,
        status: 'active',
        customerId: state.customerId ?? undefined,
        identities: d.identities.reduce(withIdentity, state.identities),
        engagement: {
          total: state.engagement.total + 1,
          inbound: state.engagement.inbound + inbound,
          byChannel: {
            ...state.engagement.byChannel,
            [d.channel]: prev
              ? {
                  count: prev.count + 1,
                  inbound: prev.inbound + inbound,
                  firstAt: instant(at) < instant(prev.firstAt) ? at : prev.firstAt,
                  lastAt: instant(at) > instant(prev.lastAt) ? at : prev.lastAt,
                }
              : { count: 1, inbound, firstAt: at, lastAt: at },
          },
        },
        recent,
        consent,
      };
    }
    case 'NextBestActionDecided': {
      const d = event.data;
      return {
        ...state,
        decisions: state.decisions + 1,
        lastDecision: {
          decisionId: d.decisionId,
          kind: d.action.kind,
          code: d.action.code,
          detail: d.action.detail,
          decidedAt: event.metadata.occurredAt,
          basedOnRevision: d.basedOnRevision,
          basedOnEventId: d.basedOnEventId,
          ruleId: d.explanation.ruleId,
          reason: d.explanation.reason,
        },
      };
    }
    default: {
      const exhaustive: never = event;
      return exhaustive;
    }
  }
}

export function foldCustomer(events: Iterable<CustomerEvent>, from: CustomerState = initialCustomerState()): CustomerState {
  let state = from;
  for (const e of events) state = evolve(state, e);
  return state;
}
