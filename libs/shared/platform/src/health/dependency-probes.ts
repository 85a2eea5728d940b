import type { Admin, Kafka } from 'kafkajs';
import type { Pool } from 'pg';

/**
 * One dependency a readiness check asks: `check` resolves when it answers (with details to show)
 * and rejects, saying why, when it does not. Every probe is bounded (`timeoutMs`) and reuses the
 * app's own client: a probe never opens a connection of its own per request.
 */
export interface DependencyProbe {
  /** The dependency's name in the readiness body (`kafka`, `postgres`, `redis`, …). */
  readonly name: string;
  check(): Promise<Record<string, unknown>>;
  /** Releases what the probe holds of its own (the Kafka probe's admin client), if anything. */
  close?(): Promise<void>;
}

/** How long a readiness probe waits for one dependency by default: a probe answers within about this. */
export const PROBE_TIMEOUT_MS = 1_000;

/** `work` within `ms`, or a rejection saying nothing answered. */
export function bounded<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  work.catch(() => undefined); // a late failure after the timeout is not an unhandled rejection
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/**
 * A probe whose checks never pile up: while one runs, concurrent callers share it (a burst of
 * probes, or one whose dependency hangs, costs one request to the dependency).
 */
function singleFlight(name: string, check: () => Promise<Record<string, unknown>>): DependencyProbe {
  let running: Promise<Record<string, unknown>> | undefined;
  return {
    name,
    check: () => {
      running ??= check().finally(() => (running = undefined));
      return running;
    },
  };
}

/**
 * Kafka answers when its cluster metadata can be read (`describeCluster`) through one admin client
 * of the app's own `Kafka`, connected once and kept; after a failure it is reconnected on the next
 * probe. The admin does not retry (kafkajs would retry a refused connection for seconds): the probe
 * says at once that the broker refuses, and within `timeoutMs` that it does not answer.
 */
export function kafkaProbe(kafka: Kafka, timeoutMs = PROBE_TIMEOUT_MS): DependencyProbe {
  let admin: Admin | undefined;
  let connected = false;
  const probe = singleFlight('kafka', async () => {
    admin ??= kafka.admin({ retry: { retries: 0 } });
    const client = admin;
    try {
      return await bounded(
        (async () => {
          if (!connected) {
            await client.connect();
            connected = true;
          }
          const cluster = await client.describeCluster();
          return { brokers: cluster.brokers.length, controller: cluster.controller };
        })(),
        timeoutMs,
        'kafka',
      );
    } catch (err) {
      connected = false;
      admin = undefined;
      void client.disconnect().catch(() => undefined);
      throw err;
    }
  });
  return {
    ...probe,
    close: async () => {
      const client = admin;
      admin = undefined;
      await client?.disconnect().catch(() => undefined);
    },
  };
}

/** PostgreSQL answers `select 1` on the app's own pool (a pooled connection, not a new one per probe). */
export function postgresProbe(pool: Pick<Pool, 'query'>, timeoutMs = PROBE_TIMEOUT_MS, name = 'postgres'): DependencyProbe {
  return singleFlight(name, async () => {
    await bounded(pool.query('select 1'), timeoutMs, name);
    return {};
  });
}

/** Redis answers `PING` on the app's own connection. */
export function redisProbe(redis: { ping(): Promise<string> }, timeoutMs = PROBE_TIMEOUT_MS): DependencyProbe {
  return singleFlight('redis', async () => {
    await bounded(redis.ping(), timeoutMs, 'redis');
    return {};
  });
}

/** Why a probe failed, for the readiness body: the error's message, never a stack. */
export function probeFailure(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.length > 0 ? message : ((err as Error)?.name ?? 'failed');
}

/** Whether the probe named `name` answers now (true when the app has no such probe). */
export async function answers(probes: readonly DependencyProbe[], name: string): Promise<boolean> {
  const probe = probes.find((p) => p.name === name);
  if (!probe) return true;
  return probe.check().then(
    () => true,
    () => false,
  );
}
