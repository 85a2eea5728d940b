import { HubError } from '@hub/contracts';

/**
 * Where subscriptions remember how far they got: one global position per subscription id.
 * Adapter: PostgreSQL (`postgres.checkpoint-store.ts`, table `hub_checkpoints`). Use with
 * `runCheckpointedSubscription` (`checkpointed-subscription.ts`).
 */
export const CHECKPOINT_STORE = Symbol('CHECKPOINT_STORE');

/**
 * `Transaction` is the adapter's handle on an open transaction (PostgreSQL: a `pg` client on which
 * the caller ran `begin`). Passing it to `save` writes the checkpoint in that transaction, so a
 * projection commits its read-model change and its checkpoint together (exactly-once effect): after
 * a crash either both are there, or neither and the batch is delivered again.
 */
export interface CheckpointStore<Transaction = unknown> {
  /** The last saved position of `subscriptionId`, or undefined when it never saved one (start from the beginning). */
  load(subscriptionId: string, transaction?: Transaction): Promise<bigint | undefined>;
  /**
   * Records `position` (the `globalPosition` of the last event handled) as the subscription's
   * checkpoint, replacing the previous one (last writer wins: run one instance per subscription id).
   * With `transaction`, it is written in that transaction and becomes visible when the caller commits.
   * With `fence` (the leadership the writer holds), it is written only while that leadership is the
   * current one; else nothing is written and `LeaderFencedError` is thrown.
   */
  save(subscriptionId: string, position: bigint, transaction?: Transaction, fence?: LeaderFence): Promise<void>;
}

/**
 * A fencing token: the epoch of one leadership of the lock `name`. Every acquisition of the lock by
 * `whileLeader` takes the next epoch, so a leader that lost its lock without noticing (its process
 * paused past its session's death while another took over) holds an epoch that is no longer the
 * current one, and a write fenced with it (`PostgresCheckpointStore.save(…, fence)`) is refused.
 */
export interface LeaderFence {
  readonly name: string;
  readonly epoch: bigint;
}

/** A write fenced by a leadership that is over: another instance leads now. Never retry: step down. */
export class LeaderFencedError extends HubError {
  readonly code = 'LEADER_FENCED';
  readonly retryable = false;
  constructor(
    readonly fence: LeaderFence,
    what: string,
  ) {
    super(`${what} refused: leadership ${fence.name} epoch ${fence.epoch} is over (another instance leads now)`);
  }
}

/** What a leader is given: its fencing token, and how to step down when a fenced write says it lost the lead. */
export interface Leadership {
  /** Pass it to fenced writes (`PostgresCheckpointStore.save(…, fence)`). */
  fence: LeaderFence;
  /**
   * A fenced write was refused (`LeaderFencedError`): another instance leads. Stops leading (the
   * function `lead` returned is called), gives the lock up if this session still has it, and stands
   * by as after a lost lock. Idempotent; ignored once this leadership is over.
   */
  stepDown(err: LeaderFencedError): void;
}
