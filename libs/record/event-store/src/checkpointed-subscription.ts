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
  /**
   * `'after-batch'` only: save at most once per this many ms, the last batch's position, instead of
   * after every batch (a save is a round trip the next batch waited for; at low rates a batch is an
   * event or two). A crash redelivers up to this much more; `stop()` saves what is pending. A refused
   * save steps the leadership down as before, up to this much later. Default 0: after every batch.
   */
  saveEveryMs?: number;
}

/** How often the hub's relays (store → Kafka) save their checkpoints: `saveEveryMs`. */
export const RELAY_SAVE_EVERY_MS = 200;

/**
 * Loads the subscription's checkpoint, subscribes to all from it and (by default) saves the
 * position of each batch's last event once `onEvents` resolved (or, with `saveEveryMs`, the last
 * one handled, at most once per that many ms). A failed save is reported to
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
  const {
    checkpoint: _checkpoint,
    fromWhenNoCheckpoint,
    leadership: _leadership,
    saveEveryMs: _saveEveryMs,
    onEvents: _onEvents,
    ...rest
  } = options;
  const from = (await checkpoints.load(subscriptionId)) ?? fromWhenNoCheckpoint;
  const handler = checkpointedHandler(checkpoints, subscriptionId, options);
  const subscription = store.subscribeToAll({
    ...rest,
    ...(from === undefined ? {} : { from }),
    onEvents: (events) => handler.handle(events),
  });
  if (!handler.defers) return subscription;
  return {
    get position() {
      return subscription.position;
    },
    caughtUp: subscription.caughtUp,
    get isCaughtUp() {
      return subscription.isCaughtUp;
    },
    stop: async () => {
      await subscription.stop();
      await handler.close();
    },
  };
}

/**
 * One consumer's handling of a batch with its checkpoint (`CheckpointedSubscriptionOptions`): what
 * `runCheckpointedSubscription` hands its subscription, and what each consumer of
 * `runCheckpointedSubscriptions` (fan-out) runs. `handle` is retried with the same batch after a
 * failure; once `onEvents` succeeded for a batch, a retry only saves again.
 */
export interface CheckpointedHandler {
  handle(events: RecordedEvent[]): Promise<void>;
  /** True when saves are deferred (`saveEveryMs`): `close()` saves what is pending. */
  readonly defers: boolean;
  /** Saves what is pending, once (after the last `handle`). */
  close(): Promise<void>;
}

export function checkpointedHandler<Transaction>(
  checkpoints: CheckpointStore<Transaction>,
  subscriptionId: string,
  options: Pick<CheckpointedSubscriptionOptions, 'checkpoint' | 'leadership' | 'saveEveryMs' | 'onEvents' | 'onError'>,
): CheckpointedHandler {
  const { checkpoint = 'after-batch', leadership, saveEveryMs = 0, onEvents } = options;
  if (checkpoint === 'in-handler')
    return { handle: (events) => onEvents.call(options, events), defers: false, close: async () => undefined };
  let handledUpTo: bigint | undefined;
  const save = async (position: bigint): Promise<void> => {
    try {
      await checkpoints.save(subscriptionId, position, undefined, leadership?.fence);
    } catch (err) {
      if (err instanceof LeaderFencedError) leadership?.stepDown(err);
      throw err;
    }
  };
  const deferred = saveEveryMs > 0 ? new DeferredSave(save, saveEveryMs, (err) => options.onError?.(err)) : undefined;
  return {
    defers: deferred !== undefined,
    handle: async (events) => {
      const last = events[events.length - 1]!.globalPosition;
      // The subscription retries a failed batch as a whole: after a failed save, only save again.
      if (handledUpTo !== last) {
        await onEvents.call(options, events);
        handledUpTo = last;
      }
      if (deferred) deferred.handled(last);
      else await save(last);
    },
    close: async () => {
      await deferred?.close();
    },
  };
}

/** The position handled last, saved `everyMs` after the first batch since the last save; a failed save is tried again then. */
class DeferredSave {
  private pending: bigint | undefined;
  private timer: NodeJS.Timeout | undefined;
  private saving: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly save: (position: bigint) => Promise<void>,
    private readonly everyMs: number,
    private readonly onError: (err: unknown) => void,
  ) {}

  handled(position: bigint): void {
    this.pending = position;
    this.timer ??= setTimeout(() => void this.flush(), this.everyMs);
  }

  /** Saves what is pending now (after a save under way). */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.saving = this.saving.then(async () => {
      const position = this.pending;
      if (position === undefined) return;
      this.pending = undefined;
      try {
        await this.save(position);
      } catch (err) {
        this.onError(err);
        // Unless a later position came meanwhile, this one is saved next time.
        this.pending ??= position;
        if (!this.closed) this.timer ??= setTimeout(() => void this.flush(), this.everyMs);
      }
    });
    return this.saving;
  }

  /** Saves what is pending, once: after the subscription stopped, a failure is reported, not retried (a redelivery after the restart). */
  close(): Promise<void> {
    this.closed = true;
    return this.flush();
  }
}
