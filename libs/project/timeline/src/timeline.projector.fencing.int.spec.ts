import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { customerStream } from '@hub/contracts';
import type { CustomerEvent } from '@hub/customer';
import {
  LeaderFencedError,
  PostgresCheckpointStore,
  PostgresEventStore,
  tryAdvisoryLock,
  type HeldAdvisoryLock,
  type Leadership,
} from '@hub/event-store';
import { eventually, freshId, testInfra } from '@hub/testing';
import { PostgresTimelineStore } from './postgres.timeline.store';
import { TimelineProjector } from './timeline.projector';

/**
 * A projector that lost its leadership without noticing (paused past the death of its lock's
 * session while another instance took over) must not commit another batch: its checkpoint write is
 * fenced, the batch's read-model change rolls back with it, and it steps down.
 */
describe('given a timeline projector whose leadership was taken over', () => {
  const databaseUrl = testInfra().databaseUrl;
  let pool: Pool;
  let store: PostgresEventStore;
  let timeline: PostgresTimelineStore;
  let checkpoints: PostgresCheckpointStore;
  const tenant = freshId('fp');
  const lockName = freshId('hub.fence-projector.');
  const subscriptionId = `test.timeline.${freshId('f')}`;
  const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
  const locks: HeldAdvisoryLock[] = [];

  beforeAll(async () => {
    pool = new Pool({ connectionString: databaseUrl, max: 6 });
    store = await PostgresEventStore.create({ pool });
    timeline = new PostgresTimelineStore(pool);
    await timeline.ensureSchema();
    checkpoints = await PostgresCheckpointStore.create({ pool });
  });
  afterAll(async () => {
    for (const lock of locks) await lock.release();
    await store?.close();
    await pool?.end();
  });

  const interaction = (customerId: string, text: string): CustomerEvent => {
    const eventId = randomUUID();
    return {
      type: 'InteractionRecorded',
      data: {
        channel: 'sms',
        direction: 'inbound',
        kind: 'message',
        identities: [{ kind: 'phone', value: '+14155558100' }],
        content: { text, media: [] },
        provider: { name: 'twilio', messageId: eventId },
      },
      metadata: {
        eventId,
        correlationId: eventId,
        causationId: eventId,
        occurredAt: '2025-05-01T09:00:00.000Z',
        recordedAt: '2025-05-01T09:00:00.000Z',
        schemaVersion: 1,
        tenantId: tenant,
        channel: 'sms',
      },
    };
  };
  const append = (customerId: string, event: CustomerEvent) =>
    store.appendToStream(customerStream(tenant, customerId), [
      { eventId: event.metadata.eventId, type: event.type, data: event.data, metadata: { ...event.metadata } },
    ]);
  const entries = async () =>
    Number((await pool.query<{ n: string }>('select count(*) as n from timeline_entries where tenant_id = $1', [tenant])).rows[0]!.n);

  async function lead(): Promise<Leadership & { steppedDown: LeaderFencedError[] }> {
    const lock = await tryAdvisoryLock(databaseUrl, lockName);
    if (!lock) throw new Error('lock held');
    locks.push(lock);
    const fence = await lock.advanceEpoch();
    const steppedDown: LeaderFencedError[] = [];
    return { fence, steppedDown, stepDown: (err) => void steppedDown.push(err) };
  }

  it('then its next batch commits nothing, neither the read model nor the checkpoint, and it steps down', async () => {
    const from = await store.headPosition();
    const first = await append('c1', interaction('c1', 'before the takeover'));
    const stale = await lead();
    const projector = new TimelineProjector({
      store,
      timeline,
      checkpoints,
      subscriptionId,
      streamPrefix: customerStream(tenant, ''),
      fromWhenNoCheckpoint: from,
      logger: quiet,
      leadership: stale,
    });
    const subscription = await projector.start();
    await subscription.caughtUp;
    expect(await entries()).toBe(1);
    expect(await checkpoints.load(subscriptionId)).toBe(first.position);

    // Its lock's session died while it was paused; another instance took over (the next epoch).
    await locks.shift()!.release();
    const successor = await lead();
    expect(successor.fence.epoch).toBe(stale.fence.epoch + 1n);

    await append('c1', interaction('c1', 'after the takeover'));
    const [fenced] = await eventually(async () => (stale.steppedDown.length > 0 ? stale.steppedDown : undefined), {
      what: 'the stale projector to step down',
    });
    expect(fenced).toMatchObject({ code: 'LEADER_FENCED', retryable: false });
    await projector.stop();
    expect(await entries()).toBe(1);
    expect(await checkpoints.load(subscriptionId)).toBe(first.position);

    // The successor projects the batch the stale leader could not.
    const next = new TimelineProjector({
      store,
      timeline,
      checkpoints,
      subscriptionId,
      streamPrefix: customerStream(tenant, ''),
      fromWhenNoCheckpoint: from,
      logger: quiet,
      leadership: successor,
    });
    await (
      await next.start()
    ).caughtUp;
    await next.stop();
    expect(await entries()).toBe(2);
    expect(successor.steppedDown).toEqual([]);
  });
});
