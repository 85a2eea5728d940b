import { randomUUID } from 'node:crypto';

/** Where the real infrastructure for integration tests lives (started by scripts/test.sh). */
export interface TestInfra {
  databaseUrl: string;
  redisUrl: string;
  kafkaBrokers: string[];
  eventStoreUrl?: string;
}

export function testInfra(): TestInfra {
  return {
    databaseUrl: process.env['TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/hub_test',
    redisUrl: process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379',
    kafkaBrokers: (process.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092').split(','),
    eventStoreUrl: process.env['EVENTSTORE_URL'] || undefined,
  };
}

/** Fresh names per test instead of truncating shared tables (STYLE.md #14). */
export function freshId(prefix = 't'): string {
  return `${prefix}${randomUUID().replace(/-/g, '').slice(0, 12)}`;
}

export async function eventually<T>(
  probe: () => Promise<T | undefined>,
  { timeoutMs = 30_000, intervalMs = 100, what = 'condition' } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/**
 * A database of its own for an end-to-end run, so the apps under test start from an empty store
 * (their projections do not replay what other test files wrote). Drop it with the returned function.
 */
export async function freshDatabase(prefix = 'e2e'): Promise<{ url: string; drop(): Promise<void> }> {
  const { Client } = await import('pg');
  const base = new URL(testInfra().databaseUrl);
  const name = freshId(`${prefix}_`).toLowerCase();
  const admin = new Client({ connectionString: Object.assign(new URL(base.href), { pathname: '/postgres' }).href });
  await admin.connect();
  try {
    await admin.query(`create database "${name}"`);
  } finally {
    await admin.end();
  }
  return {
    url: Object.assign(new URL(base.href), { pathname: `/${name}` }).href,
    drop: async () => {
      const c = new Client({ connectionString: Object.assign(new URL(base.href), { pathname: '/postgres' }).href });
      await c.connect();
      try {
        await c.query(`drop database if exists "${name}" with (force)`);
      } finally {
        await c.end();
      }
    },
  };
}
