import { HubError } from '@hub/contracts';
import type { WebhookDeliveryLog } from '@hub/webhook-deliveries';
import { isAllowedWebhookUrl, maxAttempts, retryDelayMs, standardWebhookHeaders } from '@hub/webhooks';
import type { WebhookSender } from './webhook-sender.port';

/** One message to one subscription; `body` is serialised once, so every attempt signs the same bytes. */
export interface WebhookDeliverJobData {
  tenantId: string;
  subscriptionId: string;
  /** The `webhook-id`: the decision or event id. */
  messageId: string;
  eventType: string;
  body: string;
}

export type WebhookDeliverOutcome =
  | { kind: 'succeeded'; statusCode: number; attempt: number }
  | { kind: 'skipped'; reason: 'subscription_disabled' | 'subscription_deleted'; attempt: number };

/** An attempt failed (not 2xx, unreachable, timed out): retryable, on the schedule; `exhausted` on the last attempt. */
export class WebhookDeliveryFailedError extends HubError {
  readonly code = 'WEBHOOK_DELIVERY_FAILED';
  readonly retryable = true;
  constructor(
    message: string,
    readonly exhausted: boolean,
    readonly disabled: boolean,
  ) {
    super(message);
  }
}

export interface WebhookDeliverOptions {
  schedule: readonly number[];
  allowLoopbackHttp: boolean;
}

const MAX_ERROR = 500;

/**
 * One attempt of one delivery: signs (Standard Webhooks, the attempt's time), posts, logs the
 * attempt and keeps the subscription's failure record; a failure throws, and BullMQ tries again
 * after the schedule's delay (its custom backoff). A subscription disabled or deleted meanwhile is
 * not sent to: the attempt is logged `skipped` (when it still exists) and the job ends.
 */
export class WebhookDeliverJob {
  static readonly jobName = 'WebhookDeliverJob';

  constructor(
    private readonly log: WebhookDeliveryLog,
    private readonly sender: WebhookSender,
    private readonly options: WebhookDeliverOptions,
  ) {}

  /** `attempt`: 1 for the first, as BullMQ counts (`attemptsMade + 1`); `now` gives the time (of the signature and the log). */
  async run(data: WebhookDeliverJobData, attempt: number, now: () => Date): Promise<WebhookDeliverOutcome> {
    const subscription = await this.log.find(data.tenantId, data.subscriptionId);
    const started = now();
    const base = {
      tenantId: data.tenantId,
      subscriptionId: data.subscriptionId,
      messageId: data.messageId,
      eventType: data.eventType,
      attempt,
      attemptedAt: started.toISOString(),
    };
    if (!subscription) return { kind: 'skipped', reason: 'subscription_deleted', attempt };
    if (subscription.status !== 'enabled') {
      await this.log.record({
        ...base,
        outcome: 'skipped',
        statusCode: null,
        durationMs: null,
        error: 'subscription disabled',
        nextAttemptAt: null,
      });
      return { kind: 'skipped', reason: 'subscription_disabled', attempt };
    }

    let statusCode: number | null = null;
    let error: string | null = null;
    if (!isAllowedWebhookUrl(subscription.url, this.options.allowLoopbackHttp)) {
      error = 'url not allowed (https only; http to loopback only with WEBHOOK_ALLOW_LOOPBACK_HTTP=on)';
    } else {
      const headers = standardWebhookHeaders(subscription.secret, data.messageId, started, data.body);
      const response = await this.sender.post(subscription.url, { ...headers }, data.body);
      if (response.kind === 'answered') {
        statusCode = response.statusCode;
        if (statusCode < 200 || statusCode > 299) error = `HTTP ${statusCode}`;
      } else {
        error = response.error.slice(0, MAX_ERROR);
      }
    }
    const ended = now();
    const durationMs = Math.max(0, ended.getTime() - started.getTime());

    if (error === null) {
      await this.log.record({ ...base, outcome: 'succeeded', statusCode, durationMs, error: null, nextAttemptAt: null });
      await this.log.succeeded(data.tenantId, data.subscriptionId);
      return { kind: 'succeeded', statusCode: statusCode!, attempt };
    }
    const exhausted = attempt >= maxAttempts(this.options.schedule);
    const delay = exhausted ? undefined : retryDelayMs(this.options.schedule, attempt);
    const { disabled } = await this.log.failed(data.tenantId, data.subscriptionId, ended, exhausted);
    const nextAttemptAt = delay === undefined || disabled ? null : new Date(ended.getTime() + delay).toISOString();
    await this.log.record({ ...base, outcome: 'failed', statusCode, durationMs, error, nextAttemptAt });
    throw new WebhookDeliveryFailedError(`attempt ${attempt}: ${error}`, exhausted, disabled);
  }
}
