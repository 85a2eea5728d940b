import type { ChannelId } from '@hub/contracts';
import { foldCustomer, type CustomerEvent, type NbaCandidate, type NbaOutcome, type NbaOutcomeRecorded } from '@hub/customer';
import { meta } from '@hub/customer/testing';
import type { Catalog } from '../catalog/catalog.types';
import { catalogV1 } from '../catalog/load-catalog';
import { decide, type Decision, type DecideInput } from '../engine/decide';
import { decidedEvent, decisionSeed, latestTrigger } from '../engine/decided-event';
import { contactHistoryFrom, type ContactHistory, type PastDecision } from '../history/contact-history';
import type { OutcomeTally } from '../learning/outcomes';

/**
 * Builders for decision specs: a customer is a list of events (oldest first, in stream order); the
 * decision answers the latest triggering event, with the history those events hold.
 */
export const TENANT = 'acme';
export const CUSTOMER = 'c-1';
/** Channels that are not (yet) in `CHANNEL_IDS` but that the catalog names. */
export const EMAIL = 'email' as ChannelId;
export const VOICE = 'voice' as ChannelId;
export const ENABLED: readonly ChannelId[] = ['sms', 'whatsapp', EMAIL];

/** `2025-03-<day>T<hh>:<mm>:00.000Z`. In March, Europe/Berlin is UTC+1. */
export const at = (day: number, hour = 12, minute = 0): string =>
  `2025-03-${String(day).padStart(2, '0')}T${String(hour).padStart(2, '0')}:${String(minute).padStart(2, '0')}:00.000Z`;

export interface DecideOptions {
  now?: string;
  seed?: number;
  catalog?: Catalog;
  outcomes?: OutcomeTally;
  trigger?: CustomerEvent;
  enabledChannels?: readonly ChannelId[];
  /** Earlier decisions beyond those in the events (e.g. made by another system). */
  extraDecisions?: PastDecision[];
}

export function inputAfter(events: readonly CustomerEvent[], o: DecideOptions = {}): DecideInput {
  const trigger = o.trigger ?? latestTrigger(events);
  if (!trigger) throw new Error('inputAfter: no triggering event in the history');
  const history: ContactHistory = contactHistoryFrom(events);
  return {
    tenantId: TENANT,
    customerId: CUSTOMER,
    state: foldCustomer(events),
    stateRevision: String(events.length - 1),
    trigger,
    catalog: o.catalog ?? catalogV1(),
    outcomes: o.outcomes ?? {},
    history: o.extraDecisions ? { ...history, decisions: [...history.decisions, ...o.extraDecisions] } : history,
    now: o.now ?? trigger.metadata.occurredAt,
    seed: o.seed ?? decisionSeed(TENANT, CUSTOMER, trigger.metadata.eventId),
    enabledChannels: o.enabledChannels ?? ENABLED,
  };
}

export const decideAfter = (events: readonly CustomerEvent[], o: DecideOptions = {}): Decision => decide(inputAfter(events, o));

/** The events after a decision was recorded: the history the next decision reads. */
export const withDecision = (events: readonly CustomerEvent[], decision: Decision): CustomerEvent[] => [
  ...events,
  decidedEvent(decision, 'corr'),
];

export function outcomeOf(decision: Decision, outcome: NbaOutcome, when: string): NbaOutcomeRecorded {
  return {
    type: 'NbaOutcomeRecorded',
    data: {
      decisionId: decision.decisionId,
      actionId: decision.chosen.actionId,
      outcome,
      segment: decision.segment,
      ...(decision.chosen.channel ? { channel: decision.chosen.channel } : {}),
      source: 'test',
    },
    metadata: meta(`${decision.decisionId}-${outcome}`, when),
  };
}

export function pastDecision(actionId: string, decidedAt: string, o: Partial<PastDecision> = {}): PastDecision {
  return {
    decisionId: `past-${actionId}-${decidedAt}`,
    actionId,
    kind: 'retention',
    channel: 'sms',
    contactMode: 'proactive',
    decidedAt,
    basedOnEventId: 'x',
    segment: null,
    ...o,
  };
}

export const candidate = (d: Decision, actionId: string): NbaCandidate => {
  const c = d.candidates.find((x) => x.actionId === actionId);
  if (!c) throw new Error(`no candidate ${actionId}`);
  return c;
};

export const channelVerdictOf = (d: Decision, actionId: string, channel: string) =>
  candidate(d, actionId).contact?.channels.find((c) => c.channel === channel);
