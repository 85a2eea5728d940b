import type { Queue } from 'bullmq';
import { customerStream, nbaJobKey, parseCustomerStream, StreamCategories } from '@hub/contracts';
import type { CustomerRepository } from '@hub/customer-records';
import type { EventStore } from '@hub/event-store';
import type { CustomerEvent } from '@hub/customer';
import { NBA_TRIGGER_TYPES } from '@hub/nba';
import type { NbaFollowUps } from './nba-follow-ups.port';
import { surveyJobKey } from './customer-event.handler';
import { NbaDecideJob, SURVEY_TRIGGER_TYPE, type NbaDecideJobData } from './nba-decide.job';

/** Event types that tell whether a customer still waits for a decision. */
const DECIDED = 'NextBestActionDecided';
const MERGED_INTO = 'CustomerMergedInto';
const MERGED = 'CustomersMerged';
const OUTCOME = 'NbaOutcomeRecorded';

export interface ReconcileOptions {
  /** Only these tenants' customers (a spec's own); default every tenant. */
  tenants?: readonly string[];
  /** Delay of a re-enqueued survey follow-up (its first due time is not known here: never earlier than planned). */
  surveyDelayMs: number;
}

export interface ReconcileResult {
  /** Customers whose last trigger has no decision after it. */
  pending: number;
  realtime: number;
  surveyFollowUps: number;
}

/**
 * After Redis lost its jobs (a restart without persistence): the decide jobs of every customer whose
 * last trigger has no decision after it, enqueued again. Kafka offsets were committed once the jobs
 * were in Redis, so nothing else would bring them back.
 *
 * Read through the event store's port (`lastMatchingEvents`: each customer stream's last event among
 * the triggers, decisions and merges). A stream whose last such event is a trigger (or the merge
 * that brought another customer's history into it) gets a real-time decide job, and a survey
 * follow-up when that trigger is a resolution. Idempotent and safe to over-enqueue: the jobs have
 * the deduplication ids the consumer gives them, and the decide job answers a trigger once at most
 * (the decision's id derives from it; `already_decided` otherwise). A customer merged into another
 * is decided for as the survivor and is skipped. Re-enqueued jobs carry the trigger's event id as
 * their correlation id (the store's index holds no event data).
 */
export async function reenqueuePendingDecisions(
  store: Pick<EventStore, 'lastMatchingEvents'>,
  decide: Pick<Queue<NbaDecideJobData>, 'add'>,
  options: ReconcileOptions,
): Promise<ReconcileResult> {
  const streamPrefixes = options.tenants?.map((t) => customerStream(t, '')) ?? [`${StreamCategories.customer}-`];
  const last = await store.lastMatchingEvents({ streamPrefixes, eventTypes: [...NBA_TRIGGER_TYPES, DECIDED, MERGED_INTO, MERGED] });
  const result: ReconcileResult = { pending: 0, realtime: 0, surveyFollowUps: 0 };
  for (const event of last) {
    if (event.type === DECIDED || event.type === MERGED_INTO) continue;
    const customer = parseCustomerStream(event.streamName);
    if (!customer) continue;
    const { tenantId, customerId } = customer;
    result.pending++;
    const base = { tenantId, customerId, triggerEventId: event.eventId, correlationId: event.eventId };
    if (event.type === SURVEY_TRIGGER_TYPE) {
      await decide.add(
        NbaDecideJob.jobName,
        { trigger: 'survey-follow-up', ...base },
        {
          delay: options.surveyDelayMs,
          // Not replacing: a follow-up still in Redis keeps its due time (a boot must not postpone it).
          deduplication: { id: surveyJobKey(tenantId, customerId) },
        },
      );
      result.surveyFollowUps++;
    }
    // Also before a resolution: an earlier message's decision may be what was lost (answered once at most).
    await decide.add(
      NbaDecideJob.jobName,
      { trigger: 'realtime', ...base },
      { deduplication: { id: nbaJobKey(tenantId, customerId), keepLastIfActive: true, replace: true } },
    );
    result.realtime++;
  }
  return result;
}

export interface NoResponseReconcileOptions {
  tenants?: readonly string[];
  /** How long a contacting decision waits for an answer (`NbaDecideJob`'s `noResponseAfterMs`). */
  noResponseAfterMs: number;
  now: Date;
}

export interface NoResponseReconcileResult {
  /** Customer streams read (their latest decision or outcome was a decision). */
  customers: number;
  /** No-response checks scheduled again (already in Redis: BullMQ kept the one there). */
  checks: number;
}

/**
 * After Redis lost its jobs: the no-response checks of decisions that contacted the customer and
 * have no outcome yet, scheduled again at their original due time (now, if past). The candidates are
 * the customer streams whose latest decision-or-outcome is a decision (`lastMatchingEvents`); each is
 * read and every open contacting decision in it gets its check — also an older one left open when a
 * newer decision followed it without a reply in between. A decision followed by an outcome for it is
 * skipped; one the customer replied to still gets its check, which finds the reply and records
 * nothing. Idempotent: a check's job id derives from its decision (`BullNbaFollowUps`). Not rebuilt:
 * an open decision older than a newer decision that has its outcome (the stream's latest is then an
 * outcome) — its check would find the customer's later activity in most cases anyway.
 */
export async function rescheduleNoResponseChecks(
  store: Pick<EventStore, 'lastMatchingEvents'>,
  customers: Pick<CustomerRepository, 'history'>,
  followUps: Pick<NbaFollowUps, 'scheduleNoResponse'>,
  options: NoResponseReconcileOptions,
): Promise<NoResponseReconcileResult> {
  const streamPrefixes = options.tenants?.map((t) => customerStream(t, '')) ?? [`${StreamCategories.customer}-`];
  const last = await store.lastMatchingEvents({ streamPrefixes, eventTypes: [DECIDED, OUTCOME] });
  const result: NoResponseReconcileResult = { customers: 0, checks: 0 };
  for (const match of last) {
    if (match.type !== DECIDED) continue;
    const customer = parseCustomerStream(match.streamName);
    if (!customer) continue;
    const { tenantId, customerId } = customer;
    result.customers++;
    const { events } = await customers.history(tenantId, customerId);
    if (events.some((e) => e.type === 'CustomerErased' || e.type === MERGED_INTO)) continue;
    for (const check of openContactingDecisions(events)) {
      const dueAt = Date.parse(check.decidedAt) + options.noResponseAfterMs;
      await followUps.scheduleNoResponse(
        { tenantId, customerId, decisionId: check.decisionId, correlationId: check.correlationId },
        Math.max(0, dueAt - options.now.getTime()),
      );
      result.checks++;
    }
  }
  return result;
}

/** Decisions that contacted the customer and have no outcome recorded, with what their checks carry. */
function openContactingDecisions(events: readonly CustomerEvent[]): { decisionId: string; decidedAt: string; correlationId: string }[] {
  const answered = new Set(events.flatMap((e) => (e.type === OUTCOME ? [e.data.decisionId] : [])));
  return events.flatMap((e) =>
    e.type === DECIDED && e.data.action.kind !== 'none' && e.data.contactMode !== 'none' && !answered.has(e.data.decisionId)
      ? [{ decisionId: e.data.decisionId, decidedAt: e.metadata.occurredAt, correlationId: e.metadata.correlationId }]
      : [],
  );
}
