import { Client, type Pool, type PoolClient } from 'pg';
import type { Leadership, LeaderFence } from './checkpoint-store.port';
import type { PostgresEventStoreTables } from './postgres.event-store';
import { advanceLeaderEpoch } from './postgres.leader-fence';

/**
 * A PostgreSQL session advisory lock held on a connection of its own: it is held for as long as that
 * session lives, so a crashed or killed holder (its connection gone) frees it by itself.
 */
export interface HeldAdvisoryLock {
  readonly name: string;
  /** Resolves if the session ends without `release` (connection lost, server restart): the lock is gone. */
  readonly lost: Promise<void>;
  /** Unlocks and closes the session. Idempotent. */
  release(): Promise<void>;
  /** Takes the lock's next fencing epoch on the session that holds it (`advanceLeaderEpoch`). */
  advanceEpoch(tables?: PostgresEventStoreTables): Promise<LeaderFence>;
}

/** The lock's own session: its statements are all short (try-lock, epoch, unlock). */
const LOCK_CONNECT_TIMEOUT_MS = 10_000;
const LOCK_QUERY_TIMEOUT_MS = 30_000;

/**
 * Takes the lock `name` if nobody holds it (`pg_try_advisory_lock(hashtext(name))`); undefined
 * otherwise. Never waits. From a connection string, on a new connection of its own (a lock held
 * for long); from a pool, on one of its clients, given back on release (a short check).
 */
export async function tryAdvisoryLock(source: string | Pool, name: string): Promise<HeldAdvisoryLock | undefined> {
  let client: Client | PoolClient;
  let close: (err?: Error) => Promise<void>;
  if (typeof source === 'string') {
    // Bounded: a connect or a lock query lost on a degraded link would otherwise wait for ever, and
    // whileLeader with it — no retry, no leader again until a restart (F11 of issue #15: the
    // projector lost its lock to a reset and hung reconnecting through a half-open link).
    const own = new Client({
      connectionString: source,
      keepAlive: true,
      connectionTimeoutMillis: LOCK_CONNECT_TIMEOUT_MS,
      query_timeout: LOCK_QUERY_TIMEOUT_MS,
    });
    own.on('error', () => undefined);
    try {
      await own.connect();
    } catch (err) {
      await own.end().catch(() => undefined);
      throw err;
    }
    client = own;
    close = () => own.end().catch(() => undefined);
  } else {
    const pooled = await source.connect();
    client = pooled;
    // A checked-out client has no pool listener: without ours, a terminated connection (failover,
    // a database dropped with force) is an unhandled 'error' that takes the process down. The
    // 'end' listener below reports the lock lost.
    const ignore = (): void => undefined;
    pooled.on('error', ignore);
    // A client that failed is destroyed, not given back.
    close = async (err) => {
      pooled.removeListener('error', ignore);
      pooled.release(err);
    };
  }
  let released = false;
  let onLost: () => void = () => undefined;
  const lost = new Promise<void>((resolve) => (onLost = resolve));
  try {
    const r = await client.query<{ ok: boolean }>('select pg_try_advisory_lock(hashtext($1)) as ok', [name]);
    if (!r.rows[0]?.ok) {
      await close();
      return undefined;
    }
  } catch (err) {
    await close(err instanceof Error ? err : new Error(String(err)));
    throw err;
  }
  const ended = (): void => {
    if (!released) onLost();
  };
  client.once('end', ended);
  return {
    name,
    lost,
    advanceEpoch: (tables) => advanceLeaderEpoch(client, name, tables),
    release: async () => {
      if (released) return;
      released = true;
      client.removeListener('end', ended);
      const unlocked = await client.query('select pg_advisory_unlock(hashtext($1))', [name]).then(
        () => undefined,
        (err: unknown) => (err instanceof Error ? err : new Error(String(err))),
      );
      await close(unlocked);
    },
  };
}

export interface LeaderLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/**
 * Run `lead` only while this process holds the advisory lock `name`: of several instances (the
 * timeline projector's, the decision relay's) exactly one leads (the others stand by and take over within `retryMs` when its connection goes
 * away, as a crash or SIGKILL does). `lead` returns how to stop leading.
 *
 * Fencing: every acquisition takes the lock's next epoch (`advanceLeaderEpoch`), given to `lead`
 * (`Leadership.fence`). A leader paused past the loss of its session may not have noticed yet that
 * another took over; its writes fenced with its epoch are refused, and it steps down.
 */
export function whileLeader(
  connectionString: string,
  name: string,
  logger: LeaderLogger,
  lead: (leadership: Leadership) => Promise<() => Promise<void>>,
  { retryMs = 2_000, logPrefix = 'projector', tables }: { retryMs?: number; logPrefix?: string; tables?: PostgresEventStoreTables } = {},
): { stop(): Promise<void> } {
  let stopped = false;
  let lock: HeldAdvisoryLock | undefined;
  let release: (() => Promise<void>) | undefined;
  let timer: NodeJS.Timeout | undefined;

  const retry = (): void => {
    if (!stopped) timer = setTimeout(() => void attempt(), retryMs);
  };
  const attempt = async (): Promise<void> => {
    if (stopped) return;
    let held: HeldAdvisoryLock | undefined;
    try {
      held = await tryAdvisoryLock(connectionString, name);
      if (!held) return retry();
      if (stopped) {
        await held.release();
        return;
      }
      const mine = held;
      const fence = await mine.advanceEpoch(tables);
      lock = mine;
      logger.info({ lock: name, epoch: fence.epoch.toString() }, `${logPrefix}.leader.acquired`);
      let over = false;
      // Lost the session (so lost the lock), or a fenced write said another leads: stop leading,
      // give the lock up if still held, and try again.
      const end = (event: 'lost' | 'fenced', detail: object): void => {
        if (over || stopped) return;
        over = true;
        logger.warn({ lock: name, epoch: fence.epoch.toString(), ...detail }, `${logPrefix}.leader.${event}`);
        if (lock === mine) lock = undefined;
        const stopLeading = release ?? (() => Promise.resolve());
        release = undefined;
        void stopLeading()
          .catch((err: unknown) => logger.warn({ lock: name, err: String(err) }, `${logPrefix}.leader.stop_failed`))
          .then(() => mine.release())
          .finally(retry);
      };
      void mine.lost.then(() => end('lost', {}));
      const stopLeading = await lead({ fence, stepDown: (err) => end('fenced', { err: err.message }) });
      // Stepped down (or lost the lock) while it was starting: stop what it started.
      if (over) await stopLeading();
      else release = stopLeading;
    } catch (err) {
      logger.warn({ lock: name, err: String(err) }, `${logPrefix}.leader.retry`);
      await held?.release();
      if (lock === held) lock = undefined;
      retry();
    }
  };
  void attempt();
  return {
    stop: async () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      await release?.();
      await lock?.release();
    },
  };
}
