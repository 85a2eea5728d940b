import { PLATFORM_SCHEMA } from '@hub/app-platform';
import { OUTBOUND_SCHEMA } from '@hub/deliver-outbound';
import { NBA_OUTCOMES_SCHEMA } from '@hub/nba-outcomes';
import {
  API_KEYS_SCHEMA,
  SchemaMigrationError,
  SchemaMigrator,
  type ComponentSchema,
  type MigrationState,
  type MigrationTarget,
} from '@hub/platform';
import { TIMELINE_SCHEMA } from '@hub/timeline';
import { WORK_ITEMS_SCHEMA } from '@hub/work-items';
import { WEBHOOKS_SCHEMA } from '@hub/webhook-deliveries';
import { exactPositionals, stringOption } from '../cli.args';
import { write } from '../cli-io';
import { CliFailure, ExitCode, UsageError } from '../cli.errors';
import type { Command } from '../command';

/**
 * Every component this CLI migrates, in the order `up` applies them. The query API's saved queries
 * are not here: their table lives in that app, which the CLI cannot import; the app applies them at boot.
 */
export const HUB_SCHEMA: readonly ComponentSchema[] = [
  ...PLATFORM_SCHEMA,
  TIMELINE_SCHEMA,
  NBA_OUTCOMES_SCHEMA,
  WORK_ITEMS_SCHEMA,
  OUTBOUND_SCHEMA,
  WEBHOOKS_SCHEMA,
  API_KEYS_SCHEMA,
];

const TARGET = /^([a-z][a-z0-9-]*)@(\d{1,6})$/;

function target(value: string | undefined): MigrationTarget | undefined {
  if (value === undefined) return undefined;
  const m = TARGET.exec(value);
  if (!m) throw new UsageError(`--to must be <component>@<version> (event-store@1, timeline@0), not ${JSON.stringify(value)}`);
  return { component: m[1]!, version: Number(m[2]) };
}

export function statusText(states: readonly MigrationState[]): string {
  const rows = states.map((s) => [
    s.component,
    String(s.version),
    s.name,
    s.status,
    s.appliedAt?.toISOString() ?? '',
    s.dropsData ? 'drops data' : '',
  ]);
  const header = ['COMPONENT', 'VERSION', 'NAME', 'STATUS', 'APPLIED AT', 'DOWN'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return (
    [header, ...rows]
      .map((r) =>
        r
          .map((c, i) => c.padEnd(widths[i]!))
          .join('  ')
          .trimEnd(),
      )
      .join('\n') + '\n'
  );
}

/**
 * `hub migrate status|up|down`: the schema's versioned migrations (docs/operations.md, "Schema
 * migrations"). Apps apply them at boot with HUB_MIGRATE=auto (the default outside production) and
 * refuse to start with HUB_MIGRATE=check (the default in production) until `hub migrate up` ran.
 */
export const migrateCommand: Command = {
  name: 'migrate',
  summary: 'show, apply or roll back the schema migrations of every component',
  usage: 'hub migrate status | hub migrate up [--to <component>@<version>] | hub migrate down [--to <component>@<version>] [--force]',
  help: `  status    every migration of every component: applied, pending, changed (an applied migration
            edited since: its checksum differs), unknown (applied by a newer release) or foreign
            (another app's component, such as the query API's saved-queries)
  up        applies what is pending, each migration in one transaction with its record in
            hub_schema_migrations; --to C@V: only component C, up to and including version V
  down      reverts the latest applied migration; --to C@V: component C's migrations above V
            (C@0 reverts all of them). A down that drops data (tables or columns and their rows)
            is refused unless --force: back up first (hub backup).

Components: ${HUB_SCHEMA.map((c) => c.component).join(', ')}.
One process migrates at a time (an advisory lock): an app booting meanwhile waits, then finds nothing to do.
Prints the migrations applied or reverted, one per line.`,
  options: { to: { type: 'string' }, force: { type: 'boolean' } },
  prepare(values, positionals) {
    const [sub] = exactPositionals(positionals, ['status|up|down']) as [string];
    const to = target(stringOption(values, 'to'));
    const force = values['force'] === true;
    if (!['status', 'up', 'down'].includes(sub)) throw new UsageError(`unknown subcommand ${JSON.stringify(sub)}; use status, up or down`);
    if (sub === 'status' && to) throw new UsageError('--to is for up and down');
    if (sub !== 'down' && force) throw new UsageError('--force is for down');
    if (sub === 'up' && to?.version === 0) throw new UsageError('up --to needs a version of 1 or more');
    return async (ctx) => {
      const migrator = new SchemaMigrator(ctx.pool, HUB_SCHEMA, ctx.logger);
      try {
        if (sub === 'status') {
          await write(ctx.io.stdout, statusText(await migrator.status()));
          return ExitCode.ok;
        }
        const done = sub === 'up' ? await migrator.up(to ? { to } : {}) : await migrator.down({ ...(to ? { to } : {}), force });
        await write(ctx.io.stdout, done.map((l) => `${sub === 'up' ? 'applied' : 'reverted'} ${l}\n`).join(''));
        if (done.length === 0) await write(ctx.io.stderr, `nothing to ${sub === 'up' ? 'apply' : 'revert'}\n`);
        return ExitCode.ok;
      } catch (err) {
        if (err instanceof SchemaMigrationError) throw new CliFailure(err.code, err.message);
        throw err;
      }
    };
  },
};
