import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HubEnv, loadConfig } from '@hub/config';
import { createCustomerStores } from '@hub/customer-records';
import { createPgPool } from '@hub/platform';
import { makeTestPki, TEST_IDENTITY_NAMING, ThrowawayPostgres, type TestPki } from '@hub/testing';
import { runCli, TEST_KEK } from './testing/cli-harness';

/**
 * The hub CLI against a PostgreSQL that accepts TLS only (docs/operations.md, "TLS"): its own
 * connections and the libpq tools it runs (`pg_dump`, `pg_restore`) all take the TLS settings
 * from the environment, the restore target's URL included.
 */
jest.setTimeout(120_000);

let dir: string;
let pki: TestPki;
let pg: ThrowawayPostgres | undefined;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hub-cli-tls-'));
  pki = makeTestPki(dir, 'hub_cert');
  pg = await ThrowawayPostgres.start(pki, 'hub_cert');
  // The hub's tables, made over TLS as an app makes them.
  const config = loadConfig('cli-tls-test', HubEnv, { DATABASE_URL: pg.url(), DATABASE_SSL_CA_FILE: pki.caFile });
  const pool = createPgPool({ connectionString: config.DATABASE_URL, max: 2 });
  try {
    const stores = await createCustomerStores(pool, { identityNaming: TEST_IDENTITY_NAMING, kek: TEST_KEK });
    await stores.store.close();
    await pool.query('create database restored');
  } finally {
    await pool.end();
  }
}, 120_000);

afterAll(() => {
  pg?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('the hub CLI over TLS', () => {
  it('backs up with pg_dump and restores with pg_restore, verifying the server against the CA', async () => {
    const env = { DATABASE_URL: pg!.url(), DATABASE_SSL_CA_FILE: pki.caFile, HUB_KEK: TEST_KEK, LOG_LEVEL: 'error' };
    const file = join(dir, 'hub.dump');
    const backup = await runCli(['backup', '--out', file], env);
    expect({ code: backup.code, stderr: backup.stderr }).toEqual({ code: 0, stderr: expect.stringContaining('backup: ') });
    expect(statSync(file).size).toBeGreaterThan(0);

    const restore = await runCli(
      ['restore', '--from', file, '--database-url', pg!.url('postgres', 'localhost').replace(/\/postgres$/, '/restored')],
      env,
    );
    expect(restore.code).toBe(0);
  });

  it('without the CA, the CLI cannot reach the database and says why', async () => {
    const r = await runCli(['backup', '--out', join(dir, 'never.dump')], {
      DATABASE_URL: pg!.url(),
      PGSSLMODE: 'verify-full',
      HUB_KEK: TEST_KEK,
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/self[- ]signed certificate in certificate chain/);
  });
});
