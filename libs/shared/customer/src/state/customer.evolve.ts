import type { IdentityRef } from '@hub/contracts';
import { isTextSignal, type TextSignal } from '@hub/text-signals';
import { consentSignal } from '../consent/consent-keywords';
import type { CustomerEvent, InteractionRecorded } from '../events/customer.events';
import { instant } from '../time/instant';
import { withConsent } from './consent.evolve';
import { conversationAfterMessage, conversationAfterResolution } from './conversation.evolve';
import type { CustomerState, RecentInteraction } from './customer.state';
import { conversationKey, initialCustomerState } from './customer.state';
import { inboundWindowAfter, lastContactAt, preferredChannelOf } from './engagement.evolve';
import { hasIdentity, withIdentity } from './identities';
import {
  afterMergeProposalRejected,
  afterMergeProposed,
  mergedAfterMerge,
  restoredAfterUnmerge,
  survivorAfterMerge,
  survivorAfterUnmerge,
} from './merge.evolve';
import { own } from './own';
import { satisfactionAfter } from './satisfaction.evolve';
import { textSignalsAfter } from './text-signals.evolve';
import { valueAfterOrder, valueAfterRefund } from './value.evolve';
import { workItemsAfter } from '../work-items/work-items';

const RECENT_LIMIT = 10;

/**
 * The identities an interaction makes the customer's: those it named, less those another customer
 * held when it was recorded (`identitiesHeldByOthers`: merge evidence, claimed by someone else).
 * So the state lists what the identity claims give this customer, and a merge moves exactly those.
 */
function identitiesAfter(state: CustomerState, d: InteractionRecorded['data']): IdentityRef[] {
  const others = d.identitiesHeldByOthers ?? [];
  return d.identities.filter((i) => !hasIdentity(others, i)).reduce(withIdentity, state.identities);
}

/** A customer merged into another stays merged whatever else is recorded in their stream. */
const activeUnlessMerged = (state: CustomerState): CustomerState['status'] => (state.status === 'merged' ? 'merged' : 'active');

function recordInteraction(state: CustomerState, event: InteractionRecorded): CustomerState {
  const d = event.data;
  const at = event.metadata.occurredAt;
  // A delivery status is about a message we sent, not a contact: it must not become "the last
  // interaction", open a conversation or count as engagement. It still teaches us identities.
  if (d.kind === 'delivery') return { ...state, identities: identitiesAfter(state, d) };
  if (d.edits !== undefined) return recordEdit(state, event);
  const prev = state.engagement.byChannel[d.channel];
  const inbound = d.direction === 'inbound' ? 1 : 0;
  const recentEntry: RecentInteraction = {
    eventId: event.metadata.eventId,
    channel: d.channel,
    direction: d.direction,
    occurredAt: at,
    kind: d.kind,
    messageId: d.provider.messageId,
    ...(d.content.text !== undefined ? { text: d.content.text } : {}),
    ...(d.textSignals ? { signals: knownSignals(d.textSignals.found) } : {}),
  };
  // Late arrivals take their place by occurredAt, so "the last message" is the latest that happened.
  const recent = [...state.recent, recentEntry].sort((a, b) => instant(a.occurredAt) - instant(b.occurredAt)).slice(-RECENT_LIMIT);

  const byChannel = {
    ...state.engagement.byChannel,
    [d.channel]: prev
      ? {
          count: prev.count + 1,
          inbound: prev.inbound + inbound,
          firstAt: instant(at) < instant(prev.firstAt) ? at : prev.firstAt,
          lastAt: instant(at) > instant(prev.lastAt) ? at : prev.lastAt,
        }
      : { count: 1, inbound, firstAt: at, lastAt: at },
  };

  // Consent keywords: the channel stamps them on the event (`data.consent`), and the recorder adds a
  // ConsentChanged beside it (applied again below, idempotently). SMS recorded before the stamp
  // existed is read from its text, as it always was.
  const stamped = d.consent?.signal === 'help' ? undefined : d.consent?.signal;
  const signal =
    d.direction !== 'inbound' ? undefined : d.consent ? stamped : d.channel === 'sms' ? consentSignal(d.content.text) : undefined;
  const consent = signal
    ? withConsent(state, d.channel, {
        status: signal === 'opt_out' ? 'opted_out' : 'opted_in',
        at,
        source: 'keyword',
        eventId: event.metadata.eventId,
      })
    : { consent: state.consent, consents: state.consents };

  const key = conversationKey(d.channel, d.threadId);
  const conversation = conversationAfterMessage(own(state.conversations, key), d.channel, d.threadId, d.direction, at);

  const inboundWindow = inboundWindowAfter(
    state.inboundWindow,
    inbound ? { at, channel: d.channel, conversation: key } : undefined,
    lastContactAt(byChannel),
  );
  const preferredChannel = preferredChannelOf(inboundWindow);

  const next: CustomerState = {
    ...state,
    status: activeUnlessMerged(state),
    identities: identitiesAfter(state, d),
    engagement: { total: state.engagement.total + 1, inbound: state.engagement.inbound + inbound, byChannel },
    recent,
    ...consent,
    conversations: conversation ? { ...state.conversations, [key]: conversation } : state.conversations,
    inboundWindow,
    textSignals:
      d.direction === 'inbound' && d.textSignals
        ? textSignalsAfter(state.textSignals, d.textSignals.found, { at, eventId: event.metadata.eventId, conversation: key })
        : state.textSignals,
    lastInteractionEventId: event.metadata.eventId,
  };
  if (preferredChannel === undefined) delete next.preferredChannel;
  else next.preferredChannel = preferredChannel;
  return next;
}

const knownSignals = (found: readonly string[]): TextSignal[] => [...new Set(found)].filter(isTextSignal);

/**
 * An edit (`data.edits` names the provider id of the message it edits) is a new version of an
 * earlier message, not a new contact: it counts no engagement, opens no conversation, moves no
 * inbound window and is not the last interaction. The message, while among the recent ones, shows
 * the version that happened last (by `occurredAt`, whatever order the edits arrive in). The edited
 * words are heard: a text signal they carry that the message did not carry before counts once, as
 * of the edit (a signal the message already carried is not counted again; one the edit took out stays
 * counted — it was said). It teaches identities, as a delivery status does. An edit folded before its
 * original, or of a message no longer among the recent ones, changes no recent entry.
 */
function recordEdit(state: CustomerState, event: InteractionRecorded): CustomerState {
  const d = event.data;
  const at = event.metadata.occurredAt;
  const index = state.recent.findIndex((r) => r.channel === d.channel && r.messageId === d.edits);
  const target = state.recent[index];
  const found = d.textSignals ? knownSignals(d.textSignals.found) : undefined;
  let recent = state.recent;
  if (target && (target.editedAt === undefined || instant(at) >= instant(target.editedAt))) {
    const { text: _text, signals: _signals, ...rest } = target;
    const version: RecentInteraction = {
      ...rest,
      ...(d.content.text !== undefined ? { text: d.content.text } : {}),
      ...(found ? { signals: found } : {}),
      editedAt: at,
    };
    recent = state.recent.map((r, n) => (n === index ? version : r));
  }
  const heard = d.direction === 'inbound' && found ? found.filter((s) => !target?.signals?.includes(s)) : [];
  return {
    ...state,
    identities: identitiesAfter(state, d),
    recent,
    textSignals:
      heard.length > 0
        ? textSignalsAfter(state.textSignals, heard, {
            at,
            eventId: event.metadata.eventId,
            conversation: conversationKey(d.channel, d.threadId),
          })
        : state.textSignals,
  };
}

/** Pure fold step: the customer after one more event. Never reads a clock. */
export function evolve(state: CustomerState, event: CustomerEvent): CustomerState {
  switch (event.type) {
    case 'CustomerRegistered':
      return {
        ...state,
        status: activeUnlessMerged(state),
        customerId: event.data.customerId,
        tenantId: event.data.tenantId,
        registeredAt: state.registeredAt ?? event.metadata.occurredAt,
        identities: withIdentity(state.identities, event.data.identity),
      };
    case 'InteractionRecorded':
      return recordInteraction(state, event);
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
    case 'NbaOutcomeRecorded':
      // Outcomes teach the decision engine (posteriors, cooldowns), which reads them from the stream;
      // what the customer is, has and consented to does not change.
      return state;
    case 'ConsentChanged': {
      const d = event.data;
      return {
        ...state,
        ...withConsent(state, d.channel, {
          status: d.consent,
          at: event.metadata.occurredAt,
          source: d.source,
          eventId: event.metadata.eventId,
        }),
      };
    }
    case 'TraitsUpdated': {
      const at = event.metadata.occurredAt;
      let traits = state.traits;
      let traitsSetAt = state.traitsSetAt;
      for (const [key, value] of Object.entries(event.data.traits)) {
        const setAt = own(traitsSetAt, key);
        // Last write wins per key, by when it was written; a same-instant write recorded later wins.
        if (setAt !== undefined && instant(at) < instant(setAt)) continue;
        traits = { ...traits, [key]: value };
        traitsSetAt = { ...traitsSetAt, [key]: at };
      }
      return { ...state, traits, traitsSetAt };
    }
    case 'SurveyAnswered': {
      const d = event.data;
      return {
        ...state,
        satisfaction: satisfactionAfter(state.satisfaction, {
          survey: d.survey,
          score: d.score,
          at: event.metadata.occurredAt,
          eventId: event.metadata.eventId,
          ...(d.conversationId !== undefined ? { conversationId: d.conversationId } : {}),
        }),
      };
    }
    case 'OrderPlaced':
      return { ...state, value: valueAfterOrder(state.value, event.data, event.metadata.occurredAt) };
    case 'OrderRefunded':
      return { ...state, value: valueAfterRefund(state.value, event.data, event.metadata.occurredAt) };
    case 'ConversationResolved': {
      const d = event.data;
      const key = conversationKey(d.channel, d.threadId);
      return {
        ...state,
        conversations: {
          ...state.conversations,
          [key]: conversationAfterResolution(own(state.conversations, key), d.channel, d.threadId, event.metadata.occurredAt),
        },
      };
    }
    case 'CustomersMerged':
      return survivorAfterMerge(state, event);
    case 'CustomerMergedInto':
      return mergedAfterMerge(state, event);
    case 'CustomerUnmerged':
      return survivorAfterUnmerge(state, event);
    case 'CustomerRestored':
      return restoredAfterUnmerge(state, event);
    case 'MergeProposed':
      return afterMergeProposed(state, event);
    case 'MergeProposalRejected':
      return afterMergeProposalRejected(state, event);
    case 'CustomerErased':
      // What remains is the shape of the history, not the person: identities and traits go.
      return { ...state, status: 'erased', erasedAt: event.metadata.occurredAt, identities: [], traits: {}, traitsSetAt: {} };
    case 'WorkItemOpened':
    case 'WorkItemClaimed':
    case 'WorkItemReassigned':
    case 'WorkItemResolved':
      return { ...state, workItems: workItemsAfter(state.workItems, event) };
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
