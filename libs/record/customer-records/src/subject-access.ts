import { customerStream } from '@hub/contracts';
import type { IdentityRef } from '@hub/contracts';
import { ERASED_MARKER } from '@hub/crypto-shredding';
import {
  customersMergedIn,
  foldWholeHistory,
  wholeHistory,
  type CustomerEvent,
  type CustomerState,
  type HistoryEvent,
} from '@hub/customer';
import type { RecordedEvent } from '@hub/event-store';
import { toHistoryEvents, type CustomerRepository } from './customer.repository';
import type { IdentityResolver } from './identity.resolver';

/**
 * The data subject's rights of access and portability (GDPR art. 15 and 20): everything the hub
 * holds about one person, as one JSON document of a documented, versioned shape (docs/operations.md,
 * "Subject access export"). A new field may be added within v1; renaming or removing one is v2.
 */
export const SUBJECT_ACCESS_FORMAT = 'hub.subject-access.v1';

/** Where the timeline read model's entries come from: the caller's (the record does not read the timeline's tables). */
export type TimelineEntryPages = (tenantId: string, customerId: string) => AsyncIterable<readonly object[]>;

export interface SubjectAccessDeps {
  customers: CustomerRepository;
  identities: IdentityResolver;
  /** The person's entries in the timeline read model (with those of the customers merged in); absent: the export says the timeline was not read. */
  timeline?: TimelineEntryPages;
}

export interface SubjectAccessRequest {
  tenantId: string;
  customerId: string;
  /** When the export is made (ISO 8601): time enters as data. */
  now: string;
}

/** The erasure of one customer record, as its `CustomerErased` says. */
export interface ErasureFact {
  customerId: string;
  erasedAt: string;
  reason: string;
  requestedBy: string;
  eventId: string;
  /** Set when this record was erased with the customer it is merged into (`CustomerErased.data.cascadeOf`): that erasure's customer. */
  cascadeOf: string | null;
}

/** One customer record (stream) the export covers: the person's own, or one merged into it and not unmerged. */
export interface SubjectRecord {
  customerId: string;
  role: 'subject' | 'merged_in';
  stream: string;
  events: number;
  /** Set when this record was erased: its personal fields read as `[erased]`. */
  erasure: ErasureFact | null;
}

/** One stored event, opened (personal fields decrypted, or `[erased]` once the key is gone). */
export interface SubjectEvent {
  customerId: string;
  stream: string;
  revision: string;
  globalPosition: string;
  eventId: string;
  type: string;
  storedAt: string;
  data: unknown;
  metadata: Record<string, unknown>;
}

export interface SubjectIdentity extends IdentityRef {
  /** The customer the identity's claim names now (`null`: nobody holds it, as after an erasure; `unreadable`: the value itself was erased). */
  heldBy: string | null | 'unreadable';
}

/** A merge-related fact, in any of the person's records. */
export interface MergeFact {
  customerId: string;
  type: 'CustomersMerged' | 'CustomerMergedInto' | 'CustomerUnmerged' | 'CustomerRestored' | 'MergeProposed' | 'MergeProposalRejected';
  eventId: string;
  occurredAt: string;
  data: unknown;
}

/** Everything the export says before its events and timeline entries (which are streamed). */
export interface SubjectAccessHead {
  format: typeof SUBJECT_ACCESS_FORMAT;
  tenantId: string;
  customerId: string;
  generatedAt: string;
  status: CustomerState['status'];
  /** The customer this record now lives on as (it was merged into it): ask for that one's export too. */
  mergedInto: string | null;
  /** Set when the person's own record was erased: what was destroyed and what is left. */
  erasure:
    | (ErasureFact & {
        personalFieldsReadable: false;
        marker: string;
        /**
         * Records merged into this one that are not erased: their fields still read. Empty after an
         * erasure of the whole person (merged-in records are erased with it); a record lands here
         * when this one was erased before erasure reached merged-in records, or when it was merged in
         * after the erasure.
         */
        mergedInNotErased: string[];
        note: string;
      })
    | null;
  records: SubjectRecord[];
  identities: SubjectIdentity[];
  consent: { current: CustomerState['consent']; records: CustomerState['consents'] };
  traits: { values: CustomerState['traits']; setAt: CustomerState['traitsSetAt'] };
  /** The customer's state folded from the events below (the same fold as every read of the hub). */
  state: { revision: string | null; value: CustomerState };
  decisions: { customerId: string; decisionId: string; decidedAt: string; data: unknown }[];
  outcomes: { customerId: string; decisionId: string; recordedAt: string; data: unknown }[];
  mergeHistory: MergeFact[];
  /** What the hub may still hold that this document does not show (docs/events.md, "Erasure"). */
  notIncluded: string[];
}

/** A subject access export, its head read and its events in memory, its timeline entries read as they are written. */
export interface SubjectAccess {
  head: SubjectAccessHead;
  /** Every event of every record of `head.records`, in the order the store recorded them (global position). */
  events: SubjectEvent[];
  /** `undefined`: the timeline read model was not read (the document says so). */
  timeline: AsyncIterable<readonly object[]> | undefined;
}

const MERGE_TYPES: ReadonlySet<string> = new Set<MergeFact['type']>([
  'CustomersMerged',
  'CustomerMergedInto',
  'CustomerUnmerged',
  'CustomerRestored',
  'MergeProposed',
  'MergeProposalRejected',
]);
const isMergeFact = (e: CustomerEvent): e is Extract<CustomerEvent, { type: MergeFact['type'] }> => MERGE_TYPES.has(e.type);

const NOT_INCLUDED = [
  'copies of these events in Kafka topics (hub.interactions.v1, hub.customer-events.v1, hub.nba-decisions.v1 and .v2, hub.dead-letter.v1) until their retention ends',
  'the events of the identity claim streams (who claimed each identity, and when); who holds each identity now is under identities',
  'backups of the database',
  'pending jobs of the decision worker in Redis (they hold ids, not personal fields)',
  "the tenant's population-level outcome counts (nba_outcome_tally: counts per action and segment, no person)",
];

/** One event as the export shows it. */
export function subjectEvent(customerId: string, e: RecordedEvent): SubjectEvent {
  return {
    customerId,
    stream: e.streamName,
    revision: e.revision.toString(),
    globalPosition: e.globalPosition.toString(),
    eventId: e.eventId,
    type: e.type,
    storedAt: e.createdAt.toISOString(),
    data: e.data,
    metadata: e.metadata,
  };
}

/** The erasure a record's events state, if any (the first `CustomerErased`: erasing again records nothing new). */
export function erasureOf(customerId: string, events: readonly CustomerEvent[]): ErasureFact | null {
  const erased = events.find((e) => e.type === 'CustomerErased');
  if (erased?.type !== 'CustomerErased') return null;
  return {
    customerId,
    erasedAt: erased.metadata.occurredAt,
    reason: erased.data.reason,
    requestedBy: erased.data.requestedBy,
    eventId: erased.metadata.eventId,
    cascadeOf: erased.data.cascadeOf ?? null,
  };
}

/**
 * The head of the export from what was read: the person's records (own stream first), their
 * events in the store's order, and who holds each of their identities. Pure.
 */
export function subjectAccessHead(input: {
  request: SubjectAccessRequest;
  members: readonly string[];
  streams: ReadonlyMap<string, readonly RecordedEvent[]>;
  history: readonly HistoryEvent[];
  state: CustomerState;
  holders: ReadonlyMap<IdentityRef, string | null>;
  timelineRead: boolean;
}): SubjectAccessHead {
  const { request, members, streams, history, state, holders } = input;
  const own = streams.get(request.customerId) ?? [];
  const eventsOf = (id: string) => history.filter((h) => h.customerId === id).map((h) => h.event);
  const records = members.map(
    (id, n): SubjectRecord => ({
      customerId: id,
      role: n === 0 ? 'subject' : 'merged_in',
      stream: customerStream(request.tenantId, id),
      events: streams.get(id)?.length ?? 0,
      erasure: erasureOf(id, eventsOf(id)),
    }),
  );
  const ownErasure = records[0]?.erasure ?? null;
  const erasedWith = records.slice(1).filter((r) => r.erasure !== null);
  const mergedInNotErased = records
    .slice(1)
    .filter((r) => r.erasure === null)
    .map((r) => r.customerId);
  const decisions: SubjectAccessHead['decisions'] = [];
  const outcomes: SubjectAccessHead['outcomes'] = [];
  const mergeHistory: MergeFact[] = [];
  for (const h of history) {
    const e = h.event;
    if (e.type === 'NextBestActionDecided')
      decisions.push({ customerId: h.customerId, decisionId: e.data.decisionId, decidedAt: e.metadata.occurredAt, data: e.data });
    else if (e.type === 'NbaOutcomeRecorded')
      outcomes.push({ customerId: h.customerId, decisionId: e.data.decisionId, recordedAt: e.metadata.occurredAt, data: e.data });
    else if (isMergeFact(e))
      mergeHistory.push({
        customerId: h.customerId,
        type: e.type,
        eventId: e.metadata.eventId,
        occurredAt: e.metadata.occurredAt,
        data: e.data,
      });
  }
  return {
    format: SUBJECT_ACCESS_FORMAT,
    tenantId: request.tenantId,
    customerId: request.customerId,
    generatedAt: request.now,
    status: state.status,
    mergedInto: state.mergedInto ?? null,
    erasure: ownErasure && {
      ...ownErasure,
      personalFieldsReadable: false,
      marker: ERASED_MARKER,
      mergedInNotErased,
      note:
        `This customer was erased at ${ownErasure.erasedAt}: their data key was destroyed, so every personal field of their ` +
        `events reads as "${ERASED_MARKER}" (in this document and in the store; a database backup taken before the erasure ` +
        'holds the key until it expires, docs/events.md); their identity claims ' +
        'were released and their timeline entries purged. What remains is what carries no personal field: ids, times, ' +
        'channels, kinds and the erasure itself.' +
        (erasedWith.length > 0
          ? ` The records merged into this one (${erasedWith.map((r) => r.customerId).join(', ')}) are erased too: ` +
            'their personal fields read the same way.'
          : '') +
        (mergedInNotErased.length > 0
          ? ` The records merged into this one listed in mergedInNotErased (${mergedInNotErased.join(', ')}) are not erased: ` +
            'erasing this customer again erases them (unless an unmerge gave them back), and until then their events below read in clear.'
          : ''),
    },
    records,
    identities: state.identities.map((identity) => ({
      ...identity,
      heldBy: identity.value === ERASED_MARKER ? 'unreadable' : (holders.get(identity) ?? null),
    })),
    consent: { current: state.consent, records: state.consents },
    traits: { values: state.traits, setAt: state.traitsSetAt },
    state: { revision: own.at(-1)?.revision.toString() ?? null, value: state },
    decisions,
    outcomes,
    mergeHistory,
    notIncluded: input.timelineRead ? NOT_INCLUDED : ['the timeline read model (not read by this export)', ...NOT_INCLUDED],
  };
}

/**
 * Reads everything the hub holds about the customer: their own stream and the streams of every
 * customer merged into them and not unmerged (recursively, as `wholeHistory` takes them), opened by
 * the encrypting store, each event as stored whatever its type; the state folded from exactly
 * those events; who holds each of their identities now. `undefined` when the customer has no stream.
 */
export async function readSubjectAccess(deps: SubjectAccessDeps, request: SubjectAccessRequest): Promise<SubjectAccess | undefined> {
  const { tenantId, customerId } = request;
  const streams = new Map<string, RecordedEvent[]>();
  const histories = new Map<string, HistoryEvent[]>();
  const members = [customerId];
  for (let i = 0; i < members.length; i++) {
    const id = members[i]!;
    const recorded = await deps.customers.recordedAfter(tenantId, id);
    if (i === 0 && recorded.length === 0) return undefined;
    streams.set(id, recorded);
    const events = toHistoryEvents(id, recorded);
    histories.set(id, events);
    for (const m of customersMergedIn(events.map((h) => h.event))) if (!members.includes(m)) members.push(m);
  }
  const history = wholeHistory(customerId, histories);
  const state = foldWholeHistory(customerId, history);
  const holders = new Map<IdentityRef, string | null>();
  for (const identity of state.identities)
    if (identity.value !== ERASED_MARKER) holders.set(identity, (await deps.identities.ownerOf(tenantId, identity)) ?? null);
  const events = members
    .flatMap((id) => streams.get(id)!.map((e) => ({ id, e })))
    .sort((a, b) => (a.e.globalPosition < b.e.globalPosition ? -1 : a.e.globalPosition > b.e.globalPosition ? 1 : 0))
    .map(({ id, e }) => subjectEvent(id, e));
  const head = subjectAccessHead({ request, members, streams, history, state, holders, timelineRead: deps.timeline !== undefined });
  return { head, events, timeline: deps.timeline?.(tenantId, customerId) };
}

const json = (value: unknown): string => JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));

/**
 * The export as JSON text, in chunks: the head's fields, then `events` one per line, then
 * `timeline` page by page as the pages are read, then `counts`. One JSON document; memory stays
 * flat in the timeline whatever its length.
 */
export async function* subjectAccessJsonChunks(access: SubjectAccess): AsyncGenerator<string> {
  const { head } = access;
  yield `{${Object.entries(head)
    .map(([key, value]) => `\n${json(key)}:${json(value)}`)
    .join(',')},\n"events":[`;
  let n = 0;
  for (const e of access.events) yield `${n++ === 0 ? '\n' : ',\n'}${json(e)}`;
  yield `\n],\n"timeline":${access.timeline ? '[' : 'null'}`;
  let entries = 0;
  if (access.timeline) {
    for await (const page of access.timeline) for (const entry of page) yield `${entries++ === 0 ? '\n' : ',\n'}${json(entry)}`;
    yield '\n]';
  }
  yield `,\n"counts":${json({ records: head.records.length, events: access.events.length, timelineEntries: access.timeline ? entries : null, decisions: head.decisions.length, outcomes: head.outcomes.length })}\n}\n`;
}
