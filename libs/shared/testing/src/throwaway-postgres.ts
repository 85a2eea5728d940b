import { execFile, execFileSync } from 'node:child_process';
import { appendFileSync, chmodSync, chownSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { TestPki } from './test-pki';
import { freePort } from './throwaway-redis';

const run = promisify(execFile);

/** The OS user the server runs as: PostgreSQL refuses to run as root, so as `postgres` when the tests run as root. */
function serverUser(): { name: string; uid: number; gid: number } | undefined {
  if (userInfo().uid !== 0) return undefined;
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  return { name: 'postgres', uid: id('-u'), gid: id('-g') };
}

/**
 * A PostgreSQL cluster of the test's own (never the shared one on 5432): `initdb` in a temp dir, a
 * free port on 127.0.0.1 and 127.0.0.2 (an address its certificate does not name), TLS on with the test's server certificate, and `pg_hba.conf` allowing only
 * TLS: `hostssl` with trust for `postgres`, with a client certificate (`cert`) for `certUser`; no
 * `host` line, so a plain connection is refused. `stop()` stops it at once and removes the directory.
 */
export class ThrowawayPostgres {
  private stopped = false;
  private readonly exitHook = () => this.stopNow();

  private constructor(
    readonly port: number,
    private readonly dir: string,
    private readonly user: ReturnType<typeof serverUser>,
  ) {
    process.once('exit', this.exitHook);
  }

  /** `postgres://<user>@localhost:<port>/postgres`, without TLS settings. */
  url(user = 'postgres', host = 'localhost'): string {
    return `postgres://${user}@${host}:${this.port}/postgres`;
  }

  static async start(pki: TestPki, certUser: string): Promise<ThrowawayPostgres> {
    const user = serverUser();
    const dir = mkdtempSync(join(tmpdir(), 'hub-pg-tls-'));
    const pg = new ThrowawayPostgres(await freePort(), dir, user);
    try {
      await pg.init(pki, certUser);
      return pg;
    } catch (err) {
      const log = readFileSync(join(dir, 'server.log'), { encoding: 'utf8', flag: 'a+' });
      pg.stopNow();
      throw new Error(`the throwaway PostgreSQL did not start: ${String(err)}\n${log.slice(-2_000)}`);
    }
  }

  private async init(pki: TestPki, certUser: string): Promise<void> {
    const data = join(this.dir, 'data');
    const tls = join(this.dir, 'tls');
    mkdirSync(tls);
    for (const [from, to] of [
      [pki.serverCertFile, 'server.pem'],
      [pki.serverKeyFile, 'server.key'],
      [pki.caFile, 'ca.pem'],
    ] as const)
      copyFileSync(from, join(tls, to));
    chmodSync(join(tls, 'server.key'), 0o600);
    if (this.user) {
      chmodSync(this.dir, 0o755);
      for (const path of [this.dir, tls, join(tls, 'server.pem'), join(tls, 'server.key'), join(tls, 'ca.pem')])
        chownSync(path, this.user.uid, this.user.gid);
    }
    await this.asServerUser('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8']);
    appendFileSync(
      join(data, 'postgresql.conf'),
      [
        `port = ${this.port}`,
        "listen_addresses = '127.0.0.1,127.0.0.2'", // a second address the certificate does not name
        `unix_socket_directories = '${this.dir}'`,
        'ssl = on',
        `ssl_cert_file = '${join(tls, 'server.pem')}'`,
        `ssl_key_file = '${join(tls, 'server.key')}'`,
        `ssl_ca_file = '${join(tls, 'ca.pem')}'`,
        'fsync = off',
        'max_connections = 20',
        'shared_buffers = 16MB',
        '',
      ].join('\n'),
    );
    writeFileSync(
      join(data, 'pg_hba.conf'),
      [
        'local all all trust',
        'hostssl all postgres 127.0.0.0/8 trust',
        `hostssl all ${certUser} 127.0.0.0/8 cert`,
        '', // no `host` line: a connection without TLS finds no entry
      ].join('\n'),
    );
    await this.asServerUser('pg_ctl', ['-D', data, '-l', join(this.dir, 'server.log'), '-w', '-t', '60', 'start']);
    await this.asServerUser('psql', ['-h', this.dir, '-p', String(this.port), '-U', 'postgres', '-c', `create role ${certUser} login`]);
  }

  private asServerUser(cmd: string, args: string[]) {
    return this.user ? run('runuser', ['-u', this.user.name, '--', cmd, ...args]) : run(cmd, args);
  }

  /** Immediate shutdown and the directory removed; safe to call twice. */
  stop(): void {
    this.stopNow();
  }

  private stopNow(): void {
    if (this.stopped) return;
    this.stopped = true;
    process.removeListener('exit', this.exitHook);
    const args = ['-D', join(this.dir, 'data'), '-m', 'immediate', '-w', 'stop'];
    try {
      if (this.user) execFileSync('runuser', ['-u', this.user.name, '--', 'pg_ctl', ...args], { stdio: 'ignore' });
      else execFileSync('pg_ctl', args, { stdio: 'ignore' });
    } catch {
      // not running (it never started, or is gone already)
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
