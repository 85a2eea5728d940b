import type { Pool } from 'pg';
import type { ChannelId } from '@hub/contracts';
import type { ProviderSendOutcome, SendKey, SendRecord, SendResolution, SendState, SkipReason } from './outbound-send';
import type { SendIntent, SendLedger } from './send-ledger.port';

/** `outbound_sends`: the send ledger, owned by this lib (version 1 of `OUTBOUND_SCHEMA`). */
export const OUTBOUND_SENDS_DDL = `
create table if not exists outbound_sends (
  tenant_id text not null,
  decision_id text not null,
  channel text not null,
  customer_id text not null,
  send_id uuid not null,
  state text not null check (state in ('intent', 'sent', 'failed_permanent', 'not_sent', 'in_doubt', 'skipped')),
  attempts integer not null default 0,
  provider text not null,
  recipient text,
  body text,
  provider_message_id text,
  error_code text,
  error_message text,
  skip_reason text,
  resolution text,
  intent_at timestamptz,
  updated_at timestamptz not null,
  primary key (tenant_id, decision_id, channel)
);
create unique index if not exists outbound_sends_send_id on outbound_sends (send_id);
create index if not exists outbound_sends_message on outbound_sends (tenant_id, provider, provider_message_id) where provider_message_id is not null;
create index if not exists outbound_sends_open on outbound_sends (state, updated_at) where state in ('intent', 'in_doubt', 'not_sent');`;

interface Row {
  tenant_id: string;
  decision_id: string;
  channel: string;
  customer_id: string;
  send_id: string;
  state: SendState;
  attempts: number;
  provider: string;
  recipient: string | null;
  body: string | null;
  provider_message_id: string | null;
  error_code: string | null;
  error_message: string | null;
  skip_reason: string | null;
  resolution: string | null;
  intent_at: Date | null;
  updated_at: Date;
}

const KEY = 'tenant_id = $1 and decision_id = $2 and channel = $3';
/** PostgreSQL's `undefined_table`. */
const UNDEFINED_TABLE = '42P01';

/**
 * The recipient and the text are kept only while a lookup may need them (`intent`, `in_doubt`,
 * `not_sent`): a settled send forgets them (`$4` is the new state), so the ledger holds personal
 * data only for sends in flight; the outbound interaction, sealed with the customer's key, keeps both.
 */
const FORGET_WHEN_SETTLED = `recipient = case when $4::text in ('sent', 'failed_permanent') then null else recipient end,
         body = case when $4::text in ('sent', 'failed_permanent') then null else body end`;

/** The send ledger in PostgreSQL: every move one conditional statement, so a lost race changes nothing. */
export class PostgresSendLedger implements SendLedger {
  constructor(private readonly pool: Pool) {}

  async find(key: SendKey): Promise<SendRecord | undefined> {
    const r = await this.pool.query<Row>(`select * from outbound_sends where ${KEY}`, keyParams(key));
    return r.rows[0] ? toRecord(r.rows[0]) : undefined;
  }

  async recordIntent(i: SendIntent): Promise<boolean> {
    const r = await this.pool.query(
      `insert into outbound_sends (tenant_id, decision_id, channel, customer_id, send_id, state, attempts, provider, recipient, body, intent_at, updated_at)
       values ($1, $2, $3, $4, $5, 'intent', 1, $6, $7, $8, $9, $9)
       on conflict (tenant_id, decision_id, channel) do nothing`,
      [...keyParams(i), i.customerId, i.sendId, i.provider, i.to, i.body, i.at],
    );
    return r.rowCount === 1;
  }

  async recordRetryIntent(i: SendIntent): Promise<boolean> {
    const r = await this.pool.query(
      `update outbound_sends set state = 'intent', attempts = attempts + 1, recipient = $4, body = $5, intent_at = $6, updated_at = $6
       where ${KEY} and state = 'not_sent'`,
      [...keyParams(i), i.to, i.body, i.at],
    );
    return r.rowCount === 1;
  }

  async recordOutcome(key: SendKey, outcome: ProviderSendOutcome, at: string): Promise<boolean> {
    const next = OUTCOME_STATE[outcome.kind];
    const messageId = outcome.kind === 'accepted' ? outcome.providerMessageId : null;
    const code = outcome.kind === 'accepted' ? null : outcome.code;
    const message = outcome.kind === 'accepted' ? null : outcome.message;
    const r = await this.pool.query(
      `update outbound_sends set state = $4, provider_message_id = $5, error_code = $6, error_message = $7, updated_at = $8,
         ${FORGET_WHEN_SETTLED}
       where ${KEY} and state = 'intent'`,
      [...keyParams(key), next, messageId, code, message, at],
    );
    return r.rowCount === 1;
  }

  async recordSkipped(
    key: SendKey & { customerId: string; sendId: string; provider: string },
    reason: SkipReason,
    at: string,
  ): Promise<boolean> {
    const r = await this.pool.query(
      `insert into outbound_sends (tenant_id, decision_id, channel, customer_id, send_id, state, provider, skip_reason, updated_at)
       values ($1, $2, $3, $4, $5, 'skipped', $6, $7, $8)
       on conflict (tenant_id, decision_id, channel) do update set state = 'skipped', skip_reason = excluded.skip_reason, updated_at = excluded.updated_at
       where outbound_sends.state = 'not_sent'`,
      [...keyParams(key), key.customerId, key.sendId, key.provider, reason, at],
    );
    return r.rowCount === 1;
  }

  async markInDoubt(key: SendKey, at: string): Promise<boolean> {
    const r = await this.pool.query(`update outbound_sends set state = 'in_doubt', updated_at = $4 where ${KEY} and state = 'intent'`, [
      ...keyParams(key),
      at,
    ]);
    return r.rowCount === 1;
  }

  async resolveInDoubt(
    key: SendKey,
    result: { state: 'sent'; providerMessageId: string; resolution: SendResolution } | { state: 'not_sent'; resolution: SendResolution },
    at: string,
  ): Promise<boolean> {
    const messageId = result.state === 'sent' ? result.providerMessageId : null;
    const r = await this.pool.query(
      `update outbound_sends set state = $4, provider_message_id = coalesce($5, provider_message_id), resolution = $6, updated_at = $7,
         ${FORGET_WHEN_SETTLED}
       where ${KEY} and state = 'in_doubt'`,
      [...keyParams(key), result.state, messageId, result.resolution, at],
    );
    return r.rowCount === 1;
  }

  /**
   * The sends of these decisions (the query API lists them beside the customer's decisions; by the
   * ledger's key, so its primary index): none on a database the outbound sender never ran against
   * (its table is not there).
   */
  async sendsOf(tenantId: string, decisionIds: readonly string[]): Promise<SendRecord[]> {
    if (decisionIds.length === 0) return [];
    try {
      const r = await this.pool.query<Row>('select * from outbound_sends where tenant_id = $1 and decision_id = any($2::text[])', [
        tenantId,
        decisionIds,
      ]);
      return r.rows.map(toRecord);
    } catch (err) {
      if ((err as { code?: string }).code === UNDEFINED_TABLE) return [];
      throw err;
    }
  }

  async claimedMessageIds(tenantId: string, providerMessageIds: readonly string[], except: SendKey): Promise<Set<string>> {
    if (providerMessageIds.length === 0) return new Set();
    const r = await this.pool.query<{ provider_message_id: string }>(
      `select provider_message_id from outbound_sends
       where tenant_id = $1 and provider_message_id = any($2::text[]) and not (decision_id = $3 and channel = $4)`,
      [tenantId, providerMessageIds, except.decisionId, except.channel],
    );
    return new Set(r.rows.map((row) => row.provider_message_id));
  }
}

const OUTCOME_STATE: Record<ProviderSendOutcome['kind'], SendState> = {
  accepted: 'sent',
  rejected: 'failed_permanent',
  retry_later: 'not_sent',
  unknown: 'in_doubt',
};

const keyParams = (key: SendKey): [string, string, string] => [key.tenantId, key.decisionId, key.channel];

function toRecord(row: Row): SendRecord {
  return {
    tenantId: row.tenant_id,
    decisionId: row.decision_id,
    channel: row.channel as ChannelId,
    customerId: row.customer_id,
    sendId: row.send_id,
    state: row.state,
    attempts: row.attempts,
    provider: row.provider,
    ...(row.recipient !== null ? { to: row.recipient } : {}),
    ...(row.body !== null ? { body: row.body } : {}),
    ...(row.provider_message_id !== null ? { providerMessageId: row.provider_message_id } : {}),
    ...(row.error_code !== null ? { errorCode: row.error_code } : {}),
    ...(row.error_message !== null ? { errorMessage: row.error_message } : {}),
    ...(row.skip_reason !== null ? { skipReason: row.skip_reason as SkipReason } : {}),
    ...(row.resolution !== null ? { resolution: row.resolution as SendResolution } : {}),
    ...(row.intent_at !== null ? { intentAt: row.intent_at.toISOString() } : {}),
    updatedAt: row.updated_at.toISOString(),
  };
}
