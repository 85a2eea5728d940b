import type { ChannelId } from '@hub/contracts';
import { consentKeyword, CURRENT_SCHEMA_VERSIONS, type CustomerEvent, type NbaOutcome, type NbaOutcomeRecorded } from '@hub/customer';
import { contactHistoryAfter, emptyContactHistory, type ContactHistory, type PastDecision } from './contact-history';
import { outcomeEventId } from './outcome-recording';

/**
 * The customer's own answer to a decision, read from what they did next: a button or list reply
 * whose id names the decision, a keyword reply (YES / NO in their language) to the latest open
 * decision on that channel, or an order after an offer. Pure: the worker folds the customer's
 * history up to the reply, asks `decideReplyOutcome`, and appends the outcome with the revision it read.
 */

/** The answers a reply id or keyword can carry. */
export const NBA_REPLY_ANSWERS = ['accept', 'decline'] as const;
export type NbaReplyAnswer = (typeof NBA_REPLY_ANSWERS)[number];

const OUTCOME_OF_ANSWER = { accept: 'accepted', decline: 'declined' } as const satisfies Record<NbaReplyAnswer, NbaOutcome>;

/** The prefix of every interactive id the hub puts on a decision's buttons or list rows. */
export const NBA_REPLY_ID_PREFIX = 'nba';

/**
 * The id a sender puts on a decision's button or list row (WhatsApp `reply.id`, Telegram
 * `callback_data`, Messenger postback payload): `nba:<decisionId>:accept` or `…:decline`. A
 * decision id is a UUID, so the id is at most 48 bytes (Telegram allows 64). Renaming the encoding
 * needs a migration: buttons already sent carry it.
 */
export const nbaReplyId = (decisionId: string, answer: NbaReplyAnswer): string => `${NBA_REPLY_ID_PREFIX}:${decisionId}:${answer}`;

const REPLY_ID = /^nba:([A-Za-z0-9_-]{1,64}):(accept|decline)$/;

/** The decision and answer an interactive id names, or undefined when it is not one of the hub's. */
export function parseNbaReplyId(id: string): { decisionId: string; answer: NbaReplyAnswer } | undefined {
  const m = REPLY_ID.exec(id);
  return m ? { decisionId: m[1]!, answer: m[2] as NbaReplyAnswer } : undefined;
}

/** A locale's words for yes and no (catalog `outcomeKeywords`). */
export interface OutcomeKeywordList {
  locale: string;
  accept: readonly string[];
  decline: readonly string[];
}

/** A message's own words, as keywords are compared: trimmed, trailing `.!?` and spaces dropped, case folded. */
export const keywordForm = (text: string): string =>
  text
    .normalize('NFKC')
    .trim()
    .replace(/[.!?\s]+$/u, '')
    .toLocaleLowerCase('und');

/**
 * The answer a whole message is (`yes` → accept), by every locale's list, or undefined. A consent
 * keyword (STOP, HELP, …) is never an answer: it stays consent (the catalog may not list one either).
 */
export function keywordAnswer(keywords: readonly OutcomeKeywordList[], text: string | undefined): NbaReplyAnswer | undefined {
  if (text === undefined) return undefined;
  const signal = consentKeyword(text)?.signal;
  if (signal === 'opt_out' || signal === 'help') return undefined;
  const word = keywordForm(text);
  if (word === '') return undefined;
  for (const list of keywords) {
    if (list.accept.some((k) => keywordForm(k) === word)) return 'accept';
    if (list.decline.some((k) => keywordForm(k) === word)) return 'decline';
  }
  return undefined;
}

/** What links a reply to decisions: the window a decision waits for an answer, and the keyword lists. */
export interface ReplyOutcomeRules {
  /** A decision is answerable this long after it was made (the no-response timeout): later, it stays `no_response`. */
  windowHours: number;
  /** The catalog's `outcomeKeywords`; absent or empty: keyword replies answer nothing. */
  keywords?: readonly OutcomeKeywordList[];
}

/** Sources the reply outcomes are recorded with (`NbaOutcomeRecorded.source`). */
export type ReplyOutcomeSource = 'reply' | 'keyword' | 'order';

export type ReplyOutcome =
  | { kind: 'answers'; decision: PastDecision; outcome: NbaOutcome; source: ReplyOutcomeSource }
  | {
      kind: 'none';
      reason:
        | 'not_a_reply'
        /** An id of the hub's naming a decision this customer does not have. */
        | 'unknown_decision'
        /** The decision it names or would answer has an outcome already, or contacted nobody. */
        | 'not_open'
        /** The reply came after the decision's window: it stays (or becomes) `no_response`. */
        | 'outside_window'
        /** No open decision on that channel (keyword) or no open offer (order) within its window. */
        | 'no_open_decision';
    };

const none = (reason: Extract<ReplyOutcome, { kind: 'none' }>['reason']): ReplyOutcome => ({ kind: 'none', reason });

const isOpen = (history: ContactHistory, d: PastDecision): boolean =>
  d.contactMode !== 'none' && d.kind !== 'none' && !history.outcomes.some((o) => o.decisionId === d.decisionId);

const withinWindow = (d: PastDecision, at: string, windowHours: number): boolean => {
  const since = Date.parse(at) - Date.parse(d.decidedAt);
  return since >= 0 && since <= windowHours * 3_600_000;
};

/**
 * A reply that names its decision (a button of the decision's own message) answers it until its
 * window closes, however early the provider stamped it: the decision precedes it in the stream (only
 * decisions before the reply are read), and providers stamp in whole seconds on their own clocks
 * (WhatsApp's and Telegram's `timestamp`), so a tap within the second of the decision reads as
 * before it.
 */
const beforeWindowCloses = (d: PastDecision, at: string, windowHours: number): boolean =>
  Date.parse(at) - Date.parse(d.decidedAt) <= windowHours * 3_600_000;

/** The latest decision that is open, passes `also`, and whose window holds `at`. */
function latestOpen(history: ContactHistory, at: string, rules: ReplyOutcomeRules, also: (d: PastDecision) => boolean) {
  for (let i = history.decisions.length - 1; i >= 0; i--) {
    const d = history.decisions[i]!;
    if (also(d) && isOpen(history, d) && withinWindow(d, at, rules.windowHours)) return d;
  }
  return undefined;
}

/**
 * Which open decision `event` answers, and how, given the customer's contact history before it:
 * - an inbound message whose interactive reply id is `nba:<decisionId>:accept|decline` → that
 *   decision, `accepted` / `declined` (source `reply`), when it is open and within its window;
 * - an inbound message that is a keyword of the catalog's lists (YES / NO) → the latest open
 *   decision on the message's channel within its window (source `keyword`); consent keywords never;
 * - `OrderPlaced` → the latest open `offer` decision within its window, `accepted` (source `order`);
 * - anything else → nothing.
 */
export function outcomeOfReply(history: ContactHistory, event: CustomerEvent, rules: ReplyOutcomeRules): ReplyOutcome {
  const at = event.metadata.occurredAt;
  if (event.type === 'OrderPlaced') {
    const offer = latestOpen(history, at, rules, (d) => d.kind === 'offer');
    return offer ? { kind: 'answers', decision: offer, outcome: 'accepted', source: 'order' } : none('no_open_decision');
  }
  if (event.type !== 'InteractionRecorded' || event.data.direction !== 'inbound') return none('not_a_reply');
  const interactive = event.data.interactive ? parseNbaReplyId(event.data.interactive.id) : undefined;
  if (interactive) {
    const decision = history.decisions.find((d) => d.decisionId === interactive.decisionId);
    if (!decision) return none('unknown_decision');
    if (!isOpen(history, decision)) return none('not_open');
    if (!beforeWindowCloses(decision, at, rules.windowHours)) return none('outside_window');
    return { kind: 'answers', decision, outcome: OUTCOME_OF_ANSWER[interactive.answer], source: 'reply' };
  }
  // A button of another sender's (or a list row's title) may still be a keyword: its title is the text.
  const text = event.data.content.text ?? event.data.interactive?.title;
  const answer = keywordAnswer(rules.keywords ?? [], text);
  if (!answer) return none('not_a_reply');
  const channel = event.data.channel;
  const decision = latestOpen(history, at, rules, (d) => d.channel === channel);
  return decision ? { kind: 'answers', decision, outcome: OUTCOME_OF_ANSWER[answer], source: 'keyword' } : none('no_open_decision');
}

/**
 * Is `event` the press of one of a decision's own buttons (an inbound message whose interactive reply
 * id is `nba:<decisionId>:accept|decline`)? Such a press is the customer's answer to that decision,
 * recorded as its outcome, and calls for no decision of its own: deciding on it would read the
 * button's title ("Upgrade") as a new question and offer the same thing again. A keyword reply
 * ("YES") still may, being free text.
 */
export function isDecisionButtonPress(event: Pick<CustomerEvent, 'type' | 'data'>): boolean {
  if (event.type !== 'InteractionRecorded') return false;
  const data = event.data as Partial<Extract<CustomerEvent, { type: 'InteractionRecorded' }>['data']>;
  const id = data.interactive?.id;
  return data.direction === 'inbound' && typeof id === 'string' && parseNbaReplyId(id) !== undefined;
}

/** Could `event` answer a decision at all (before reading any history)? The worker's cheap filter. */
export function mayAnswerDecision(event: Pick<CustomerEvent, 'type' | 'data'>, keywords: readonly OutcomeKeywordList[] = []): boolean {
  if (event.type === 'OrderPlaced') return true;
  if (event.type !== 'InteractionRecorded') return false;
  const data = event.data as Partial<Extract<CustomerEvent, { type: 'InteractionRecorded' }>['data']>;
  if (data.direction !== 'inbound') return false;
  const id = data.interactive?.id;
  if (typeof id === 'string' && parseNbaReplyId(id)) return true;
  if (keywords.length === 0) return false;
  return keywordAnswer(keywords, data.content?.text ?? data.interactive?.title) !== undefined;
}

export interface ReplyOutcomeCommand {
  tenantId: string;
  customerId: string;
  /** The reply's (or order's) event id in the customer's stream. */
  eventId: string;
  /** When it is recorded. */
  now: string;
}

export type ReplyOutcomeDecision =
  | { kind: 'record'; event: NbaOutcomeRecorded }
  /** The event is not in these events (not recorded yet, or another customer's). */
  | { kind: 'unknown_event' }
  | { kind: 'already_recorded'; decisionId: string; outcome: NbaOutcome; eventId: string }
  | Extract<ReplyOutcome, { kind: 'none' }>;

/** The `NbaOutcomeRecorded` of a reply: the decision's deterministic outcome id, caused by the reply. */
export function replyOutcomeEvent(
  answered: Extract<ReplyOutcome, { kind: 'answers' }>,
  reply: CustomerEvent,
  cmd: Pick<ReplyOutcomeCommand, 'tenantId' | 'customerId' | 'now'>,
): NbaOutcomeRecorded {
  const d = answered.decision;
  const channel = reply.type === 'InteractionRecorded' ? reply.data.channel : (d.channel as ChannelId | null);
  return {
    type: 'NbaOutcomeRecorded',
    data: {
      decisionId: d.decisionId,
      actionId: d.actionId,
      outcome: answered.outcome,
      segment: d.segment,
      ...(channel ? { channel } : {}),
      source: answered.source,
    },
    metadata: {
      eventId: outcomeEventId(cmd.tenantId, cmd.customerId, d.decisionId),
      correlationId: reply.metadata.correlationId,
      causationId: reply.metadata.eventId,
      occurredAt: reply.metadata.occurredAt,
      recordedAt: cmd.now,
      schemaVersion: CURRENT_SCHEMA_VERSIONS.NbaOutcomeRecorded,
      tenantId: cmd.tenantId,
      channel: 'system',
    },
  };
}

/**
 * The outcome the event `cmd.eventId` of these customer events (stream order) records, if any: the
 * history before it decides which decision it answers (`outcomeOfReply`); an outcome of that
 * decision anywhere in the stream (recorded after the reply by someone else, or by this same reply
 * before: a redelivery) stands, so the outcome is recorded once.
 */
export function decideReplyOutcome(
  events: readonly CustomerEvent[],
  cmd: ReplyOutcomeCommand,
  rules: ReplyOutcomeRules,
): ReplyOutcomeDecision {
  let history = emptyContactHistory();
  let reply: CustomerEvent | undefined;
  for (const e of events) {
    if (e.metadata.eventId === cmd.eventId) {
      reply = e;
      break;
    }
    history = contactHistoryAfter(history, e);
  }
  if (!reply) return { kind: 'unknown_event' };
  const r = outcomeOfReply(history, reply, rules);
  if (r.kind === 'none') return r;
  const existing = events.find(
    (e): e is NbaOutcomeRecorded => e.type === 'NbaOutcomeRecorded' && e.data.decisionId === r.decision.decisionId,
  );
  if (existing)
    return {
      kind: 'already_recorded',
      decisionId: r.decision.decisionId,
      outcome: existing.data.outcome,
      eventId: existing.metadata.eventId,
    };
  return { kind: 'record', event: replyOutcomeEvent(r, reply, cmd) };
}
