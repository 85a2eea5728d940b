import { COMMANDS } from './cli';
import { runCli } from './testing/cli-harness';
import { ExitCode } from './cli.errors';

/** Only what happens before anything connects: no database or broker is reachable at this URL. */
const env = { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' };

/** The CLI in-process, as `main.ts` runs it, output captured. */
const cli = (...argv: string[]) => runCli(argv, env);

describe('the hub command line', () => {
  it('lists every command on --help (stdout, exit 0)', async () => {
    const r = await cli('--help');
    expect(r.code).toBe(ExitCode.ok);
    for (const c of COMMANDS) expect(r.stdout).toContain(`  ${c.name}`);
    expect(r.stderr).toBe('');
  });

  it.each(COMMANDS.map((c) => c.name))('prints the help of %s with --help and with help <command>', async (name) => {
    const a = await cli(name, '--help');
    const b = await cli('help', name);
    expect(a.code).toBe(ExitCode.ok);
    expect(a.stdout).toMatch(new RegExp(`^usage: hub ${name}`));
    expect(b.stdout).toBe(a.stdout);
  });

  it('exits 2 with the general help on stderr when no command is given', async () => {
    const r = await cli();
    expect(r.code).toBe(ExitCode.usage);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('usage: hub <command>');
  });

  it.each([
    [['frobnicate'], 'unknown command "frobnicate"'],
    [['replay', '--nope'], "Unknown option '--nope'"],
    [['replay', 'extra'], 'unexpected argument "extra"'],
    [['replay', '--allow-empty'], '--allow-empty only applies to --takeover'],
    [['state', 'acme'], 'missing <customerId>'],
    [['state', 'ACME', 'c1'], '<tenant> must match'],
    [['state', 'acme', 'c1', '--as-of', '2025-13-45T00:00:00Z'], '--as-of must be an ISO 8601'],
    [['timeline', 'acme', 'c 1'], '<customerId> must be'],
    [['export', '--tenant', 'acme', '--format', 'ndjson', '--no-formula-guard'], 'only applies to --format csv'],
    [['backfill', '--topic', 't', '--resume-id', 'a b'], '--resume-id must be'],
    [['customer'], 'missing <subcommand> <tenant> <customerId>'],
    [['customer', 'access-export', 'acme'], 'missing <customerId>'],
    [['customer', 'erase', 'acme', 'c1'], 'erase needs --reason'],
    [['customer', 'forget', 'acme', 'c1'], 'unknown subcommand "forget": access-export, erase'],
    [['customer', 'access-export', 'Acme', 'c1'], '<tenant> must match'],
    [['customer', 'access-export', 'acme', 'c1', '--out', ''], '--out needs a file name'],
  ])('%j exits 2 with the reason and the usage on stderr', async (argv, reason) => {
    const r = await cli(...argv);
    expect(r.code).toBe(ExitCode.usage);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(reason);
  });

  it('exits 1 with one line per problem on a bad environment, before connecting', async () => {
    const { code, stderr } = await runCli(['state', 'acme', 'c1'], { DATABASE_URL: 'mysql://x', HUB_KEK: 'short' });
    expect(code).toBe(ExitCode.failure);
    expect(stderr).toContain('hub: invalid configuration');
    expect(stderr).toContain('DATABASE_URL must be a postgres:// URL');
    expect(stderr).toContain('HUB_KEK must be 32 bytes');
  });

  it('exits 1 naming the variable when a TLS certificate file does not exist, before connecting', async () => {
    const { code, stderr } = await runCli(['state', 'acme', 'c1'], {
      ...env,
      KAFKA_SSL: 'true',
      KAFKA_SSL_CA_FILE: '/nonexistent/kafka-ca.pem',
      DATABASE_SSL_CA_FILE: '/nonexistent/pg-ca.pem',
    });
    expect(code).toBe(ExitCode.failure);
    expect(stderr).toContain('KAFKA_SSL_CA_FILE: /nonexistent/kafka-ca.pem does not exist');
    expect(stderr).toContain('DATABASE_SSL_CA_FILE: /nonexistent/pg-ca.pem does not exist');
  });
});
