import { Pool } from 'pg';
import { SchemaMigrator } from '@hub/platform';
import { freshDatabase } from '@hub/testing';
import { generateWebhookSecret } from '@hub/webhooks';
import { PostgresWebhookStore, type DeliveryAttempt } from './webhook.store';
import { WEBHOOKS_SCHEMA } from './webhooks.schema-migrations';

const t0 = new Date('2026-12-01T00:00:00.000Z');
const at = (ms: number) => new Date(t0.getTime() + ms);
const DAY = 86_400_000;

describe('PostgresWebhookStore', () => {
  let db: { url: string; drop(): Promise<void> };
  let pool: Pool;
  let store: PostgresWebhookStore;
  const subscribe = (tenantId: string, eventTypes = ['*']) =>
    store.create({ tenantId, url: 'https://platform.example/hooks', eventTypes, secret: generateWebhookSecret(), description: null }, t0);

  beforeAll(async () => {
    db = await freshDatabase('webhooks');
    pool = new Pool({ connectionString: db.url, max: 4 });
    expect(await new SchemaMigrator(pool, [WEBHOOKS_SCHEMA]).up()).toEqual(['webhooks@1']);
    store = new PostgresWebhookStore(pool);
  });
  afterAll(async () => {
    await pool.end();
    await db.drop();
  });

  describe('when a tenant subscribes', () => {
    it('lists, finds, updates and removes the subscription, and no other tenant sees it', async () => {
      const s = await subscribe('acme', ['work_item.*']);
      expect(s).toMatchObject({ tenantId: 'acme', status: 'enabled', eventTypes: ['work_item.*'], failingSince: null });
      expect((await store.list('acme')).map((x) => x.subscriptionId)).toEqual([s.subscriptionId]);
      expect(await store.find('other', s.subscriptionId)).toBeUndefined();
      expect(await store.update('other', s.subscriptionId, { url: 'https://x.example' }, t0)).toBeUndefined();

      const updated = await store.update('acme', s.subscriptionId, { eventTypes: ['*'], description: 'crm' }, at(1));
      expect(updated).toMatchObject({ url: s.url, eventTypes: ['*'], description: 'crm', updatedAt: at(1).toISOString() });
      expect(await store.update('acme', s.subscriptionId, { description: null }, at(2))).toMatchObject({ description: null });

      expect(await store.remove('other', s.subscriptionId)).toBe(false);
      expect(await store.remove('acme', s.subscriptionId)).toBe(true);
      expect(await store.list('acme')).toEqual([]);
    });

    it('gives the dispatcher only the enabled subscriptions of the tenants asked for', async () => {
      const a = await subscribe('t-a');
      const b = await subscribe('t-b');
      await subscribe('t-c');
      await store.disable('t-b', b.subscriptionId, t0);
      expect((await store.enabledFor(['t-a', 't-b', 't-a'])).map((s) => s.subscriptionId)).toEqual([a.subscriptionId]);
    });
  });

  describe('when deliveries fail', () => {
    it('a slow failure keeps it; a message given up after 5 days of failures disables it; enabling resets the record', async () => {
      const s = await subscribe('t-fail');
      expect(await store.failed('t-fail', s.subscriptionId, t0, false)).toEqual({ disabled: false });
      expect(await store.failed('t-fail', s.subscriptionId, at(DAY), true)).toEqual({ disabled: false });
      expect(await store.find('t-fail', s.subscriptionId)).toMatchObject({ failingSince: t0.toISOString(), exhaustedSinceSuccess: 1 });

      expect(await store.failed('t-fail', s.subscriptionId, at(5 * DAY), true)).toEqual({ disabled: true });
      expect(await store.find('t-fail', s.subscriptionId)).toMatchObject({ status: 'disabled', disabledReason: 'failing' });
      expect(await store.enabledFor(['t-fail'])).toEqual([]);

      expect(await store.enable('t-fail', s.subscriptionId, at(6 * DAY))).toMatchObject({
        status: 'enabled',
        disabledReason: null,
        failingSince: null,
        exhaustedSinceSuccess: 0,
      });
    });

    it('a success in between resets the failure record', async () => {
      const s = await subscribe('t-flaky');
      await store.failed('t-flaky', s.subscriptionId, t0, true);
      await store.succeeded('t-flaky', s.subscriptionId);
      expect(await store.failed('t-flaky', s.subscriptionId, at(5 * DAY), true)).toEqual({ disabled: false });
      expect(await store.find('t-flaky', s.subscriptionId)).toMatchObject({
        failingSince: at(5 * DAY).toISOString(),
        exhaustedSinceSuccess: 1,
      });
    });
  });

  it('logs each attempt once, newest first', async () => {
    const s = await subscribe('t-log');
    const attempt = (n: number, outcome: DeliveryAttempt['outcome']): DeliveryAttempt => ({
      tenantId: 't-log',
      subscriptionId: s.subscriptionId,
      messageId: 'm-1',
      eventType: 'decision.made',
      attempt: n,
      attemptedAt: at(n * 1000).toISOString(),
      outcome,
      statusCode: outcome === 'failed' ? 500 : 204,
      durationMs: 3,
      error: outcome === 'failed' ? 'HTTP 500' : null,
      nextAttemptAt: outcome === 'failed' ? at(n * 1000 + 5000).toISOString() : null,
    });
    await store.record(attempt(1, 'failed'));
    await store.record(attempt(1, 'failed'));
    await store.record(attempt(2, 'succeeded'));
    expect(await store.deliveries('t-log', s.subscriptionId, 10)).toEqual([attempt(2, 'succeeded'), attempt(1, 'failed')]);
    expect(await store.deliveries('other', s.subscriptionId, 10)).toEqual([]);

    // Deleting the subscription deletes its log.
    expect(await store.remove('t-log', s.subscriptionId)).toBe(true);
    expect(await store.deliveries('t-log', s.subscriptionId, 10)).toEqual([]);
  });
});
