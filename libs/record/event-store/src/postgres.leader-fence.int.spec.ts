import { Client, Pool } from 'pg';
import { eventually, FaultProxy, freshId, testInfra } from '@hub/testing';
import { LeaderFencedError, type Leadership } from './checkpoint-store.port';
import { tryAdvisoryLock, whileLeader, type LeaderLogger } from './postgres.advisory-lock';
import { PostgresCheckpointStore } from './postgres.checkpoint-store';
import { advanceLeaderEpoch } from './postgres.leader-fence';

const databaseUrl = testInfra().databaseUrl;
let pool: Pool;
const tables = { tablePrefix: `${freshId('fence')}_`.toLowerCase() };
let checkpoints: PostgresCheckpointStore;

beforeAll(async () => {
  pool = new Pool({ connectionString: databaseUrl, max: 6 });
  checkpoints = await PostgresCheckpointStore.create({ pool, ...tables });
});
afterAll(() => pool.end());

/** A logger that keeps the event names, to wait for them. */
function recordingLogger(): LeaderLogger & { events: string[] } {
  const events: string[] = [];
  return { events, info: (_o, msg) => void events.push(msg), warn: (_o, msg) => void events.push(msg) };
}

/** Takes the lock `name` on a session of its own and its next epoch: what a new leader does. */
async function takeOver(name: string) {
  const lock = await tryAdvisoryLock(databaseUrl, name);
  if (!lock) throw new Error(`${name} is held`);
  return { lock, fence: await lock.advanceEpoch(tables) };
}

describe('given a leader that lost its lock to another instance without noticing', () => {
  it('then its fenced checkpoint write is refused, not retryable, and the checkpoint keeps the new leader’s position', async () => {
    const name = freshId('hub.fence-test.');
    const subscription = freshId('sub');
    const first = await takeOver(name);
    await checkpoints.save(subscription, 10n, undefined, first.fence);
    // Its session dies (the process was paused past it); another instance takes the lock over.
    await first.lock.release();
    const second = await takeOver(name);
    expect(second.fence.epoch).toBe(first.fence.epoch + 1n);
    await checkpoints.save(subscription, 20n, undefined, second.fence);

    // The stale leader wakes up and writes the checkpoint of the batch it was working on.
    const refused = checkpoints.save(subscription, 15n, undefined, first.fence);
    await expect(refused).rejects.toBeInstanceOf(LeaderFencedError);
    await expect(refused).rejects.toMatchObject({ code: 'LEADER_FENCED', retryable: false });
    expect(await checkpoints.load(subscription)).toBe(20n);

    // In its own transaction (a projection's read-model change and checkpoint), nothing commits.
    const client = await pool.connect();
    try {
      await client.query('begin');
      await expect(checkpoints.save(subscription, 15n, client, first.fence)).rejects.toBeInstanceOf(LeaderFencedError);
      await client.query('rollback');
    } finally {
      client.release();
    }
    expect(await checkpoints.load(subscription)).toBe(20n);
    await second.lock.release();
  });

  it('then a takeover waits for the old leader’s fenced write in flight, so the new leader reads it', async () => {
    const name = freshId('hub.fence-test.');
    const subscription = freshId('sub');
    const first = await takeOver(name);
    const client = await pool.connect();
    try {
      await client.query('begin');
      await checkpoints.save(subscription, 30n, client, first.fence);
      const pid = (await client.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!.pid;
      await first.lock.release();

      const lock = (await tryAdvisoryLock(databaseUrl, name))!;
      const advancing = lock.advanceEpoch(tables);
      // The new epoch waits on the epoch row the write in flight holds.
      await eventually(
        async () => {
          const { rows } = await pool.query<{ waiting: boolean }>(
            'select exists (select 1 from pg_stat_activity where $1 = any(pg_blocking_pids(pid))) as waiting',
            [pid],
          );
          return rows[0]!.waiting || undefined;
        },
        { what: 'the takeover to wait on the write in flight' },
      );
      await client.query('commit');
      const fence = await advancing;
      expect(fence.epoch).toBe(first.fence.epoch + 1n);
      expect(await checkpoints.load(subscription)).toBe(30n);
      await lock.release();
    } finally {
      client.release();
    }
  });
});

describe('whileLeader with fencing', () => {
  it('gives each leadership the next epoch and steps down when a fenced write says another instance leads', async () => {
    const name = freshId('hub.fence-test.');
    const subscription = freshId('sub');
    const logger = recordingLogger();
    const leaderships: Leadership[] = [];
    let stops = 0;
    const leader = whileLeader(
      databaseUrl,
      name,
      logger,
      async (leadership) => {
        leaderships.push(leadership);
        return async () => void stops++;
      },
      { retryMs: 50, logPrefix: 'test', tables },
    );
    try {
      const mine = await eventually(async () => leaderships[0], { what: 'leadership' });
      await checkpoints.save(subscription, 1n, undefined, mine.fence);

      // Another instance took over (its epoch advanced) while this one still believes it leads.
      const other = new Client({ connectionString: databaseUrl });
      await other.connect();
      try {
        await advanceLeaderEpoch(other, name, tables);
      } finally {
        await other.end();
      }
      const err = await checkpoints.save(subscription, 2n, undefined, mine.fence).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(LeaderFencedError);
      mine.stepDown(err as LeaderFencedError);

      await eventually(async () => (logger.events.includes('test.leader.fenced') && stops === 1) || undefined, {
        what: 'the leader to step down',
      });
      // It stands by and leads again (nobody else holds the lock here), with a newer epoch.
      const again = await eventually(async () => leaderships[1], { what: 'a new leadership' });
      expect(again.fence.epoch).toBe(mine.fence.epoch + 2n);
      await checkpoints.save(subscription, 3n, undefined, again.fence);
      expect(await checkpoints.load(subscription)).toBe(3n);
      // Stepping down twice, or after the leadership is over, changes nothing.
      mine.stepDown(err as LeaderFencedError);
      expect(stops).toBe(1);
    } finally {
      await leader.stop();
    }
    expect(stops).toBe(2);
  });
});

describe('tryAdvisoryLock on a link that swallows the answers (half-open)', () => {
  it('fails within its connection timeout instead of waiting for ever, so whileLeader retries', async () => {
    const target = new URL(databaseUrl);
    const proxy = await FaultProxy.start({ target: { host: target.hostname, port: Number(target.port || 5432) } });
    try {
      proxy.set({ kind: 'half-open' });
      const proxied = Object.assign(new URL(databaseUrl), { hostname: '127.0.0.1', port: String(proxy.port) }).href;
      await expect(tryAdvisoryLock(proxied, freshId('hub.half-open-test.'))).rejects.toThrow(/timeout/i);
    } finally {
      await proxy.close();
    }
  }, 60_000);
});
