import { runCli } from '../testing/cli-harness';
import { ExitCode } from '../cli.errors';

/** Only what happens before anything connects: no database is reachable at this URL. */
const env = { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' };

/** The CLI in-process, as `main.ts` runs it, output captured. */
const cli = (...argv: string[]) => runCli(argv, env);

const ID = '6f1c2b3a-0000-4000-8000-000000000001';

describe('hub nba', () => {
  it('lists both subcommands with their options on --help', async () => {
    const r = await cli('nba', '--help');
    expect(r.code).toBe(ExitCode.ok);
    expect(r.stdout).toContain('usage: hub nba explain <decisionId> [--tenant t] [--json]');
    expect(r.stdout).toContain('hub nba backtest --catalog <file> --from ISO --to ISO [--tenant t] [--json]');
    expect(r.stdout).toContain('reproduced: yes');
    expect(r.stdout).toContain('hub nba uplift [--from ISO] [--to ISO] [--window-hours h] [--tenant t] [--json]');
  });

  it.each([
    [['nba'], 'missing <subcommand>: explain or backtest or uplift'],
    [['nba', 'frobnicate'], 'unknown subcommand "frobnicate"'],
    [['nba', 'explain'], 'missing <decisionId>'],
    [['nba', 'explain', 'not-a-uuid'], '<decisionId> must be a UUID'],
    [['nba', 'explain', ID, '--catalog', 'x.json'], 'hub nba explain takes no --catalog'],
    [['nba', 'explain', ID, '--tenant', 'ACME'], '--tenant must match'],
    [['nba', 'backtest', '--from', '2025-03-01', '--to', '2025-04-01'], '--catalog is required'],
    [['nba', 'backtest', '--catalog', 'x.json', '--to', '2025-04-01'], '--from is required'],
    [['nba', 'backtest', '--catalog', 'x.json', '--from', '2025-04-01', '--to', '2025-03-01'], '--from must be before --to'],
    [
      ['nba', 'backtest', '--catalog', '/nonexistent/catalog.json', '--from', '2025-03-01', '--to', '2025-04-01'],
      '--catalog /nonexistent/catalog.json: ENOENT',
    ],
    [['nba', 'backtest', ID], 'unexpected argument'],
    [['nba', 'uplift', '--from', '2025-04-01', '--to', '2025-03-01'], '--from must be before --to'],
    [['nba', 'uplift', '--window-hours', '0'], '--window-hours must be a number above 0'],
    [['nba', 'uplift', '--catalog', 'x.json'], 'hub nba uplift takes no --catalog'],
    [['nba', 'uplift', ID], 'unexpected argument'],
  ])('%j exits 2 with the reason on stderr, before connecting', async (argv, reason) => {
    const r = await cli(...argv);
    expect({ code: r.code, stdout: r.stdout }).toEqual({ code: ExitCode.usage, stdout: '' });
    expect(r.stderr).toContain(reason);
  });
});
