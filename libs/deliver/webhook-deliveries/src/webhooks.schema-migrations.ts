import type { ComponentSchema } from '@hub/platform';

/**
 * `webhook_subscriptions`: a tenant's endpoints (URL, event types, secret, enabled or disabled and
 * its failure record). `webhook_deliveries`: the delivery log, one row per attempt (status code,
 * duration, error, when the next attempt is due). Owned by this lib: the outgoing-webhooks app
 * writes both, the query API manages subscriptions and reads the log. `if not exists`: idempotent, as
 * every component's version 1 is (a database made before migrations is recorded, not changed).
 */
export const WEBHOOKS_SCHEMA = {
  component: 'webhooks',
  migrations: [
    {
      version: 1,
      name: 'baseline',
      up: `
create table if not exists webhook_subscriptions (
  tenant_id text not null,
  subscription_id text not null,
  url text not null,
  event_types text[] not null,
  secret text not null,
  description text,
  status text not null default 'enabled',
  disabled_reason text,
  disabled_at timestamptz,
  failing_since timestamptz,
  exhausted_since_success integer not null default 0,
  created_at timestamptz not null,
  updated_at timestamptz not null,
  primary key (tenant_id, subscription_id)
);
create index if not exists webhook_subscriptions_enabled on webhook_subscriptions (tenant_id) where status = 'enabled';
create table if not exists webhook_deliveries (
  tenant_id text not null,
  subscription_id text not null,
  message_id text not null,
  attempt integer not null,
  event_type text not null,
  attempted_at timestamptz not null,
  outcome text not null,
  status_code integer,
  duration_ms integer,
  error text,
  next_attempt_at timestamptz,
  primary key (tenant_id, subscription_id, message_id, attempt)
);
create index if not exists webhook_deliveries_log on webhook_deliveries (tenant_id, subscription_id, attempted_at desc);`,
      down: 'drop table if exists webhook_deliveries; drop table if exists webhook_subscriptions;',
      dropsData: true,
    },
  ],
} as const satisfies ComponentSchema;
