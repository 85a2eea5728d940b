import type { HubError, CustomerEventMessage } from '@hub/contracts';
import { webhookDeliveryJobId } from '@hub/contracts';
import type { NbaDecisionMessageV2 } from '@hub/customer';
import { PermanentMessageError, type ConsumedMessage } from '@hub/messaging';
import type { WebhookDeliveryLog } from '@hub/webhook-deliveries';
import { matchesEventType, webhookEventOfCustomerEvent, webhookEventOfDecision, type WebhookEvent } from '@hub/webhooks';
import { WebhookDeliverJob, type WebhookDeliverJobData } from './webhook-deliver.job';

/** One delivery job to queue: BullMQ's `addBulk` entry, its id the (subscription, message) pair. */
export interface QueuedDelivery {
  name: string;
  data: WebhookDeliverJobData;
  opts: { jobId: string };
}

export interface DispatchDeps {
  topics: { decisions: string; customerEvents: string };
  subscriptions: Pick<WebhookDeliveryLog, 'enabledFor'>;
  /** Queues the jobs; resolves once Redis has them (the consumer commits the offsets only then). */
  enqueue(jobs: readonly QueuedDelivery[]): Promise<void>;
}

const notJson = (m: ConsumedMessage) =>
  new PermanentMessageError('WEBHOOK_MESSAGE_INVALID', `${m.topic}:${m.partition}:${m.offset} is not a JSON message`);

function webhookEventOf(deps: DispatchDeps, m: ConsumedMessage): WebhookEvent | undefined {
  let value: unknown;
  try {
    value = JSON.parse(m.value?.toString('utf8') ?? '');
  } catch {
    throw notJson(m);
  }
  if (typeof value !== 'object' || value === null) throw notJson(m);
  const v = value as Record<string, unknown>;
  if (m.topic === deps.topics.decisions) {
    if (typeof v['decisionId'] !== 'string' || typeof v['tenantId'] !== 'string')
      throw new PermanentMessageError('WEBHOOK_MESSAGE_INVALID', 'a decision message without decisionId or tenantId');
    return webhookEventOfDecision(value as NbaDecisionMessageV2);
  }
  const metadata = v['metadata'] as { eventId?: unknown } | undefined;
  if (typeof v['type'] !== 'string' || typeof v['tenantId'] !== 'string' || typeof metadata?.eventId !== 'string')
    throw new PermanentMessageError('WEBHOOK_MESSAGE_INVALID', 'a customer event message without type, tenantId or metadata.eventId');
  return webhookEventOfCustomerEvent(value as CustomerEventMessage);
}

/**
 * A run of decisions and customer events → one delivery job per (event, enabled subscription of its
 * tenant whose patterns take its type), queued in one `addBulk`. Idempotent: the job id is the
 * (subscription, message) pair, so a redelivered Kafka message adds no second job while the first
 * is kept (`removeOnComplete`/`removeOnFail` age). A message that is not JSON is dead-lettered.
 */
export async function dispatchWebhooks(deps: DispatchDeps, messages: readonly ConsumedMessage[]): Promise<(HubError | undefined)[]> {
  const results: (HubError | undefined)[] = [];
  const events: WebhookEvent[] = [];
  for (const m of messages) {
    try {
      const e = webhookEventOf(deps, m);
      if (e) events.push(e);
      results.push(undefined);
    } catch (err) {
      if (!(err instanceof PermanentMessageError)) throw err;
      results.push(err);
    }
  }
  if (events.length === 0) return results;
  const subscriptions = await deps.subscriptions.enabledFor(events.map((e) => e.tenantId));
  const jobs: QueuedDelivery[] = [];
  for (const e of events) {
    let body: string | undefined;
    for (const s of subscriptions) {
      if (s.tenantId !== e.tenantId || !matchesEventType(s.eventTypes, e.payload.type)) continue;
      body ??= JSON.stringify(e.payload);
      jobs.push({
        name: WebhookDeliverJob.jobName,
        data: { tenantId: e.tenantId, subscriptionId: s.subscriptionId, messageId: e.id, eventType: e.payload.type, body },
        opts: { jobId: webhookDeliveryJobId(s.subscriptionId, e.id) },
      });
    }
  }
  if (jobs.length > 0) await deps.enqueue(jobs);
  return results;
}
