import { HubError } from '@hub/contracts';

/** Exit codes of every command: data on stdout only when 0. */
export const ExitCode = {
  ok: 0,
  /** The command ran and failed (database unreachable, unknown customer, differences found, …). */
  failure: 1,
  /** The command line was wrong: nothing was done. */
  usage: 2,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** A wrong command line. Printed with the command's usage; exit code 2. */
export class UsageError extends HubError {
  readonly code = 'CLI_USAGE';
  readonly retryable = false;
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/**
 * A failure the operator can act on, with a stable code (`CLI_UNKNOWN_CUSTOMER`, `CLI_LOCK_TIMEOUT`,
 * …): printed as `hub <command>: <message>` without a stack; exit code 1.
 */
export class CliFailure extends HubError {
  readonly retryable = false;
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'CliFailure';
  }
}

/** The operator interrupted the command (SIGINT/SIGTERM); what was done so far is reported. */
export class InterruptedError extends CliFailure {
  constructor(what: string) {
    super('CLI_INTERRUPTED', `interrupted: ${what}`);
    this.name = 'InterruptedError';
  }
}
