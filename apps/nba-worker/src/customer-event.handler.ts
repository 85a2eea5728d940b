import type { Queue } from 'bullmq';
import { nbaJobKey, type CustomerEventMessage } from '@hub/contracts';
import { parseJsonValue, PermanentMessageError, type ConsumedMessage } from '@hub/messaging';
import { NbaDecideJob, type NbaDecideJobData } from './nba-decide.job';

/** Customer events that call for a new decision. Decisions themselves never trigger one. */
const TRIGGERS = new Set(['InteractionRecorded']);

/**
 * Turn a customer event into a debounced decision job: one pending job per customer, replaced by
 * newer events within the debounce window. The Kafka offset is committed only after Redis has
 * the job, so a crash here re-reads the event instead of losing the decision.
 */
export async function enqueueDecision(queue: Queue<NbaDecideJobData>, debounceMs: number, message: ConsumedMessage): Promise<boolean> {
  const value = parseJsonValue(message) as Partial<CustomerEventMessage>;
  if (typeof value.type !== 'string' || typeof value.tenantId !== 'string' || typeof value.customerId !== 'string' || !value.metadata) {
    throw new PermanentMessageError('INVALID_CUSTOMER_EVENT', 'customer event lacks type, tenantId, customerId or metadata');
  }
  if (!TRIGGERS.has(value.type)) return false;
  const key = nbaJobKey(value.tenantId, value.customerId);
  await queue.add(
    NbaDecideJob.jobName,
    { tenantId: value.tenantId, customerId: value.customerId, triggerEventId: value.metadata.eventId, correlationId: value.metadata.correlationId },
    {
      delay: debounceMs,
      // One pending job per customer; while one runs, the latest trigger waits for it (never two at once).
      deduplication: { id: key, keepLastIfActive: true, replace: true },
    },
  );
  return true;
}
