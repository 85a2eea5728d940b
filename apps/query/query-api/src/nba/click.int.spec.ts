import { createHash, randomBytes } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Pool } from 'pg';
import { deterministicId } from '@hub/contracts';
import { foldCustomer, type CustomerEvent, type NbaOutcomeRecorded } from '@hub/customer';
import { createCustomerStores, type CustomerStores } from '@hub/customer-records';
import {
  contactHistoryFrom,
  currentCatalog,
  decide,
  decidedEvent,
  decisionSeed,
  latestTrigger,
  outcomeEventId,
  signTrackingLink,
} from '@hub/nba';
import { freshId, testInfra, TEST_IDENTITY_NAMING } from '@hub/testing';
import { startQueryApi } from '../main';

/**
 * Click-throughs as the customer's answer, in-process against real PostgreSQL: a decision recorded
 * as the worker records it, a tracking link made for it through the API, and the customer's click
 * on `GET /r/:token` (no key): one `accepted` outcome (source `click`) and a 302 to the link's
 * target; a bad or forged token is refused and redirects nowhere.
 */
const sha = (key: string) => createHash('sha256').update(key).digest('hex');
const tenant = freshId('nc');
const key = randomBytes(24).toString('base64url');
const LINK_KEY = randomBytes(32).toString('base64url');
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
    HUB_API_KEYS: `${tenant}:${sha(key)}:read+write`,
    TRACKING_LINK_KEY: LINK_KEY,
  }));
});
afterAll(async () => {
  await app?.close();
  await pool?.end();
});

/** A customer who asked a routine question a minute ago, and the worker's decision on it (a reply on sms). */
async function decidedCustomer(): Promise<{ customerId: string; decisionId: string }> {
  const customerId = freshId('c');
  const at = new Date(Date.now() - 60_000).toISOString();
  const eventId = deterministicId('click-spec', tenant, customerId, 'm1');
  const message: CustomerEvent = {
    type: 'InteractionRecorded',
    data: {
      channel: 'sms',
      direction: 'inbound',
      kind: 'message',
      identities: [{ kind: 'phone', value: '+14155550188' }],
      content: { text: 'How do I reset my password?', media: [] },
      provider: { name: 'twilio', messageId: freshId('SM') },
    },
    metadata: {
      eventId,
      correlationId: eventId,
      causationId: eventId,
      occurredAt: at,
      recordedAt: at,
      schemaVersion: 1,
      tenantId: tenant,
      channel: 'sms',
    },
  };
  await stores.customers.append(tenant, customerId, [message]);
  const trigger = latestTrigger([message])!;
  const decision = decide({
    tenantId: tenant,
    customerId,
    state: foldCustomer([message]),
    stateRevision: '0',
    trigger,
    catalog: currentCatalog(),
    outcomes: {},
    history: contactHistoryFrom([message]),
    now: new Date(Date.parse(at) + 1_000).toISOString(),
    seed: decisionSeed(tenant, customerId, trigger.metadata.eventId),
  });
  await stores.customers.append(tenant, customerId, [decidedEvent(decision, 'corr-click')], 0n);
  return { customerId, decisionId: decision.decisionId };
}

const outcomesOf = async (customerId: string) =>
  (await stores.customers.history(tenant, customerId)).events.filter((e): e is NbaOutcomeRecorded => e.type === 'NbaOutcomeRecorded');

const click = (path: string) => fetch(`${url}${path}`, { redirect: 'manual' });

describe('tracking links', () => {
  describe('when the customer clicks the link made for a decision', () => {
    it('records the decision accepted, source click, once, and redirects to the target each time', async () => {
      const { customerId, decisionId } = await decidedCustomer();
      const target = 'https://shop.example/reset?from=mail';
      const made = await fetch(`${url}/tenants/${tenant}/customers/${customerId}/decisions/${decisionId}/tracking-links`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ target }),
      });
      expect(made.status).toBe(201);
      const { path } = (await made.json()) as { path: string };
      expect(path).toMatch(/^\/r\/[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);

      const first = await click(path);
      expect(first.status).toBe(302);
      expect(first.headers.get('location')).toBe(target);
      expect(first.headers.get('cache-control')).toBe('no-store');
      const [outcome, ...more] = await outcomesOf(customerId);
      expect(more).toEqual([]);
      expect(outcome!.data).toEqual(expect.objectContaining({ decisionId, outcome: 'accepted', source: 'click' }));
      expect(outcome!.metadata.eventId).toBe(outcomeEventId(tenant, customerId, decisionId));

      // Clicked again (or the mail client's link scanner first): the same redirect, nothing more recorded.
      const again = await click(path);
      expect(again.status).toBe(302);
      expect(again.headers.get('location')).toBe(target);
      expect(await outcomesOf(customerId)).toHaveLength(1);
    });
  });

  describe('when the token is not one the hub signed', () => {
    it('refuses it — 400 for a malformed token, 401 for a forged one — and redirects nowhere', async () => {
      const { customerId, decisionId } = await decidedCustomer();
      const forged = signTrackingLink({ tenantId: tenant, customerId, decisionId, target: 'https://evil.example/' }, 'x'.repeat(32));
      const refusedForged = await click(`/r/${forged}`);
      expect(refusedForged.status).toBe(401);
      expect(refusedForged.headers.get('location')).toBeNull();
      // The hub's own payload with another target swapped in: the signature no longer holds.
      const genuine = signTrackingLink({ tenantId: tenant, customerId, decisionId, target: 'https://shop.example/' }, LINK_KEY);
      const swapped = `${forged.split('.')[0]}.${genuine.split('.')[1]}`;
      expect((await click(`/r/${swapped}`)).status).toBe(401);
      const malformed = await click('/r/not-a-token?url=https://evil.example/');
      expect(malformed.status).toBe(400);
      expect(malformed.headers.get('location')).toBeNull();
      expect(await outcomesOf(customerId)).toEqual([]);
    });
  });

  describe('when a link is asked for a target that is not an absolute http(s) URL', () => {
    it('is refused as invalid', async () => {
      const { customerId, decisionId } = await decidedCustomer();
      const res = await fetch(`${url}/tenants/${tenant}/customers/${customerId}/decisions/${decisionId}/tracking-links`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ target: 'javascript:alert(1)' }),
      });
      expect(res.status).toBe(400);
    });
  });
});
