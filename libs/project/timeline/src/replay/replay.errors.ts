import { HubError } from '@hub/contracts';

/**
 * Why a replay stopped, as a stable code (the CLI prints the message, the query API stores both).
 * All end the run that hit them; running the replay again is the retry (`retryable` says whether
 * that can help unchanged: only when the lock was held by another run).
 */
export const REPLAY_ERROR_CODES = [
  /** The rebuild's projector failed too many times in a row without progress. */
  'REPLAY_REBUILD_FAILED',
  /** A catch-up did not finish within its time limit. */
  'REPLAY_REBUILD_TIMEOUT',
  /** Stopped from outside (Ctrl-C, the API shutting down, the lock lost): what was done so far is in the message. */
  'REPLAY_INTERRUPTED',
  /** The live timeline tables could not be locked within the lock timeout; nothing was changed. */
  'REPLAY_LOCK_TIMEOUT',
  /** The takeover would do harm (an empty rebuild over a non-empty read model, unknown tables); nothing was changed. */
  'REPLAY_TAKEOVER_REFUSED',
  /** Another replay holds the replay lock of this database. */
  'REPLAY_ALREADY_RUNNING',
] as const;
export type ReplayErrorCode = (typeof REPLAY_ERROR_CODES)[number];

export class ReplayError extends HubError {
  readonly retryable: boolean;
  constructor(
    readonly code: ReplayErrorCode,
    message: string,
  ) {
    super(message);
    this.retryable = code === 'REPLAY_ALREADY_RUNNING' || code === 'REPLAY_LOCK_TIMEOUT';
    this.name = 'ReplayError';
  }
}
