import 'reflect-metadata';
import { ConfigError } from '@hub/config';
import { backfillCommand } from './backfill/backfill.command';
import { backupCommand, restoreCommand } from './backup/backup.command';
import { CliContext } from './cli-context';
import { parseCommandLine } from './cli.args';
import type { CliIo } from './cli-io';
import { CliFailure, ExitCode, UsageError } from './cli.errors';
import type { Command } from './command';
import { customerCommand } from './customer/customer.command';
import { deadLettersCommand } from './dead-letters/dead-letters.command';
import { exportCommand } from './export/export.command';
import { identitiesCommand } from './identities/identities.command';
import { keysCommand } from './keys/keys.command';
import { migrateCommand } from './migrate/migrate.command';
import { nbaCommand } from './nba/nba.command';
import { stateCommand } from './read/state.command';
import { timelineCommand } from './read/timeline.command';
import { replayCommand } from './replay/replay.command';

/** Every command, in the order `hub --help` lists them. */
export const COMMANDS: readonly Command[] = [
  replayCommand,
  stateCommand,
  timelineCommand,
  backfillCommand,
  exportCommand,
  customerCommand,
  nbaCommand,
  identitiesCommand,
  keysCommand,
  deadLettersCommand,
  backupCommand,
  restoreCommand,
  migrateCommand,
];

export function generalHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return `hub — operate the interaction hub from a terminal

usage: hub <command> [options]      (hub <command> --help for its options)

${COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')}

Settings come from the environment, as for the apps: DATABASE_URL, KAFKA_BROKERS, HUB_NAMESPACE, HUB_KEK
(personal fields are opened with it), IDENTITY_HASH_KEY (required unless NODE_ENV is development or
test), SNAPSHOT_EVERY, LOG_LEVEL (default warn; logs go to stderr), and TLS to PostgreSQL and Kafka
(DATABASE_SSL_*, PGSSLMODE, KAFKA_SSL*, KAFKA_SASL_*: docs/operations.md, "TLS").
Data goes to stdout, progress and errors to stderr. Exit codes: 0 ok, 1 failure, 2 usage.
`;
}

export function commandHelp(c: Command): string {
  return `usage: ${c.usage}\n\n${c.help}\n`;
}

/**
 * Runs one command line (`argv` without node and the script) and resolves to its exit code; never
 * throws and never exits the process, so tests call it in-process with captured streams.
 */
export async function run(argv: readonly string[], io: CliIo): Promise<ExitCode> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    io.stderr.write(generalHelp());
    return ExitCode.usage;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    const topic = name === 'help' ? rest[0] : undefined;
    const command = COMMANDS.find((c) => c.name === topic);
    if (topic !== undefined && !command) {
      io.stderr.write(`hub: unknown command ${JSON.stringify(topic)}\n\n${generalHelp()}`);
      return ExitCode.usage;
    }
    io.stdout.write(command ? commandHelp(command) : generalHelp());
    return ExitCode.ok;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    io.stderr.write(`hub: unknown command ${JSON.stringify(name)}\n\n${generalHelp()}`);
    return ExitCode.usage;
  }

  let execute;
  try {
    const { values, positionals } = parseCommandLine(rest, command.options);
    if (values['help'] === true) {
      io.stdout.write(commandHelp(command));
      return ExitCode.ok;
    }
    execute = command.prepare(values, positionals);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    io.stderr.write(`hub ${command.name}: ${err.message}\nusage: ${command.usage}\n(hub ${command.name} --help for details)\n`);
    return ExitCode.usage;
  }

  let ctx: CliContext;
  try {
    ctx = new CliContext(io);
  } catch (err) {
    io.stderr.write(`${err instanceof ConfigError ? err.message : String(err)}\n`);
    return ExitCode.failure;
  }
  try {
    return await execute(ctx);
  } catch (err) {
    if (err instanceof CliFailure) {
      io.stderr.write(`hub ${command.name}: ${err.message}\n`);
    } else {
      ctx.logger.debug({ err }, 'cli.command.failed');
      io.stderr.write(`hub ${command.name}: failed: ${err instanceof Error ? err.message : String(err)}\n`);
    }
    return ExitCode.failure;
  } finally {
    await ctx.close();
  }
}
