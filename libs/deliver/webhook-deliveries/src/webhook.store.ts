import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import {
  DEFAULT_DISABLE_POLICY,
  shouldDisable,
  type DisablePolicy,
  type WebhookSubscription,
  type WebhookSubscriptionStatus,
} from '@hub/webhooks';

export const DELIVERY_OUTCOMES = ['succeeded', 'failed', 'skipped'] as const;
export type DeliveryOutcome = (typeof DELIVERY_OUTCOMES)[number];

/** One attempt of one message to one subscription: a row of the delivery log. */
export interface DeliveryAttempt {
  tenantId: string;
  subscriptionId: string;
  /** The `webhook-id`: the hub's event or decision id. */
  messageId: string;
  eventType: string;
  /** 1, 2, 3, … */
  attempt: number;
  attemptedAt: string;
  /** `skipped`: not sent, the subscription being disabled or deleted meanwhile. */
  outcome: DeliveryOutcome;
  statusCode: number | null;
  durationMs: number | null;
  error: string | null;
  /** When the next attempt is due; null when none follows (succeeded, skipped or given up). */
  nextAttemptAt: string | null;
}

export interface NewWebhookSubscription {
  tenantId: string;
  url: string;
  eventTypes: string[];
  secret: string;
  description: string | null;
}

export type WebhookSubscriptionPatch = Partial<Pick<WebhookSubscription, 'url' | 'eventTypes' | 'description'>>;

/** Subscriptions as the query API manages them, and their delivery logs. DI token: `WEBHOOK_SUBSCRIPTIONS`. */
export interface WebhookSubscriptions {
  create(input: NewWebhookSubscription, now: Date): Promise<WebhookSubscription>;
  list(tenantId: string): Promise<WebhookSubscription[]>;
  find(tenantId: string, subscriptionId: string): Promise<WebhookSubscription | undefined>;
  update(tenantId: string, subscriptionId: string, patch: WebhookSubscriptionPatch, now: Date): Promise<WebhookSubscription | undefined>;
  /** Deletes it and its delivery log. */
  remove(tenantId: string, subscriptionId: string): Promise<boolean>;
  /** Enable a disabled subscription again (its failure record reset); an enabled one is left as it is. */
  enable(tenantId: string, subscriptionId: string, now: Date): Promise<WebhookSubscription | undefined>;
  /** Disable it by hand (`operator`): nothing is sent until it is enabled again. */
  disable(tenantId: string, subscriptionId: string, now: Date): Promise<WebhookSubscription | undefined>;
  /** The latest attempts, newest first. */
  deliveries(tenantId: string, subscriptionId: string, limit: number): Promise<DeliveryAttempt[]>;
}

/** What the dispatcher needs: the enabled subscriptions of tenants, and where to record attempts. */
export interface WebhookDeliveryLog {
  enabledFor(tenantIds: readonly string[]): Promise<WebhookSubscription[]>;
  find(tenantId: string, subscriptionId: string): Promise<WebhookSubscription | undefined>;
  /** Records one attempt (a redelivered job's same attempt is recorded once). */
  record(attempt: DeliveryAttempt): Promise<void>;
  /** A 2xx: the failure record is reset. */
  succeeded(tenantId: string, subscriptionId: string): Promise<void>;
  /**
   * A failed attempt: failing since now unless already failing; `exhausted` (the message's last attempt)
   * counts one more message given up and applies the disable rule. Gives whether it is now disabled.
   */
  failed(tenantId: string, subscriptionId: string, now: Date, exhausted: boolean): Promise<{ disabled: boolean }>;
}

export const WEBHOOK_SUBSCRIPTIONS = Symbol('WEBHOOK_SUBSCRIPTIONS');

interface SubscriptionRow {
  tenant_id: string;
  subscription_id: string;
  url: string;
  event_types: string[];
  secret: string;
  description: string | null;
  status: WebhookSubscriptionStatus;
  disabled_reason: string | null;
  disabled_at: Date | null;
  failing_since: Date | null;
  exhausted_since_success: number;
  created_at: Date;
  updated_at: Date;
}

const subscriptionOf = (r: SubscriptionRow): WebhookSubscription => ({
  tenantId: r.tenant_id,
  subscriptionId: r.subscription_id,
  url: r.url,
  eventTypes: r.event_types,
  secret: r.secret,
  description: r.description,
  status: r.status,
  disabledReason: r.disabled_reason,
  disabledAt: r.disabled_at?.toISOString() ?? null,
  failingSince: r.failing_since?.toISOString() ?? null,
  exhaustedSinceSuccess: r.exhausted_since_success,
  createdAt: r.created_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
});

interface DeliveryRow {
  tenant_id: string;
  subscription_id: string;
  message_id: string;
  event_type: string;
  attempt: number;
  attempted_at: Date;
  outcome: DeliveryOutcome;
  status_code: number | null;
  duration_ms: number | null;
  error: string | null;
  next_attempt_at: Date | null;
}

const deliveryOf = (r: DeliveryRow): DeliveryAttempt => ({
  tenantId: r.tenant_id,
  subscriptionId: r.subscription_id,
  messageId: r.message_id,
  eventType: r.event_type,
  attempt: r.attempt,
  attemptedAt: r.attempted_at.toISOString(),
  outcome: r.outcome,
  statusCode: r.status_code,
  durationMs: r.duration_ms,
  error: r.error,
  nextAttemptAt: r.next_attempt_at?.toISOString() ?? null,
});

const COLUMNS = `tenant_id, subscription_id, url, event_types, secret, description, status, disabled_reason, disabled_at,
  failing_since, exhausted_since_success, created_at, updated_at`;

/** Subscriptions and the delivery log in PostgreSQL (`WEBHOOKS_SCHEMA`, applied by the migrator). */
export class PostgresWebhookStore implements WebhookSubscriptions, WebhookDeliveryLog {
  constructor(
    private readonly pool: Pool,
    private readonly policy: DisablePolicy = DEFAULT_DISABLE_POLICY,
  ) {}

  async create(input: NewWebhookSubscription, now: Date): Promise<WebhookSubscription> {
    const r = await this.pool.query<SubscriptionRow>(
      `insert into webhook_subscriptions (tenant_id, subscription_id, url, event_types, secret, description, created_at, updated_at)
       values ($1, $2, $3, $4, $5, $6, $7, $7) returning ${COLUMNS}`,
      [input.tenantId, randomUUID(), input.url, input.eventTypes, input.secret, input.description, now],
    );
    return subscriptionOf(r.rows[0]!);
  }

  async list(tenantId: string): Promise<WebhookSubscription[]> {
    const r = await this.pool.query<SubscriptionRow>(
      `select ${COLUMNS} from webhook_subscriptions where tenant_id = $1 order by created_at, subscription_id`,
      [tenantId],
    );
    return r.rows.map(subscriptionOf);
  }

  async find(tenantId: string, subscriptionId: string): Promise<WebhookSubscription | undefined> {
    const r = await this.pool.query<SubscriptionRow>(
      `select ${COLUMNS} from webhook_subscriptions where tenant_id = $1 and subscription_id = $2`,
      [tenantId, subscriptionId],
    );
    return r.rows[0] ? subscriptionOf(r.rows[0]) : undefined;
  }

  async update(tenantId: string, subscriptionId: string, patch: WebhookSubscriptionPatch, now: Date) {
    const r = await this.pool.query<SubscriptionRow>(
      `update webhook_subscriptions set url = coalesce($3, url), event_types = coalesce($4, event_types),
         description = case when $5::boolean then $6 else description end, updated_at = $7
       where tenant_id = $1 and subscription_id = $2 returning ${COLUMNS}`,
      [
        tenantId,
        subscriptionId,
        patch.url ?? null,
        patch.eventTypes ?? null,
        patch.description !== undefined,
        patch.description ?? null,
        now,
      ],
    );
    return r.rows[0] ? subscriptionOf(r.rows[0]) : undefined;
  }

  async remove(tenantId: string, subscriptionId: string): Promise<boolean> {
    // The log goes with it, in the same statement.
    const r = await this.pool.query(
      `with gone as (delete from webhook_subscriptions where tenant_id = $1 and subscription_id = $2 returning subscription_id),
         log as (delete from webhook_deliveries where tenant_id = $1 and subscription_id in (select subscription_id from gone))
       select count(*)::int as n from gone`,
      [tenantId, subscriptionId],
    );
    return (r.rows[0] as { n: number }).n > 0;
  }

  async enable(tenantId: string, subscriptionId: string, now: Date) {
    const r = await this.pool.query<SubscriptionRow>(
      `update webhook_subscriptions set status = 'enabled', disabled_reason = null, disabled_at = null, failing_since = null,
         exhausted_since_success = 0, updated_at = case when status = 'enabled' then updated_at else $3 end
       where tenant_id = $1 and subscription_id = $2 returning ${COLUMNS}`,
      [tenantId, subscriptionId, now],
    );
    return r.rows[0] ? subscriptionOf(r.rows[0]) : undefined;
  }

  async disable(tenantId: string, subscriptionId: string, now: Date) {
    await this.setDisabled(tenantId, subscriptionId, 'operator', now);
    return this.find(tenantId, subscriptionId);
  }

  async deliveries(tenantId: string, subscriptionId: string, limit: number): Promise<DeliveryAttempt[]> {
    const r = await this.pool.query<DeliveryRow>(
      `select tenant_id, subscription_id, message_id, event_type, attempt, attempted_at, outcome, status_code, duration_ms, error,
         next_attempt_at from webhook_deliveries where tenant_id = $1 and subscription_id = $2
       order by attempted_at desc, message_id, attempt desc limit $3`,
      [tenantId, subscriptionId, limit],
    );
    return r.rows.map(deliveryOf);
  }

  async enabledFor(tenantIds: readonly string[]): Promise<WebhookSubscription[]> {
    if (tenantIds.length === 0) return [];
    const r = await this.pool.query<SubscriptionRow>(
      `select ${COLUMNS} from webhook_subscriptions where tenant_id = any($1::text[]) and status = 'enabled'`,
      [[...new Set(tenantIds)]],
    );
    return r.rows.map(subscriptionOf);
  }

  async record(a: DeliveryAttempt): Promise<void> {
    await this.pool.query(
      `insert into webhook_deliveries (tenant_id, subscription_id, message_id, attempt, event_type, attempted_at, outcome, status_code,
         duration_ms, error, next_attempt_at) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
       on conflict (tenant_id, subscription_id, message_id, attempt) do nothing`,
      [
        a.tenantId,
        a.subscriptionId,
        a.messageId,
        a.attempt,
        a.eventType,
        a.attemptedAt,
        a.outcome,
        a.statusCode,
        a.durationMs,
        a.error,
        a.nextAttemptAt,
      ],
    );
  }

  async succeeded(tenantId: string, subscriptionId: string): Promise<void> {
    await this.pool.query(
      `update webhook_subscriptions set failing_since = null, exhausted_since_success = 0
       where tenant_id = $1 and subscription_id = $2 and (failing_since is not null or exhausted_since_success > 0)`,
      [tenantId, subscriptionId],
    );
  }

  async failed(tenantId: string, subscriptionId: string, now: Date, exhausted: boolean): Promise<{ disabled: boolean }> {
    const r = await this.pool.query<{ failing_since: Date; exhausted_since_success: number; status: WebhookSubscriptionStatus }>(
      `update webhook_subscriptions set failing_since = coalesce(failing_since, $3),
         exhausted_since_success = exhausted_since_success + $4
       where tenant_id = $1 and subscription_id = $2 returning failing_since, exhausted_since_success, status`,
      [tenantId, subscriptionId, now, exhausted ? 1 : 0],
    );
    const row = r.rows[0];
    if (!row || row.status !== 'enabled' || !exhausted) return { disabled: row?.status === 'disabled' };
    const record = { failingSince: row.failing_since, exhaustedSinceSuccess: row.exhausted_since_success };
    if (!shouldDisable(record, now, this.policy)) return { disabled: false };
    await this.setDisabled(tenantId, subscriptionId, 'failing', now);
    return { disabled: true };
  }

  private async setDisabled(tenantId: string, subscriptionId: string, reason: 'failing' | 'operator', now: Date): Promise<void> {
    await this.pool.query(
      `update webhook_subscriptions set status = 'disabled', disabled_reason = $3, disabled_at = $4, updated_at = $4
       where tenant_id = $1 and subscription_id = $2 and status = 'enabled'`,
      [tenantId, subscriptionId, reason, now],
    );
  }
}
