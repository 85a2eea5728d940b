import { Pool } from 'pg';
import { FaultProxy, freshId, testInfra } from '@hub/testing';
import { createPgPool } from './pg-pool';

describe('createPgPool', () => {
  const url = testInfra().databaseUrl;
  let plain: Pool;

  beforeAll(() => {
    plain = new Pool({ connectionString: url, max: 2 });
  });
  afterAll(() => plain.end());

  it('sets the server-side limits on every session: lock waits, idling in a transaction, statements', async () => {
    const pool = createPgPool({ connectionString: url, max: 1 });
    try {
      const show = async (name: string) => (await pool.query<Record<string, string>>(`show ${name}`)).rows[0]![name];
      expect(await show('lock_timeout')).toBe('30s');
      expect(await show('idle_in_transaction_session_timeout')).toBe('1min');
      expect(await show('statement_timeout')).toBe('0');
    } finally {
      await pool.end();
    }
  });

  it('ends a session left inside a transaction, so the row lock it held is released for the others', async () => {
    const table = freshId('pg_pool_lock').replace(/-/g, '_');
    await plain.query(`create table ${table} (id int primary key, v int)`);
    await plain.query(`insert into ${table} values (1, 0)`);
    const pool = createPgPool({ connectionString: url, max: 1, idleInTransactionTimeoutMs: 300 });
    pool.on('error', () => undefined); // the server ends the idle session: the pool reports it here
    const stuck = await pool.connect();
    stuck.on('error', () => undefined);
    try {
      await stuck.query('begin');
      await stuck.query(`select * from ${table} where id = 1 for update`);
      // The holder goes quiet (a crashed process, a dead link): another writer of the row must not wait for ever.
      await new Promise((resolve) => setTimeout(resolve, 800));
      const other = await plain.connect();
      try {
        await other.query(`set lock_timeout = '2s'`);
        await other.query(`update ${table} set v = 1 where id = 1`);
      } finally {
        other.release();
      }
      await expect(stuck.query('select 1')).rejects.toThrow();
    } finally {
      stuck.release(true);
      await pool.end();
      await plain.query(`drop table ${table}`);
    }
  });

  describe('behind a degraded link (a FaultProxy in front of PostgreSQL)', () => {
    let proxy: FaultProxy;
    let proxied: string;

    beforeEach(async () => {
      const target = new URL(url);
      proxy = await FaultProxy.start({ target: { host: target.hostname, port: Number(target.port || 5432) } });
      proxied = Object.assign(new URL(url), { hostname: '127.0.0.1', port: String(proxy.port) }).href;
    });
    afterEach(() => proxy.close());

    it('gives up a query the link swallowed, and the pool answers again once the link is back', async () => {
      const pool = createPgPool({ connectionString: proxied, max: 1, readTimeoutMs: 1_000 });
      pool.on('error', () => undefined);
      try {
        await pool.query('select 1');
        // The bytes of the query are lost on the way: without a read timeout it would wait for ever.
        proxy.set({ kind: 'blackhole' });
        await expect(pool.query('select 2')).rejects.toThrow(/no answer from PostgreSQL within 1000 ms/);
        proxy.set({ kind: 'pass' });
        expect((await pool.query<{ n: number }>('select 3 as n')).rows[0]?.n).toBe(3);
      } finally {
        await pool.end();
      }
    });

    it('leaves an idle client alone past the read timeout', async () => {
      const pool = createPgPool({ connectionString: proxied, max: 1, readTimeoutMs: 300 });
      try {
        const client = await pool.connect();
        try {
          const pid = (await client.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]?.pid;
          await new Promise((resolve) => setTimeout(resolve, 1_000));
          expect((await client.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]?.pid).toBe(pid);
        } finally {
          client.release();
        }
      } finally {
        await pool.end();
      }
    });

    it('a checked-out client whose connection is reset fails its query instead of taking the process down', async () => {
      const pool = createPgPool({ connectionString: proxied, max: 1 });
      pool.on('error', () => undefined);
      try {
        const client = await pool.connect();
        try {
          await client.query('select 1');
          // pg emits 'error' on the client: unheard, it would be an uncaught exception here.
          proxy.set({ kind: 'reset' });
          await new Promise((resolve) => setTimeout(resolve, 200));
          await expect(client.query('select 1')).rejects.toThrow();
        } finally {
          client.release();
        }
        proxy.set({ kind: 'pass' });
        expect((await pool.query<{ n: number }>('select 4 as n')).rows[0]?.n).toBe(4);
      } finally {
        await pool.end();
      }
    });
  });
});
