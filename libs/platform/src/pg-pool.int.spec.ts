import { Pool } from 'pg';
import { freshId, testInfra } from '@hub/testing';
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
});
