import { createHash, randomBytes } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Pool } from 'pg';
import { deterministicId, type EventMetadata } from '@hub/contracts';
import { foldCustomer, type CustomerEvent, type NbaOutcomeRecorded } from '@hub/customer';
import { createCustomerStores, type CustomerStores } from '@hub/customer-records';
import { currentCatalog, contactHistoryFrom, decide, decidedEvent, decisionSeed, latestTrigger, outcomeEventId } from '@hub/nba';
import { PostgresOutcomeTallyStore } from '@hub/nba-outcomes';
import { freshId, testInfra, TEST_IDENTITY_NAMING } from '@hub/testing';
import { startQueryApi } from '../main';

/**
 * The next-best-action routes of the query API in-process against real PostgreSQL. Customers and
 * their decisions are written to the store as the recorder and the worker write them (the worker's
 * decision is the pure engine's, recorded with `decidedEvent`).
 */
const sha = (key: string) => createHash('sha256').update(key).digest('hex');
const tenantA = freshId('na');
const tenantB = freshId('nb');
const keyA = randomBytes(24).toString('base64url');
const keyB = randomBytes(24).toString('base64url');
let app: NestFastifyApplication;
let url = '';
let pool: Pool;
let stores: CustomerStores;

beforeAll(async () => {
  pool = new Pool({ connectionString: testInfra().databaseUrl, max: 4 });
  stores = await createCustomerStores(pool, { identityNaming: TEST_IDENTITY_NAMING });
  ({ app, url } = await startQueryApi({
    DATABASE_URL: testInfra().databaseUrl,
    PORT: '0',
    LOG_LEVEL: 'silent',
    HUB_API_KEYS: `${tenantA}:${sha(keyA)}:read+write,${tenantB}:${sha(keyB)}:read+write`,
  }));
});
afterAll(async () => {
  await app?.close();
  await pool?.end();
});

const auth = (key = keyA) => ({ authorization: `Bearer ${key}` });
async function call(
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
  key = keyA,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { ...auth(key), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

const meta = (tenantId: string, eventId: string, at: string, channel: EventMetadata['channel'] = 'sms'): EventMetadata => ({
  eventId,
  correlationId: eventId,
  causationId: eventId,
  occurredAt: at,
  recordedAt: at,
  schemaVersion: 1,
  tenantId,
  channel,
});

/** A customer who wrote `text` a minute ago; with `decided`, the worker's decision on it is recorded too. */
async function customerWho(
  text: string,
  { decided = false, tenantId = tenantA } = {},
): Promise<{ customerId: string; decisionId?: string }> {
  const customerId = freshId('c');
  const at = new Date(Date.now() - 60_000).toISOString();
  const message: CustomerEvent = {
    type: 'InteractionRecorded',
    data: {
      channel: 'sms',
      direction: 'inbound',
      kind: 'message',
      identities: [{ kind: 'phone', value: '+14155550177' }],
      content: { text, media: [] },
      provider: { name: 'twilio', messageId: freshId('SM') },
    },
    metadata: meta(tenantId, deterministicId('nba-api-spec', tenantId, customerId, 'm1'), at),
  };
  await stores.customers.append(tenantId, customerId, [message]);
  if (!decided) return { customerId };
  const events = [message];
  const trigger = latestTrigger(events)!;
  const decision = decide({
    tenantId,
    customerId,
    state: foldCustomer(events),
    stateRevision: '0',
    trigger,
    catalog: currentCatalog(),
    outcomes: {},
    history: contactHistoryFrom(events),
    now: new Date(Date.parse(at) + 1_000).toISOString(),
    seed: decisionSeed(tenantId, customerId, trigger.metadata.eventId),
  });
  await stores.customers.append(tenantId, customerId, [decidedEvent(decision, 'corr-api')], 0n);
  return { customerId, decisionId: decision.decisionId };
}

const outcomesOf = async (tenantId: string, customerId: string) =>
  (await stores.customers.history(tenantId, customerId)).events.filter((e): e is NbaOutcomeRecorded => e.type === 'NbaOutcomeRecorded');

describe('GET /tenants/:tenantId/customers/:customerId/next-best-actions/menu', () => {
  describe('when the customer asked a routine question', () => {
    it('ranks the menu now, with every candidate’s explanation, and records nothing', async () => {
      const { customerId } = await customerWho('How do I reset my password?');
      const before = (await stores.customers.history(tenantA, customerId)).events.length;
      const res = await call('GET', `/tenants/${tenantA}/customers/${customerId}/next-best-actions/menu`);
      expect(res.status).toBe(200);
      expect(res.body).toEqual(
        expect.objectContaining({
          customerId,
          recorded: false,
          basedOnRevision: '0',
          trigger: 'InteractionRecorded',
          catalogVersion: currentCatalog().catalogVersion,
          seed: expect.any(Number),
        }),
      );
      const [first] = res.body['menu'] as {
        rank: number;
        actionId: string;
        channel: string;
        explanation: { policies: unknown[]; score: { propensity: { alpha: number; beta: number } } };
      }[];
      expect(first).toEqual(expect.objectContaining({ rank: 1, actionId: 'kb_password_reset', channel: 'sms' }));
      expect(first!.explanation.policies.length).toBeGreaterThan(0);
      expect(first!.explanation.score.propensity).toEqual(expect.objectContaining({ alpha: expect.any(Number), beta: expect.any(Number) }));
      expect((res.body['candidates'] as unknown[]).length).toBe(currentCatalog().actions.length);
      expect((await stores.customers.history(tenantA, customerId)).events.length).toBe(before);
    });
  });

  describe('when the population has outcomes for the action', () => {
    it('ranks with the posterior they give (the worker’s tally)', async () => {
      const { customerId } = await customerWho('How do I reset my password?');
      const menu = async () =>
        (
          (await call('GET', `/tenants/${tenantA}/customers/${customerId}/next-best-actions/menu`)).body['menu'] as {
            actionId: string;
            explanation: { score: { propensity: { alpha: number } } };
          }[]
        )[0]!;
      const segment = (await call('GET', `/tenants/${tenantA}/customers/${customerId}/next-best-actions/menu`)).body['segment'] as string;
      const prior = (await menu()).explanation.score.propensity.alpha;
      // The tables as the nba-worker creates them.
      await PostgresOutcomeTallyStore.create(pool);
      await pool.query(`insert into nba_outcome_tally (tenant_id, action_id, segment, accepted) values ($1, 'kb_password_reset', $2, 12)`, [
        tenantA,
        segment,
      ]);
      expect((await menu()).explanation.score.propensity.alpha).toBeCloseTo(prior + 12, 9);
    });
  });

  describe('when the customer does not exist, or belongs to another tenant', () => {
    it('answers 404 the same way', async () => {
      const { customerId } = await customerWho('hello');
      expect((await call('GET', `/tenants/${tenantA}/customers/${freshId('nobody')}/next-best-actions/menu`)).status).toBe(404);
      const other = await call('GET', `/tenants/${tenantA}/customers/${customerId}/next-best-actions/menu`, undefined, keyB);
      expect(other).toEqual({ status: 404, body: { error: 'not_found', reason: 'unknown customer' } });
      expect((await call('GET', `/tenants/${tenantB}/customers/${customerId}/next-best-actions/menu`, undefined, keyB)).status).toBe(404);
    });
  });
});

describe('POST /tenants/:tenantId/customers/:customerId/decisions/:decisionId/outcome', () => {
  const path = (customerId: string, decisionId: string, tenantId = tenantA) =>
    `/tenants/${tenantId}/customers/${customerId}/decisions/${decisionId}/outcome`;

  describe('when a decision that contacted the customer is accepted', () => {
    it('records NbaOutcomeRecorded once: 201, then 200 for the same outcome again, 409 for another', async () => {
      const { customerId, decisionId } = await customerWho('How do I reset my password?', { decided: true });
      const first = await call('POST', path(customerId, decisionId!), { outcome: 'accepted', source: 'agent' });
      expect(first.status).toBe(201);
      expect(first.body).toEqual(
        expect.objectContaining({
          recorded: true,
          decisionId,
          outcome: 'accepted',
          eventId: outcomeEventId(tenantA, customerId, decisionId!),
        }),
      );
      const again = await call('POST', path(customerId, decisionId!), { outcome: 'accepted' });
      expect(again.status).toBe(200);
      expect(again.body).toEqual(expect.objectContaining({ recorded: false, outcome: 'accepted' }));
      const other = await call('POST', path(customerId, decisionId!), { outcome: 'declined' });
      expect(other.status).toBe(409);
      expect(other.body).toEqual(
        expect.objectContaining({
          error: 'conflict',
          reason: 'outcome_already_recorded',
          recorded: expect.objectContaining({ outcome: 'accepted' }),
        }),
      );

      const [outcome, ...more] = await outcomesOf(tenantA, customerId);
      expect(more).toEqual([]);
      expect(outcome!.data).toEqual({
        decisionId,
        actionId: 'kb_password_reset',
        outcome: 'accepted',
        segment: expect.any(String),
        channel: 'sms',
        source: 'agent',
      });
      expect(outcome!.metadata).toEqual(expect.objectContaining({ causationId: decisionId, correlationId: 'corr-api' }));

      // The customer's decisions name what became of each.
      const listed = await call('GET', `/tenants/${tenantA}/customers/${customerId}/next-best-actions`);
      expect(listed.status).toBe(200);
      const history = listed.body['history'] as { decisionId: string; outcome: unknown; sends: unknown[] }[];
      expect(history.map((d) => [d.decisionId, d.outcome, d.sends])).toEqual([
        // No outbound sender ran on this database (no send ledger): no sends.
        [decisionId, { outcome: 'accepted', source: 'agent', at: outcome!.metadata.occurredAt }, []],
      ]);
    });
  });

  describe('when two outcomes are posted at the same moment', () => {
    it('stores one; the other is told which', async () => {
      const { customerId, decisionId } = await customerWho('What are your opening hours?', { decided: true });
      const answers = await Promise.all([
        call('POST', path(customerId, decisionId!), { outcome: 'accepted' }),
        call('POST', path(customerId, decisionId!), { outcome: 'declined' }),
      ]);
      expect(answers.map((a) => a.status).sort()).toEqual([201, 409]);
      expect(await outcomesOf(tenantA, customerId)).toHaveLength(1);
    });
  });

  describe('when the decision is not in that customer’s stream', () => {
    it('answers 404, for an unknown decision, an unknown customer and another tenant alike', async () => {
      const { customerId, decisionId } = await customerWho('What are your opening hours?', { decided: true });
      const { customerId: someoneElse } = await customerWho('hello', { decided: true });
      expect(await call('POST', path(customerId, freshId('d')), { outcome: 'accepted' })).toEqual({
        status: 404,
        body: { error: 'not_found', reason: 'unknown decision' },
      });
      expect((await call('POST', path(someoneElse, decisionId!), { outcome: 'accepted' })).status).toBe(404);
      expect((await call('POST', path(freshId('nobody'), decisionId!), { outcome: 'accepted' })).status).toBe(404);
      expect(await call('POST', path(customerId, decisionId!), { outcome: 'accepted' }, keyB)).toEqual({
        status: 404,
        body: { error: 'not_found', reason: 'unknown customer' },
      });
      expect(await outcomesOf(tenantA, customerId)).toEqual([]);
    });
  });

  describe('when the decision was to do nothing', () => {
    it('answers 409: there is nothing to accept or decline', async () => {
      const { customerId, decisionId } = await customerWho('ok', { decided: true });
      const res = await call('POST', path(customerId, decisionId!), { outcome: 'declined' });
      expect(res.status).toBe(409);
      expect(res.body['reason']).toBe('decision_made_no_contact');
    });
  });

  describe('when the body is invalid', () => {
    it('answers 400 naming every failing field', async () => {
      const { customerId, decisionId } = await customerWho('What are your opening hours?', { decided: true });
      const res = await call('POST', path(customerId, decisionId!), {
        outcome: 'no_response',
        channel: 'pigeon',
        source: 'Not A Code',
        extra: 1,
      });
      expect(res.status).toBe(400);
      expect((res.body['fields'] as { field: string }[]).map((f) => f.field).sort()).toEqual(['channel', 'extra', 'outcome', 'source']);
      expect((await call('POST', path(customerId, decisionId!), undefined)).status).toBe(400);
    });
  });

  describe('when no key is sent', () => {
    it('answers 401', async () => {
      const res = await fetch(`${url}${path('c', 'd')}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"outcome":"accepted"}',
      });
      expect(res.status).toBe(401);
    });
  });
});
