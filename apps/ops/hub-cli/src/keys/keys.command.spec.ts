import { sha256Hex } from '@hub/platform';
import { ExitCode } from '../cli.errors';
import { runCli } from '../testing/cli-harness';

/** `hub keys create`, in-process: nothing connects (no database is reachable at this URL). */
const env = { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' };
const cli = (...argv: string[]) => runCli(argv, env);

describe('hub keys create', () => {
  describe('when a tenant key is created with scopes', () => {
    it('then it prints a fresh key and the HUB_API_KEYS entry the query API takes, with exactly those scopes', async () => {
      const r = await cli('keys', 'create', 'acme', '--scope', 'read,erase');
      expect(r.code).toBe(ExitCode.ok);
      const out = JSON.parse(r.stdout) as { key: string; keyId: string; setting: string; entry: string };
      expect(out.setting).toBe('HUB_API_KEYS');
      expect(out.key).toMatch(/^[A-Za-z0-9_-]{43}$/);
      // Only the digest is configured; scopes in their fixed order (the query API's HUB_API_KEYS grammar).
      expect(out.entry).toBe(`acme:${sha256Hex(out.key)}:read+erase`);
      expect(out.keyId).toBe(sha256Hex(out.key).slice(0, 8));
      // A second key is another key.
      expect((JSON.parse((await cli('keys', 'create', 'acme')).stdout) as { key: string }).key).not.toBe(out.key);
    });

    it('then without --scope the key reads only', async () => {
      const out = JSON.parse((await cli('keys', 'create', 'acme')).stdout) as { entry: string };
      expect(out.entry).toMatch(/^acme:[0-9a-f]{64}:read$/);
    });
  });

  describe('when an operator key is created', () => {
    it('then the entry is for HUB_ADMIN_API_KEYS', async () => {
      const out = JSON.parse((await cli('keys', 'create', '--operator', 'ops-alice')).stdout) as {
        key: string;
        setting: string;
        entry: string;
      };
      expect(out.setting).toBe('HUB_ADMIN_API_KEYS');
      expect(out.entry).toBe(`ops-alice:${sha256Hex(out.key)}`);
    });
  });

  it.each([
    [['keys'], 'missing subcommand: create'],
    [['keys', 'delete', 'acme'], 'unknown subcommand "delete"'],
    [['keys', 'create'], 'missing <tenant>'],
    [['keys', 'create', 'acme', '--scope', 'admin'], '--scope must list scopes among read, write, erase, audit'],
    [['keys', 'create', '--operator', 'ops', '--scope', 'read'], '--scope is for tenant keys'],
  ])('%j is a usage error (exit 2): %s', async (argv, message) => {
    const r = await cli(...argv);
    expect(r.code).toBe(ExitCode.usage);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(message);
  });
});
