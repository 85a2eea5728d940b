import type { CliContext } from './cli-context';
import type { OptionSpecs, ParsedValues } from './cli.args';
import type { ExitCode } from './cli.errors';

/** A command ready to run: its arguments are already parsed and valid. */
export type Execute = (ctx: CliContext) => Promise<ExitCode>;

/**
 * One CLI command: its help, its options (`node:util` parseArgs specs) and `prepare`, which checks
 * the command line (throwing `UsageError`, exit 2) before anything connects.
 */
export interface Command {
  name: string;
  summary: string;
  /** One line: `hub state <tenant> <customerId> [--as-of ISO] [--revision N]`. */
  usage: string;
  /** Everything `--help` prints after the usage line. */
  help: string;
  options: OptionSpecs;
  prepare(values: ParsedValues, positionals: string[]): Execute;
}
