import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { HubEnv, libpqConnectionString, loadConfig } from '@hub/config';
import { makeTestPki, ThrowawayPostgres, type TestPki } from '@hub/testing';
import { createPgPool } from './pg-pool';

/**
 * PostgreSQL over TLS as the apps configure it (docs/operations.md, "TLS"): a cluster of the spec's
 * own with the spec's certificates, accepting TLS only. The pool is built exactly as an app builds
 * it: settings loaded and validated by `loadConfig`, then `createPgPool(DATABASE_URL)`.
 */
const CERT_USER = 'hub_cert';
let dir: string;
let pki: TestPki;
let pg: ThrowawayPostgres | undefined;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hub-pg-tls-pki-'));
  pki = makeTestPki(dir, CERT_USER);
  pg = await ThrowawayPostgres.start(pki, CERT_USER);
}, 120_000);

afterAll(() => {
  pg?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** One query on a pool made from these settings: whether the session is encrypted, and who it is. */
async function session(env: NodeJS.ProcessEnv): Promise<{ ssl: boolean; user: string }> {
  const config = loadConfig('pg-tls-test', HubEnv, env);
  const pool = createPgPool({ connectionString: config.DATABASE_URL, max: 1 });
  pool.on('error', () => undefined);
  try {
    const { rows } = await pool.query<{ ssl: boolean; user: string }>(
      'select ssl, current_user as user from pg_stat_ssl where pid = pg_backend_pid()',
    );
    return rows[0]!;
  } finally {
    await pool.end();
  }
}

describe('PostgreSQL over TLS, as configured', () => {
  it('when the CA is given, the pool verifies the server in full and its session is encrypted', async () => {
    expect(await session({ DATABASE_URL: pg!.url(), DATABASE_SSL_CA_FILE: pki.caFile })).toEqual({ ssl: true, user: 'postgres' });
    // The certificate names 127.0.0.1 as well as localhost.
    expect(await session({ DATABASE_URL: pg!.url('postgres', '127.0.0.1'), DATABASE_SSL_CA_FILE: pki.caFile })).toMatchObject({
      ssl: true,
    });
  });

  it('when the CA is not given, or another CA is, the server is refused', async () => {
    await expect(session({ DATABASE_URL: pg!.url(), PGSSLMODE: 'verify-full' })).rejects.toThrow(
      /self[- ]signed certificate in certificate chain/,
    );
    await expect(session({ DATABASE_URL: pg!.url(), DATABASE_SSL_CA_FILE: pki.otherCaFile })).rejects.toThrow(
      /self[- ]signed certificate in certificate chain|unable to get local issuer certificate/,
    );
  });

  it('verify-full refuses a host the certificate does not name; verify-ca checks the CA only', async () => {
    const unnamed = pg!.url('postgres', '127.0.0.2');
    await expect(session({ DATABASE_URL: unnamed, DATABASE_SSL_CA_FILE: pki.caFile })).rejects.toThrow(
      /does not match certificate's altnames/,
    );
    expect(await session({ DATABASE_URL: unnamed, DATABASE_SSL_CA_FILE: pki.caFile, PGSSLMODE: 'verify-ca' })).toMatchObject({ ssl: true });
  });

  it('a connection without TLS is refused by the server', async () => {
    await expect(session({ DATABASE_URL: `${pg!.url()}?sslmode=disable` })).rejects.toThrow(/no pg_hba\.conf entry .* no encryption/);
  });

  it('with a client certificate, the server takes its name as the user (mutual TLS); without one it refuses that user', async () => {
    const asCertUser = { DATABASE_URL: pg!.url(CERT_USER), DATABASE_SSL_CA_FILE: pki.caFile };
    expect(await session({ ...asCertUser, DATABASE_SSL_CERT_FILE: pki.clientCertFile, DATABASE_SSL_KEY_FILE: pki.clientKeyFile })).toEqual({
      ssl: true,
      user: CERT_USER,
    });
    await expect(session(asCertUser)).rejects.toThrow(/connection requires a valid client certificate/);
  });

  it("libpq's tools (pg_dump under hub backup, psql) connect with the same settings", async () => {
    const config = loadConfig('pg-tls-test', HubEnv, {
      DATABASE_URL: pg!.url(CERT_USER),
      DATABASE_SSL_CA_FILE: pki.caFile,
      DATABASE_SSL_CERT_FILE: pki.clientCertFile,
      DATABASE_SSL_KEY_FILE: pki.clientKeyFile,
    });
    const { stdout } = await promisify(execFile)('psql', [
      libpqConnectionString(config.DATABASE_URL),
      '-Atc',
      'select ssl, current_user from pg_stat_ssl where pid = pg_backend_pid()',
    ]);
    expect(stdout.trim()).toBe(`t|${CERT_USER}`);
  });
});
