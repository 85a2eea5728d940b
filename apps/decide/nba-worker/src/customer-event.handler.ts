import type { Queue } from 'bullmq';
import { isPermanentError, nbaJobKey, type CustomerEventMessage, type HubError } from '@hub/contracts';
import { NBA_OUTCOMES, type CustomerEvent, type NbaOutcomeRecorded, type WorkItemEvent } from '@hub/customer';
import { isDecisionButtonPress, mayAnswerDecision, type OutcomeKeywordList } from '@hub/nba';
import type { WorkItemProjection } from '@hub/work-items';
import { parseJsonValue, PermanentMessageError, type ConsumedMessage } from '@hub/messaging';
import { NbaDecideJob, REALTIME_TRIGGER_TYPES, SURVEY_TRIGGER_TYPE, type NbaDecideJobData } from './nba-decide.job';
import type { DecisionFoldCache } from './decision-fold.cache';
import type { NbaFollowUps } from './nba-follow-ups.port';
import { countedOutcome, type OutcomeTallyStore } from '@hub/nba-outcomes';

export interface CustomerEventRouting {
  decide: Queue<NbaDecideJobData>;
  debounceMs: number;
  surveyDelayMs: number;
  tally: Pick<OutcomeTallyStore, 'count'>;
  followUps: NbaFollowUps;
  /**
   * The decide worker's kept folds in this process: advanced by every event consumed (`observe`);
   * an erased, merged-away, merged-into or unmerged customer's is dropped at once.
   */
  folds?: Pick<DecisionFoldCache, 'forget' | 'observe' | 'surveyMayBePending'>;
  /** The work-item queues (`work_items`): `WorkItem*` events projected, an erased customer's items dropped. */
  workItems?: WorkItemProjection;
  /**
   * Linking replies to the decisions they answer (`NbaReplyOutcomeJob`): a reply with a hub button
   * id, a keyword of these lists (the catalog's `outcomeKeywords`) or an order schedules the job.
   * Absent: no reply is linked (outcomes come from the API and the timeout only).
   */
  replyOutcomes?: { keywords: readonly OutcomeKeywordList[] };
}

const WORK_ITEM_EVENT_TYPES: readonly string[] = [
  'WorkItemOpened',
  'WorkItemClaimed',
  'WorkItemReassigned',
  'WorkItemResolved',
] satisfies readonly WorkItemEvent['type'][];

/** A decide job to add, with its options: added at once (`routeCustomerEvent`) or with a run's others (`routeCustomerEvents`). */
interface DecideJob {
  data: NbaDecideJobData;
  opts: { delay: number; deduplication: { id: string; keepLastIfActive: true; replace: true } };
}

type AddDecideJob = (job: DecideJob) => Promise<unknown>;

/** A job's inputs' trace contexts kept for the decide span's links, at most this many (the latest). */
const MAX_TRACEPARENTS = 32;

/** The trace context of the append that recorded the event (its metadata), else the message's. */
const traceparentOfInput = (event: CustomerEventMessage, message: ConsumedMessage): string[] => {
  const traceparent = event.metadata.traceparent ?? message.headers['traceparent'];
  return traceparent === undefined ? [] : [traceparent];
};

const addOne =
  (queue: Queue<NbaDecideJobData>): AddDecideJob =>
  ({ data, opts }) =>
    queue.add(NbaDecideJob.jobName, data, opts);

/** One pending decide job per customer (`nbaJobKey`); while one runs, the latest trigger waits for it (never two at once). */
const debounced = (deps: CustomerEventRouting, tenantId: string, customerId: string): DecideJob['opts'] => ({
  delay: deps.debounceMs,
  deduplication: { id: nbaJobKey(tenantId, customerId), keepLastIfActive: true, replace: true },
});

export type Routed =
  | 'decision_enqueued'
  | 'survey_scheduled'
  | 'outcome_counted'
  | 'reply_outcome_scheduled'
  | 'work_item_projected'
  | 'fold_dropped'
  | 'ignored';

/** BullMQ deduplication id of a customer's pending survey follow-up: a later resolution replaces it. */
export const surveyJobKey = (tenantId: string, customerId: string): string => `survey:${nbaJobKey(tenantId, customerId)}`;

function parse(message: ConsumedMessage): CustomerEventMessage {
  const value = parseJsonValue(message) as Partial<CustomerEventMessage>;
  if (
    typeof value.type !== 'string' ||
    typeof value.tenantId !== 'string' ||
    typeof value.customerId !== 'string' ||
    !value.metadata ||
    typeof value.metadata.eventId !== 'string'
  ) {
    throw new PermanentMessageError('INVALID_CUSTOMER_EVENT', 'customer event lacks type, tenantId, customerId or metadata');
  }
  return value as CustomerEventMessage;
}

/**
 * One customer event from Kafka, into what the worker does with it. The Kafka offset is committed
 * only after Redis (or PostgreSQL) has it, so a crash here re-reads the event; every branch is
 * idempotent (debounced job per customer, deduplicated survey job, outcome counted by event id).
 * - a real-time trigger (an interaction, a survey answer, a refund) → a debounced decide job (one
 *   pending per customer); a message from the customer also drops their pending survey follow-up;
 * - `ConversationResolved` → the survey follow-up, `surveyDelayMs` later (a later resolution replaces it);
 * - `NbaOutcomeRecorded` → counted in the population tally; the decision's no-response check is dropped;
 * - an inbound reply that may answer a decision (a hub button id, an outcome keyword) or an
 *   `OrderPlaced` → also an `NbaReplyOutcomeJob` (one per event id), which links it to the decision
 *   it answers and records the outcome (with `replyOutcomes`);
 * - `WorkItemOpened`/`Claimed`/`Reassigned`/`Resolved` → projected into the queues (`work_items`, by
 *   stream revision: a redelivery changes nothing); `CustomerErased` also drops the customer's items;
 * - `CustomerErased`, `CustomerMergedInto` → the customer's kept fold (opened personal fields) is dropped;
 * - `CustomersMerged`, `CustomerUnmerged` → the survivor's kept fold is dropped: its whole history
 *   gained or lost another customer's stream (the cache would notice on its next read anyway); a
 *   merge also enqueues a decision for the survivor (the merged-in stream's latest trigger may be
 *   unanswered: the merged customer's own job finds it merged and decides nothing);
 * - anything else (decisions among them) → nothing.
 */
export function routeCustomerEvent(deps: CustomerEventRouting, message: ConsumedMessage): Promise<Routed> {
  return routed(deps, message, addOne(deps.decide));
}

async function routed(deps: CustomerEventRouting, message: ConsumedMessage, addDecideJob: AddDecideJob): Promise<Routed> {
  const event = parse(message);
  const { tenantId, customerId } = event;
  const revision = revisionOf(event);
  const dropsFold =
    event.type === 'CustomerErased' ||
    event.type === 'CustomerMergedInto' ||
    event.type === 'CustomersMerged' ||
    event.type === 'CustomerUnmerged';
  const inbound = event.type === 'InteractionRecorded' && (event.data as { direction?: string }).direction === 'inbound';
  // Asked of the kept fold before it takes this message: only a resolution after the latest earlier message can have a pending survey.
  const surveyMayBePending = inbound && (deps.folds?.surveyMayBePending(tenantId, customerId, revision) ?? true);
  // The decide worker's kept fold of this customer follows what is recorded, so its next job need not read the store.
  if (revision !== undefined && !dropsFold)
    deps.folds?.observe(tenantId, customerId, {
      revision,
      type: event.type,
      data: event.data,
      metadata: event.metadata as unknown as Record<string, unknown>,
    });
  const triggerRevision = revision === undefined ? {} : { triggerRevision: revision.toString() };
  const inputs = traceparentOfInput(event, message);
  const traceparents = inputs.length ? { traceparents: inputs } : {};
  if (event.type === 'NbaOutcomeRecorded') {
    const data = event.data as Partial<NbaOutcomeRecorded['data']>;
    if (
      typeof data.decisionId !== 'string' ||
      typeof data.actionId !== 'string' ||
      !(NBA_OUTCOMES as readonly unknown[]).includes(data.outcome)
    ) {
      throw new PermanentMessageError('INVALID_NBA_OUTCOME', 'NbaOutcomeRecorded lacks decisionId, actionId or a known outcome');
    }
    // Independent effects (PostgreSQL, Redis), both idempotent: one round trip's wait instead of two.
    const counted = countedOutcome(tenantId, { data: data as NbaOutcomeRecorded['data'], metadata: event.metadata });
    await Promise.all([deps.tally.count(counted), deps.followUps.cancelNoResponse(data.decisionId)]);
    return 'outcome_counted';
  }
  // A reply to a decision (or an order after an offer): linked by its own job, besides the decision it triggers.
  const replyLinked =
    deps.replyOutcomes !== undefined &&
    mayAnswerDecision({ type: event.type, data: event.data } as Pick<CustomerEvent, 'type' | 'data'>, deps.replyOutcomes.keywords);
  if (replyLinked)
    await deps.followUps.scheduleReplyOutcome({
      tenantId,
      customerId,
      eventId: event.metadata.eventId,
      correlationId: event.metadata.correlationId,
    });
  if (WORK_ITEM_EVENT_TYPES.includes(event.type)) {
    if (!deps.workItems) return 'ignored';
    if (revision === undefined) throw new PermanentMessageError('INVALID_WORK_ITEM_EVENT', `${event.type} lacks its stream revision`);
    const workItemEvent = { type: event.type, data: event.data, metadata: event.metadata } as WorkItemEvent;
    if (typeof (workItemEvent.data as { workItemId?: unknown }).workItemId !== 'string')
      throw new PermanentMessageError('INVALID_WORK_ITEM_EVENT', `${event.type} lacks workItemId`);
    await deps.workItems.project(tenantId, customerId, workItemEvent, revision);
    return 'work_item_projected';
  }
  if (event.type === 'CustomerErased') await deps.workItems?.forgetCustomer(tenantId, customerId);
  if (dropsFold) {
    deps.folds?.forget(tenantId, customerId);
    if (event.type !== 'CustomersMerged') return 'fold_dropped';
    // The survivor's whole history gained the merged customer's stream, whose latest trigger may be
    // newer than any the survivor was decided on — and the merged customer's own pending job finds
    // it merged and decides nothing. The survivor is decided again (on its whole history; a trigger
    // already answered is not answered twice).
    await addDecideJob({
      data: {
        trigger: 'realtime',
        tenantId,
        customerId,
        triggerEventId: event.metadata.eventId,
        correlationId: event.metadata.correlationId,
        ...traceparents,
      },
      opts: debounced(deps, tenantId, customerId),
    });
    return 'decision_enqueued';
  }
  if (event.type === SURVEY_TRIGGER_TYPE) {
    await deps.decide.add(
      NbaDecideJob.jobName,
      {
        trigger: 'survey-follow-up',
        tenantId,
        customerId,
        triggerEventId: event.metadata.eventId,
        correlationId: event.metadata.correlationId,
        ...triggerRevision,
        ...traceparents,
      },
      { delay: deps.surveyDelayMs, deduplication: { id: surveyJobKey(tenantId, customerId), keepLastIfActive: true, replace: true } },
    );
    return 'survey_scheduled';
  }
  if (!REALTIME_TRIGGER_TYPES.includes(event.type)) return replyLinked ? 'reply_outcome_scheduled' : 'ignored';
  // What the company said (the outbound sender's own sends, an agent's reply, a delivery status) calls
  // for no decision of its own: only the customer's side does. Otherwise every send would decide again
  // (held back only by the contact policy). A decision made later still sees it in the history.
  if (event.type === 'InteractionRecorded' && (event.data as { direction?: string }).direction === 'outbound')
    return replyLinked ? 'reply_outcome_scheduled' : 'ignored';
  // The press of a decision's own button is that decision's outcome (its link job, above), not a new
  // question: deciding on it would offer the same thing again.
  if (replyLinked && isDecisionButtonPress({ type: event.type, data: event.data } as Pick<CustomerEvent, 'type' | 'data'>))
    return 'reply_outcome_scheduled';
  const enqueued = addDecideJob({
    data: {
      trigger: 'realtime',
      tenantId,
      customerId,
      triggerEventId: event.metadata.eventId,
      correlationId: event.metadata.correlationId,
      ...triggerRevision,
      ...traceparents,
    },
    opts: debounced(deps, tenantId, customerId),
  });
  // The survey job has its own deduplication id, so dropping it and adding the decision are
  // independent: sent together on the connection, awaited together (the offset still waits for both).
  await Promise.all([enqueued, surveyMayBePending ? dropPendingSurvey(deps.decide, tenantId, customerId) : undefined]);
  return 'decision_enqueued';
}

/** The event's revision in its customer's stream; undefined when the message does not carry a valid one. */
function revisionOf(event: CustomerEventMessage): bigint | undefined {
  return typeof event.streamRevision === 'string' && /^\d{1,19}$/.test(event.streamRevision) ? BigInt(event.streamRevision) : undefined;
}

/** The customer wrote again: their pending survey follow-up is moot (were it to run, it would find the message and skip). */
async function dropPendingSurvey(queue: Queue<NbaDecideJobData>, tenantId: string, customerId: string): Promise<void> {
  const jobId = await queue.getDeduplicationJobId(surveyJobKey(tenantId, customerId));
  if (!jobId) return;
  const job = await queue.getJob(jobId);
  if (job && (await job.getState()) === 'delayed') await queue.remove(jobId);
}

/** Customers routed at once within one run of messages (each customer's messages stay in order). */
const ROUTING_CONCURRENCY = 64;

/**
 * A run of one partition's customer events (`startConsumer`'s `handleBatch`), with the outcome of
 * routing them one after another: each customer's messages are routed in offset order, different
 * customers' concurrently (they touch different BullMQ jobs and tally rows), so a run costs a few
 * Redis round trips' wait instead of one per message. A message that can never be routed is
 * returned as its error (a `HubError` with `retryable: false`, dead-lettered by the consumer); any other error fails
 * the run, which Kafka redelivers whole (every branch is idempotent).
 */
export async function routeCustomerEvents(
  deps: CustomerEventRouting,
  messages: readonly ConsumedMessage[],
): Promise<(HubError | undefined)[]> {
  const outcomes: (HubError | undefined)[] = messages.map(() => undefined);
  const byCustomer = new Map<string, number[]>();
  messages.forEach((message, index) => {
    let key: string;
    try {
      const event = parse(message);
      key = `${event.tenantId}\u0000${event.customerId}`;
    } catch (err) {
      if (!isPermanentError(err)) throw err;
      outcomes[index] = err;
      return;
    }
    const group = byCustomer.get(key);
    if (group) group.push(index);
    else byCustomer.set(key, [index]);
  });
  const groups = [...byCustomer.values()];
  // The run's decide jobs, the latest per customer (each would replace the one before it), added
  // together at the end in one pipelined request: one write and one wait for the whole run.
  const decideJobs = new Map<string, DecideJob>();
  const collect: AddDecideJob = (job) => {
    const replaced = decideJobs.get(job.opts.deduplication.id);
    decideJobs.delete(job.opts.deduplication.id);
    // The job that replaces another carries the replaced one's inputs too: the decide span links to each.
    decideJobs.set(job.opts.deduplication.id, replaced ? withInputsOf(replaced, job) : job);
    return Promise.resolve();
  };
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < groups.length) {
      const group = groups[next++]!;
      for (const index of group) {
        try {
          await routed(deps, messages[index]!, collect);
        } catch (err) {
          if (!isPermanentError(err)) throw err;
          outcomes[index] = err;
        }
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(ROUTING_CONCURRENCY, groups.length) }, lane));
  if (decideJobs.size > 0)
    await deps.decide.addBulk([...decideJobs.values()].map(({ data, opts }) => ({ name: NbaDecideJob.jobName, data, opts })));
  return outcomes;
}

/** `job` with the trace contexts of `replaced`'s inputs before its own (the latest `MAX_TRACEPARENTS`). */
function withInputsOf(replaced: DecideJob, job: DecideJob): DecideJob {
  const before = 'traceparents' in replaced.data ? (replaced.data.traceparents ?? []) : [];
  if (before.length === 0 || job.data.trigger === 'outbound-scan') return job;
  const traceparents = [...before, ...(job.data.traceparents ?? [])].slice(-MAX_TRACEPARENTS);
  return { ...job, data: { ...job.data, traceparents } };
}
