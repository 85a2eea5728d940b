import { LeaderFencedError, type CheckpointStore, type Leadership } from './checkpoint-store.port';
import type { EventStore, RecordedEvent, SubscribeToAllOptions, Subscription } from './event-store.port';

export interface CheckpointedSubscriptionOptions extends Omit<SubscribeToAllOptions, 'from'> {
  /**
   * Who saves the checkpoint:
   * - `'after-batch'` (default): this helper, once `onEvents` resolved, outside the handler's own
   *   writes (at-least-once: a crash between the two redelivers the batch; the handler must be
   *   idempotent);
   * - `'in-handler'`: `onEvents` does, with `checkpoints.save(subscriptionId, lastPosition, tx)` in
   *   the same transaction as its read-model change (exactly-once effect).
   */
  checkpoint?: 'after-batch' | 'in-handler';
  /**
   * Where to start when the subscription never saved a checkpoint (exclusive). Default: the start
   * of the log.
   */
  fromWhenNoCheckpoint?: bigint;
  /**
   * The leadership this subscription runs under (`whileLeader`): `'after-batch'` saves are fenced
   * with it, and a refused one (`LeaderFencedError`: another instance leads) steps down. An
   * `'in-handler'` handler fences its own save.
   */
  leadership?: Leadership;
}

/**
 * Loads the subscription's checkpoint, subscribes to all from it and (by default) saves the
 * position of each batch's last event once `onEvents` resolved. A failed save is reported to
 * `onError` and retried (by the subscription's retry of the batch) without calling `onEvents` again
 * for that batch. A crash between `onEvents` and the save still redelivers the batch after the
 * restart: in `'after-batch'` mode the handler must be idempotent.
 *
 * Resolves once subscribed (the checkpoint loaded); rejects only when loading the checkpoint fails.
 */
export async function runCheckpointedSubscription<Transaction>(
  store: EventStore,
  checkpoints: CheckpointStore<Transaction>,
  subscriptionId: string,
  options: CheckpointedSubscriptionOptions,
): Promise<Subscription> {
  const { checkpoint = 'after-batch', fromWhenNoCheckpoint, leadership, onEvents, ...rest } = options;
  const from = (await checkpoints.load(subscriptionId)) ?? fromWhenNoCheckpoint;
  let handledUpTo: bigint | undefined;
  const handle =
    checkpoint === 'in-handler'
      ? onEvents
      : async (events: RecordedEvent[]): Promise<void> => {
          const last = events[events.length - 1]!.globalPosition;
          // The subscription retries a failed batch as a whole: after a failed save, only save again.
          if (handledUpTo !== last) {
            await onEvents(events);
            handledUpTo = last;
          }
          try {
            await checkpoints.save(subscriptionId, last, undefined, leadership?.fence);
          } catch (err) {
            if (err instanceof LeaderFencedError) leadership?.stepDown(err);
            throw err;
          }
        };
  return store.subscribeToAll({ ...rest, ...(from === undefined ? {} : { from }), onEvents: handle });
}
