import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { customerStream } from '@hub/contracts';
import { PostgresEventStore, type NewEvent } from '@hub/event-store';
import { freshId, testInfra } from '@hub/testing';
import { DemoDatabase } from './measure';

/**
 * The demo waits until every customer's latest trigger has its decision (`awaitingDecision`). A
 * survivor is decided on its whole history, merges nested to any depth: a trigger two merges down
 * is the survivor's latest, and the demo must count it answered by the survivor's decision.
 */
describe('DemoDatabase.awaitingDecision', () => {
  const infra = testInfra();
  let pool: Pool;
  let store: PostgresEventStore;
  let demo: DemoDatabase;

  beforeAll(async () => {
    pool = new Pool({ connectionString: infra.databaseUrl, max: 2 });
    store = await PostgresEventStore.create({ pool });
    demo = new DemoDatabase(infra.databaseUrl);
  });

  afterAll(async () => {
    await demo.pool.end();
    await pool.end();
  });

  const event = (tenantId: string, type: string, data: Record<string, unknown>, eventId = randomUUID()): NewEvent => ({
    eventId,
    type,
    data,
    metadata: {
      eventId,
      correlationId: eventId,
      causationId: eventId,
      occurredAt: '2026-12-06T10:00:00.000Z',
      recordedAt: '2026-12-06T10:00:00.000Z',
      schemaVersion: 1,
      tenantId,
    },
  });

  /** S ← M1 ← M2: M2 merged into M1, then M1 into S; the latest trigger is M2's. Returns the trigger ids. */
  async function nestedMerge(tenantId: string): Promise<{ survivor: string; older: string; latest: string }> {
    const [s, m1, m2] = [randomUUID(), randomUUID(), randomUUID()];
    const stream = (id: string) => customerStream(tenantId, id);
    const older = randomUUID();
    const latest = randomUUID();
    for (const id of [s, m1, m2])
      await store.appendToStream(stream(id), [event(tenantId, 'CustomerRegistered', { customerId: id, tenantId })]);
    await store.appendToStream(stream(s), [event(tenantId, 'InteractionRecorded', { direction: 'inbound' }, older)]);
    await store.appendToStream(stream(m2), [event(tenantId, 'InteractionRecorded', { direction: 'inbound' }, latest)]);
    const mergeA = randomUUID();
    await store.appendToStream(stream(m1), [event(tenantId, 'CustomersMerged', { mergeId: mergeA, survivorId: m1, mergedId: m2 })]);
    await store.appendToStream(stream(m2), [event(tenantId, 'CustomerMergedInto', { mergeId: mergeA, survivorId: m1 })]);
    const mergeB = randomUUID();
    await store.appendToStream(stream(s), [event(tenantId, 'CustomersMerged', { mergeId: mergeB, survivorId: s, mergedId: m1 })]);
    await store.appendToStream(stream(m1), [event(tenantId, 'CustomerMergedInto', { mergeId: mergeB, survivorId: s })]);
    return { survivor: s, older, latest };
  }

  it('counts a survivor answered when its decision is based on a trigger two merges down', async () => {
    const tenantId = freshId('demo');
    const { survivor, latest } = await nestedMerge(tenantId);
    expect(await demo.awaitingDecision(tenantId)).toBe(1);

    await store.appendToStream(customerStream(tenantId, survivor), [event(tenantId, 'NextBestActionDecided', { basedOnEventId: latest })]);

    expect(await demo.awaitingDecision(tenantId)).toBe(0);
  });

  it('does not wait on what calls for no decision: an outbound interaction, or the press of a decision’s button', async () => {
    const tenantId = freshId('demo');
    const stream = customerStream(tenantId, randomUUID());
    const asked = randomUUID();
    await store.appendToStream(stream, [
      event(tenantId, 'CustomerRegistered', { tenantId }),
      event(tenantId, 'InteractionRecorded', { direction: 'inbound' }, asked),
      event(tenantId, 'NextBestActionDecided', { basedOnEventId: asked }),
      event(tenantId, 'InteractionRecorded', { direction: 'outbound', kind: 'call' }),
      event(tenantId, 'InteractionRecorded', { direction: 'inbound', interactive: { type: 'button', id: `nba:${randomUUID()}:accept` } }),
    ]);
    expect(await demo.awaitingDecision(tenantId)).toBe(0);
    const again = randomUUID();
    await store.appendToStream(stream, [event(tenantId, 'InteractionRecorded', { direction: 'inbound' }, again)]);
    expect(await demo.awaitingDecision(tenantId)).toBe(1);
    // A decision made once an agent's call-back was recorded after the question is based on the call-back: it answers the question too.
    const callBack = randomUUID();
    await store.appendToStream(stream, [
      event(tenantId, 'InteractionRecorded', { direction: 'outbound', kind: 'call' }, callBack),
      event(tenantId, 'NextBestActionDecided', { basedOnEventId: callBack }),
    ]);
    expect(await demo.awaitingDecision(tenantId)).toBe(0);
  });

  it('still waits for a survivor whose decision answers an older trigger than the nested one', async () => {
    const tenantId = freshId('demo');
    const { survivor, older } = await nestedMerge(tenantId);
    await store.appendToStream(customerStream(tenantId, survivor), [event(tenantId, 'NextBestActionDecided', { basedOnEventId: older })]);

    expect(await demo.awaitingDecision(tenantId)).toBe(1);
  });
});
