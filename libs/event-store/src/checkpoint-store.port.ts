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
   */
  save(subscriptionId: string, position: bigint, transaction?: Transaction): Promise<void>;
}
