import { Pool } from 'pg';
import { eventually, freshId, testInfra } from '@hub/testing';
import { PostgresNotificationListener } from './postgres.notification-listener';

describe('PostgresNotificationListener', () => {
  const pool = new Pool({ connectionString: testInfra().databaseUrl, max: 2 });
  afterAll(() => pool.end());

  it('once listening() resolves, a NOTIFY reaches every listener with its payload; removing the last closes the connection', async () => {
    const channel = freshId('hub_test_listen');
    const listener = new PostgresNotificationListener({ connectionString: testInfra().databaseUrl }, channel, {
      initialMs: 50,
      maxMs: 500,
    });
    const a: (string | undefined)[] = [];
    const b: (string | undefined)[] = [];
    const reported: unknown[] = [];
    const removeA = listener.add({ wake: (p) => void a.push(p), report: (e) => void reported.push(e) });
    const removeB = listener.add({ wake: (p) => void b.push(p), report: (e) => void reported.push(e) });
    await listener.listening();
    // Woken without a payload once LISTEN is in place (anything sent before may have been missed).
    expect(a).toContain(undefined);
    await pool.query('select pg_notify($1, $2)', [channel, 'acme:c-1']);
    await eventually(async () => (a.includes('acme:c-1') && b.includes('acme:c-1') ? true : undefined), {
      what: 'the payload on both listeners',
    });
    expect(reported).toEqual([]);
    const listening = async () =>
      (await pool.query<{ n: string }>('select count(*) as n from pg_stat_activity where query = $1', [`listen "${channel}"`])).rows[0]!.n;
    expect(await listening()).toBe('1');

    await removeA();
    await removeB();
    // Removing the last listener closes the connection: no LISTEN session of it is left on the server.
    await eventually(async () => ((await listening()) === '0' ? true : undefined), { what: 'the LISTEN connection closed' });
  });
});
