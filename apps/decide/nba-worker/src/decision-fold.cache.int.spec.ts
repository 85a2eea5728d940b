import { Pool } from 'pg';
import { deterministicId, type InteractionReceived } from '@hub/contracts';
import {
  createCustomerStores,
  eraseCustomerRecord,
  mergeCustomers,
  previewCustomerMerge,
  recordInteraction,
  toCustomerEvent,
  type CustomerStores,
} from '@hub/customer-records';
import { freshId, testInfra, TEST_IDENTITY_NAMING } from '@hub/testing';
import { DecisionFoldCache } from './decision-fold.cache';
import { decisionFoldOf, type DecisionFold } from './decision-fold';
import { NbaDecideJob } from './nba-decide.job';
import { CustomerStream } from './testing/customer-stream';

let pool: Pool;
let stores: CustomerStores;
/** Another writer of the same streams: the recorder, a merge or an erasure from the API. */
let elsewhere: CustomerStores;

beforeAll(async () => {
  pool = new Pool({ connectionString: testInfra().databaseUrl, max: 10 });
  stores = await createCustomerStores(pool, { identityNaming: TEST_IDENTITY_NAMING });
  elsewhere = await createCustomerStores(pool, { identityNaming: TEST_IDENTITY_NAMING });
});
afterAll(() => pool.end());

/** The fold of the whole stream as it stands, from scratch. */
async function fullFold(tenantId: string, customerId: string): Promise<DecisionFold> {
  const recorded = await elsewhere.customers.recordedAfter(tenantId, customerId);
  return decisionFoldOf(recorded.map((r) => ({ revision: r.revision, event: toCustomerEvent(r) })));
}

/** The fold of the customer's whole history (their stream and those merged into it), from scratch. */
async function wholeFold(tenantId: string, customerId: string): Promise<DecisionFold> {
  const { own, history } = await elsewhere.customers.readWholeHistory(tenantId, customerId);
  return {
    ...decisionFoldOf(history.map((h) => ({ revision: h.revision, event: h.event, mergedIn: h.customerId !== customerId }))),
    revision: own.at(-1)?.revision ?? -1n,
  };
}

const NOW = '2026-11-23T10:00:00.000Z';
function sms(tenantId: string, phone: string, text: string): InteractionReceived {
  const eventId = deterministicId('fold-cache-sms', tenantId, phone, text);
  return {
    type: 'InteractionReceived',
    data: {
      direction: 'inbound',
      kind: 'message',
      identities: [{ kind: 'phone', value: phone }],
      content: { text, media: [] },
      provider: { name: 'twilio', messageId: eventId },
    },
    metadata: {
      eventId,
      correlationId: eventId,
      causationId: eventId,
      occurredAt: NOW,
      recordedAt: NOW,
      schemaVersion: 1,
      tenantId,
      channel: 'sms',
    },
  };
}

describe('DecisionFoldCache', () => {
  describe('given a kept fold, when others append to the stream between jobs', () => {
    it('then each job reads only what was appended since, and the fold equals a full fold of the stream', async () => {
      const c = new CustomerStream(freshId('tn'), freshId('c'));
      const cache = new DecisionFoldCache(stores.customers, 100);
      await elsewhere.customers.append(c.tenantId, c.customerId, [
        c.registered('2026-11-23T09:00:00.000Z'),
        c.message('m1', '2026-11-23T09:00:00.000Z', 'hello'),
      ]);
      expect(await cache.current(c.tenantId, c.customerId)).toMatchObject({
        read: 2,
        cached: false,
      });

      await elsewhere.customers.append(c.tenantId, c.customerId, [
        c.optedIn('o1', '2026-11-23T09:01:00.000Z'),
        c.resolved('r1', '2026-11-23T09:02:00.000Z'),
      ]);
      await elsewhere.customers.append(c.tenantId, c.customerId, [
        c.traits('t1', '2026-11-23T09:03:00.000Z', {
          timeZone: 'Europe/Paris',
          tier: 'gold',
        }),
      ]);
      const second = await cache.current(c.tenantId, c.customerId);
      expect(second).toMatchObject({ read: 3, cached: true });
      expect(second.fold).toEqual(await fullFold(c.tenantId, c.customerId));

      // Nothing new: nothing read, the same fold.
      const third = await cache.current(c.tenantId, c.customerId);
      expect(third).toMatchObject({ read: 0, cached: true });
      expect(third.fold).toBe(second.fold);
    });

    it('then decisions made on it answer the latest trigger, once, as a job folding the whole stream would', async () => {
      const c = new CustomerStream(freshId('tn'), freshId('c'));
      const cached = new NbaDecideJob(stores.customers, { foldCacheSize: 100 });
      const job = (triggerEventId: string) => ({
        tenantId: c.tenantId,
        customerId: c.customerId,
        triggerEventId,
        correlationId: 'corr',
      });
      await elsewhere.customers.append(c.tenantId, c.customerId, [
        c.registered('2026-11-23T09:00:00.000Z'),
        c.message('m1', '2026-11-23T09:00:00.000Z', 'How do I reset my password?'),
      ]);
      const first = await cached.run(job(c.id('m1')), new Date('2026-11-23T09:00:01.000Z'));
      expect(first).toMatchObject({
        kind: 'decided',
        action: 'kb_password_reset',
      });

      // The customer writes again (recorded elsewhere); the kept fold is advanced by it and by the decision.
      await elsewhere.customers.append(c.tenantId, c.customerId, [c.message('m2', '2026-11-23T09:05:00.000Z', 'where is my order?')]);
      const second = await cached.run(job(c.id('m2')), new Date('2026-11-23T09:05:01.000Z'));
      expect(second.kind).toBe('decided');
      const retried = await cached.run(job(c.id('m2')), new Date('2026-11-23T09:05:02.000Z'));
      expect(retried).toEqual({
        kind: 'already_decided',
        decisionId: (second as { decisionId: string }).decisionId,
      });
      // A job that keeps nothing finds the same.
      expect(await new NbaDecideJob(stores.customers).run(job(c.id('m2')), new Date('2026-11-23T09:05:03.000Z'))).toEqual(retried);

      const decisions = (await fullFold(c.tenantId, c.customerId)).history.decisions;
      expect(decisions.map((d) => d.basedOnEventId)).toEqual([c.id('m1'), c.id('m2')]);
      expect((await cached.folds.current(c.tenantId, c.customerId)).fold).toEqual(await fullFold(c.tenantId, c.customerId));
    });
  });

  describe('given a kept fold that the events the worker consumes advance (observe)', () => {
    /** What the relay publishes and the worker consumes: the stored event, opened. */
    const consumed = async (c: CustomerStream) => (await elsewhere.customers.recordedAfter(c.tenantId, c.customerId)).at(-1)!;

    it('then a job whose trigger it covers decides without reading the store, as a job reading the whole stream would', async () => {
      const c = new CustomerStream(freshId('tn'), freshId('c'));
      const job = new NbaDecideJob(stores.customers, { foldCacheSize: 100 });
      const data = (name: string, revision: bigint) => ({
        tenantId: c.tenantId,
        customerId: c.customerId,
        triggerEventId: c.id(name),
        correlationId: 'corr',
        triggerRevision: revision.toString(),
      });
      await elsewhere.customers.append(c.tenantId, c.customerId, [
        c.registered('2026-11-23T09:00:00.000Z'),
        c.message('m1', '2026-11-23T09:00:00.000Z', 'How do I reset my password?'),
      ]);
      expect(await job.run(data('m1', 1n), new Date('2026-11-23T09:00:01.000Z'))).toMatchObject({ kind: 'decided' });
      job.folds.observe(c.tenantId, c.customerId, await consumed(c)); // its own decision, back from the relay
      await elsewhere.customers.append(c.tenantId, c.customerId, [c.message('m2', '2026-11-23T09:05:00.000Z', 'where is my order?')]);
      const m2 = await consumed(c);
      job.folds.observe(c.tenantId, c.customerId, m2);

      const reads = jest.spyOn(stores.customers, 'recordedAfter');
      let decided;
      try {
        decided = await job.run(data('m2', m2.revision), new Date('2026-11-23T09:05:01.000Z'));
        expect(reads).not.toHaveBeenCalled();
      } finally {
        reads.mockRestore();
      }

      expect(decided).toMatchObject({ kind: 'decided', revision: String(m2.revision + 1n) });
      const full = await fullFold(c.tenantId, c.customerId);
      expect(full.history.decisions.map((d) => d.basedOnEventId)).toEqual([c.id('m1'), c.id('m2')]);
      // The same decision a worker keeping nothing would have made from the store (ids and seeds derive from the trigger).
      const fresh = new CustomerStream(freshId('tn'), c.customerId);
      expect((decided as { action: string }).action).toBe(
        await (async () => {
          await elsewhere.customers.append(fresh.tenantId, fresh.customerId, [
            fresh.registered('2026-11-23T09:00:00.000Z'),
            fresh.message('m1', '2026-11-23T09:00:00.000Z', 'How do I reset my password?'),
          ]);
          const plain = new NbaDecideJob(stores.customers);
          await plain.run(
            { tenantId: fresh.tenantId, customerId: fresh.customerId, triggerEventId: fresh.id('m1'), correlationId: 'corr' },
            new Date('2026-11-23T09:00:01.000Z'),
          );
          await elsewhere.customers.append(fresh.tenantId, fresh.customerId, [
            fresh.message('m2', '2026-11-23T09:05:00.000Z', 'where is my order?'),
          ]);
          const r = await plain.run(
            { tenantId: fresh.tenantId, customerId: fresh.customerId, triggerEventId: fresh.id('m2'), correlationId: 'corr' },
            new Date('2026-11-23T09:05:01.000Z'),
          );
          return (r as { action: string }).action;
        })(),
      );
    });

    it('then when the stream moved on past what it saw, the decision is made once, on the stream as it stands', async () => {
      const c = new CustomerStream(freshId('tn'), freshId('c'));
      const job = new NbaDecideJob(stores.customers, { foldCacheSize: 100 });
      await elsewhere.customers.append(c.tenantId, c.customerId, [c.registered('2026-11-23T09:00:00.000Z')]);
      await job.folds.current(c.tenantId, c.customerId);
      await elsewhere.customers.append(c.tenantId, c.customerId, [
        c.message('m1', '2026-11-23T09:00:00.000Z', 'How do I reset my password?'),
      ]);
      const m1 = await consumed(c);
      job.folds.observe(c.tenantId, c.customerId, m1);
      // Recorded but not consumed yet when the job runs.
      await elsewhere.customers.append(c.tenantId, c.customerId, [c.message('m2', '2026-11-23T09:00:30.000Z', 'where is my order?')]);

      const r = await job.run(
        {
          tenantId: c.tenantId,
          customerId: c.customerId,
          triggerEventId: c.id('m1'),
          correlationId: 'corr',
          triggerRevision: m1.revision.toString(),
        },
        new Date('2026-11-23T09:00:31.000Z'),
      );

      expect(r).toMatchObject({ kind: 'decided', revision: String(m1.revision + 2n) });
      const full = await fullFold(c.tenantId, c.customerId);
      expect(full.history.decisions.map((d) => d.basedOnEventId)).toEqual([c.id('m2')]);
    });

    it('then an event it does not continue (a gap) drops it, and an event it already has changes nothing', async () => {
      const c = new CustomerStream(freshId('tn'), freshId('c'));
      const cache = new DecisionFoldCache(stores.customers, 100);
      await elsewhere.customers.append(c.tenantId, c.customerId, [
        c.registered('2026-11-23T09:00:00.000Z'),
        c.message('m1', '2026-11-23T09:00:00.000Z', 'hi'),
      ]);
      const kept = (await cache.current(c.tenantId, c.customerId)).fold;
      cache.observe(c.tenantId, c.customerId, await consumed(c)); // a redelivery of what it has
      expect((await cache.current(c.tenantId, c.customerId, 1n)).fold).toBe(kept);

      await elsewhere.customers.append(c.tenantId, c.customerId, [
        c.message('m2', '2026-11-23T09:01:00.000Z', 'a'),
        c.message('m3', '2026-11-23T09:02:00.000Z', 'b'),
      ]);
      cache.observe(c.tenantId, c.customerId, await consumed(c)); // m3 without m2
      const after = await cache.current(c.tenantId, c.customerId, 3n);
      expect(after).toMatchObject({ cached: false, read: 4 });
      expect(after.fold).toEqual(await fullFold(c.tenantId, c.customerId));
    });
  });

  describe('when two customers it keeps are merged', () => {
    it('then the survivor’s fold is refolded over the whole customer, the merged one’s history and decisions included, and the merged one is dropped', async () => {
      const tenantId = freshId('tn');
      const deps = {
        customers: elsewhere.customers,
        identities: elsewhere.identities,
      };
      const a = await recordInteraction(deps, sms(tenantId, '+14155550401', 'first'), NOW);
      const b = await recordInteraction(deps, sms(tenantId, '+14155550402', 'second'), NOW);
      const job = new NbaDecideJob(stores.customers, { foldCacheSize: 100 });
      // Each is decided for before anyone knows they are one person.
      for (const r of [a, b])
        expect((await job.run({ tenantId, customerId: r.customerId, triggerEventId: 'any', correlationId: 'c' }, new Date(NOW))).kind).toBe(
          'decided',
        );
      expect(job.folds.size).toBe(2);

      const evidence = {
        source: 'paid_order',
        detail: 'order 7 paid with both numbers',
        identities: [{ kind: 'phone' as const, value: '+14155550402' }],
      };
      const { survivorId, mergedId } = await previewCustomerMerge(deps, {
        tenantId,
        customerIds: [a.customerId, b.customerId],
        evidence,
      });
      expect(
        (
          await mergeCustomers(deps, {
            tenantId,
            customerIds: [a.customerId, b.customerId],
            evidence,
            requestId: 'order-7',
            now: NOW,
          })
        ).outcome,
      ).toBe('merged');

      const survivor = await job.folds.current(tenantId, survivorId);
      // Both customers' messages and decisions are the survivor's now: the kept fold of its own stream alone is not used.
      expect(survivor.fold.state.engagement.total).toBe(2);
      expect(survivor.fold.state.recent.map((r) => r.text).sort()).toEqual(['first', 'second']);
      expect(survivor.fold.history.decisions).toHaveLength(2);
      expect(survivor.fold.revision).toBe((await elsewhere.customers.recordedAfter(tenantId, survivorId)).at(-1)!.revision);
      expect(survivor.fold).toEqual(await wholeFold(tenantId, survivorId));
      // Each trigger is answered once: the merged customer’s message was answered before the merge.
      expect(await job.run({ tenantId, customerId: survivorId, triggerEventId: 'any', correlationId: 'c' }, new Date(NOW))).toMatchObject({
        kind: 'already_decided',
      });
      const merged = await job.folds.current(tenantId, mergedId);
      expect(merged.fold.state.status).toBe('merged');
      expect(job.folds.size).toBe(0);
      expect(
        await job.run(
          {
            tenantId,
            customerId: mergedId,
            triggerEventId: 'any',
            correlationId: 'c',
          },
          new Date(NOW),
        ),
      ).toEqual({ kind: 'nothing_to_decide' });
    });
  });

  describe('when a customer it keeps is erased', () => {
    it('then their fold is dropped (no decrypted copy stays), the next one is a full fold, and nothing is decided', async () => {
      const tenantId = freshId('tn');
      const deps = {
        customers: elsewhere.customers,
        identities: elsewhere.identities,
      };
      const { customerId } = await recordInteraction(deps, sms(tenantId, '+14155550403', 'my address is 1 Main St'), NOW);
      const job = new NbaDecideJob(stores.customers, { foldCacheSize: 100 });
      expect((await job.folds.current(tenantId, customerId)).fold.state.identities).toEqual([{ kind: 'phone', value: '+14155550403' }]);

      await eraseCustomerRecord(
        {
          store: elsewhere.store,
          keys: elsewhere.keys,
          customers: elsewhere.customers,
          identities: elsewhere.identities,
          snapshots: elsewhere.snapshots,
        },
        {
          tenantId,
          customerId,
          reason: 'ticket-1',
          requestedBy: 'dpo',
          now: NOW,
        },
      );
      expect((await job.folds.current(tenantId, customerId)).fold.state.status).toBe('erased');
      expect(job.folds.size).toBe(0);
      const after = await job.folds.current(tenantId, customerId);
      expect(after.cached).toBe(false);
      expect(after.fold).toEqual(await fullFold(tenantId, customerId));
      expect(JSON.stringify(after.fold.last)).not.toContain('1 Main St');
      expect(await job.run({ tenantId, customerId, triggerEventId: 'any', correlationId: 'c' }, new Date(NOW))).toEqual({
        kind: 'nothing_to_decide',
      });
    });
  });

  describe('when a kept fold is older than the time it may be kept', () => {
    it('then it is not used (the stream is read whole again) and a sweep drops it', async () => {
      const tenantId = freshId('tn');
      const c = new CustomerStream(tenantId, 'c-1');
      await elsewhere.customers.append(tenantId, 'c-1', [c.message('m1', NOW, 'hello')]);
      let now = 0;
      const cache = new DecisionFoldCache(stores.customers, 10, 1_000, () => now);
      await cache.current(tenantId, 'c-1');
      now = 999;
      expect(await cache.current(tenantId, 'c-1')).toMatchObject({ cached: true, read: 0 });
      expect(cache.sweep()).toBe(0);
      now = 1_000;
      expect(await cache.current(tenantId, 'c-1')).toMatchObject({ cached: false, read: 1 });
      now = 2_000;
      expect(cache.sweep()).toBe(1);
      expect(cache.size).toBe(0);
    });
  });

  describe('when it may keep fewer customers than it meets', () => {
    it('then the least recently used is dropped first', async () => {
      const tenantId = freshId('tn');
      const cs = [0, 1, 2].map((i) => new CustomerStream(tenantId, `c-${i}`));
      for (const c of cs) await elsewhere.customers.append(c.tenantId, c.customerId, [c.message('m1', NOW, 'hello')]);
      const cache = new DecisionFoldCache(stores.customers, 2);
      await cache.current(tenantId, 'c-0');
      await cache.current(tenantId, 'c-1');
      await cache.current(tenantId, 'c-0');
      await cache.current(tenantId, 'c-2');
      expect(cache.size).toBe(2);
      expect((await cache.current(tenantId, 'c-0')).cached).toBe(true);
      expect((await cache.current(tenantId, 'c-1')).cached).toBe(false);
    });
  });
});

describe('DecisionFoldCache.surveyMayBePending (whether a message must look for a survey follow-up to drop)', () => {
  const last = async (c: CustomerStream) => (await elsewhere.customers.recordedAfter(c.tenantId, c.customerId)).at(-1)!;

  it('is false only while a kept fold ends right before the message and holds no resolution after the latest earlier message', async () => {
    const c = new CustomerStream(freshId('tn'), freshId('c'));
    const cache = new DecisionFoldCache(stores.customers, 100);
    // Nothing kept: a survey may be pending.
    expect(cache.surveyMayBePending(c.tenantId, c.customerId, 2n)).toBe(true);
    await elsewhere.customers.append(c.tenantId, c.customerId, [
      c.registered('2026-11-23T09:00:00.000Z'),
      c.message('m1', '2026-11-23T09:00:00.000Z', 'hi'),
    ]);
    await cache.current(c.tenantId, c.customerId);
    // Kept through revision 1, no resolution ever: the message at 2 has nothing to drop.
    expect(cache.surveyMayBePending(c.tenantId, c.customerId, 2n)).toBe(false);
    // A revision the kept fold does not end right before (a gap, a redelivery, none given): look.
    expect(cache.surveyMayBePending(c.tenantId, c.customerId, 3n)).toBe(true);
    expect(cache.surveyMayBePending(c.tenantId, c.customerId, 1n)).toBe(true);
    expect(cache.surveyMayBePending(c.tenantId, c.customerId, undefined)).toBe(true);

    await elsewhere.customers.append(c.tenantId, c.customerId, [c.resolved('r1', '2026-11-23T09:05:00.000Z')]);
    cache.observe(c.tenantId, c.customerId, await last(c));
    // A resolution after the latest message: its follow-up may be pending.
    expect(cache.surveyMayBePending(c.tenantId, c.customerId, 3n)).toBe(true);

    await elsewhere.customers.append(c.tenantId, c.customerId, [c.message('m2', '2026-11-23T09:06:00.000Z', 'one more thing')]);
    cache.observe(c.tenantId, c.customerId, await last(c));
    // That message's routing dropped it: the next message has nothing to drop.
    expect(cache.surveyMayBePending(c.tenantId, c.customerId, 4n)).toBe(false);
  });
});
