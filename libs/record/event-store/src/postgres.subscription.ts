import type { RecordedEvent } from './event-store.port';
import type { NotificationListener } from './postgres.notification-listener';
import { SubscriptionBase, retryDelay, type RetrySettings, type ValidatedSubscribeOptions } from './subscription-support';

/** One read of the log for a subscription (see `PostgresEventStore` for the SQL). */
export interface PostgresScan {
  /** Events after the cursor that match the filter, in global order, at most `maxEvents`. */
  events: RecordedEvent[];
  /** How many visible events after the cursor were looked at (matching or not), at most `scanLimit`. */
  scanned: number;
  /** Global position of the last event looked at; undefined when none was. */
  highWater: bigint | undefined;
  /**
   * Position of the last committed event (0n when none), visible or not, in the same statement's
   * snapshot: what the subscription must reach to be caught up, and, when it is past the cursor at
   * the end of the visible log, the sign that an open transaction elsewhere holds committed events
   * back. Read with the page, so a poll is one round trip.
   */
  head: bigint;
}

export interface PostgresSubscriptionSource {
  /**
   * Looks at the first `scanLimit` events after `after` in the gap-free prefix of the log (as
   * `readAll` sees it) and returns those matching the filter, at most `maxEvents`.
   */
  scan(
    after: bigint,
    scanLimit: number,
    maxEvents: number,
    filter: Pick<ValidatedSubscribeOptions, 'streamPrefixes' | 'eventTypes'>,
  ): Promise<PostgresScan>;
  /** Registers for NOTIFY wake-ups; the returned function unregisters. */
  listen(listener: NotificationListener): () => Promise<void>;
}

export interface PostgresSubscriptionSettings {
  /** Read at least this often when no notification arrives (NOTIFY is missed while LISTEN reconnects). */
  pollIntervalMs: number;
  /**
   * At the end of the log, the next read starts no sooner than this after the previous one started,
   * however soon a notification comes: what was appended meanwhile is read in one page. 0: none.
   */
  minGapMs?: number;
  retry: RetrySettings;
}

/**
 * With a filter, each read looks at up to this many events (matching or not) after the cursor, and
 * the cursor moves to the last one looked at: a long run of filtered-out events costs a few reads,
 * not a scan to the end of the log per poll.
 */
export const FILTERED_SCAN_WINDOW = 2_000;

/**
 * Poll interval (at most) while committed events are held back by an open transaction: it will end
 * without a NOTIFY on this store's channel (it may not even be an append).
 */
export const HELD_BACK_POLL_MS = 100;

/**
 * The first poll after finding events held back comes this soon, and each further one twice as late,
 * up to `HELD_BACK_POLL_MS`: under load the transaction in the way is usually another append or a
 * projection's write, over within milliseconds, and a flat 100 ms wait was most of a hop's latency
 * (the timeline and both relays sit behind one each). A long transaction costs a handful of extra
 * polls before the waits reach the cap.
 */
export const HELD_BACK_FIRST_POLL_MS = 4;

/** The wait before the `round`-th consecutive poll (0-based) that finds events held back. */
export function heldBackPollMs(round: number, pollIntervalMs: number): number {
  return Math.min(HELD_BACK_FIRST_POLL_MS * 2 ** Math.min(round, 16), HELD_BACK_POLL_MS, pollIntervalMs);
}

/**
 * The PostgreSQL catch-up subscription: reads pages of the gap-free log after its cursor, hands
 * matching events to `onEvents`, and, at the end of the log, sleeps until a NOTIFY from an append
 * (`PostgresNotificationListener`) or the poll interval — or `HELD_BACK_POLL_MS` while committed
 * events are held back by an open transaction. Read failures (connection lost, database
 * restarting) are reported and retried with backoff from the same cursor.
 */
export class PostgresSubscription extends SubscriptionBase {
  /** Position up to which the log has been looked at: delivered, or filtered out. */
  private cursor: bigint;

  constructor(
    private readonly source: PostgresSubscriptionSource,
    options: ValidatedSubscribeOptions,
    private readonly settings: PostgresSubscriptionSettings,
  ) {
    super(options, settings.retry);
    this.cursor = options.from ?? 0n;
  }

  protected async run(): Promise<void> {
    const unlisten = this.source.listen({ wake: () => this.wake(), report: (error) => this.report(error) });
    try {
      const { batchSize } = this.options;
      const filtered = this.options.streamPrefixes !== undefined || this.options.eventTypes !== undefined;
      const scanLimit = filtered ? Math.max(batchSize, FILTERED_SCAN_WINDOW) : batchSize;
      let failures = 0;
      /** Consecutive polls that found committed events held back (see `heldBackPollMs`). */
      let heldRounds = 0;
      // Caught up = past every event committed before the subscription started. The end of the
      // visible log is not enough: an open transaction elsewhere can hold committed events back.
      let target: bigint | undefined;
      const minGapMs = this.settings.minGapMs ?? 0;
      /** When the last read started, if the loop paused after it (at the end of the log); reset when catching up. */
      let pausedAfterReadAt: number | undefined;
      while (!this.stopped) {
        if (pausedAfterReadAt !== undefined && minGapMs > 0) {
          const wait = pausedAfterReadAt + minGapMs - performance.now();
          if (wait > 0) await this.pause(wait, false);
          if (this.stopped) break;
        }
        pausedAfterReadAt = undefined;
        const readAt = performance.now();
        // A NOTIFY that arrives from here on ends the next pause at once: none is lost between the read and the pause.
        this.clearWake();
        let page: PostgresScan;
        try {
          page = await this.source.scan(this.cursor, scanLimit, batchSize, this.options);
          // The head as the first page saw it: every event committed before that read.
          target ??= page.head;
          failures = 0;
        } catch (err) {
          this.report(err);
          await this.pause(retryDelay(failures++, this.retry), false);
          continue;
        }
        if (this.stopped) break;
        if (page.events.length > 0 && !(await this.deliver(page.events))) break;

        const full = page.events.length === batchSize;
        // A full batch may leave matching events in the window: continue after the last delivered one.
        // Otherwise every match up to the high-water mark was delivered: skip the rest of the window.
        if (full) this.cursor = page.events[page.events.length - 1]!.globalPosition;
        else if (page.highWater !== undefined) this.cursor = page.highWater;

        if (!full && page.scanned < scanLimit) {
          if (this.cursor >= target) this.markCaughtUp();
          const heldBack = page.head > this.cursor;
          // Held back with nothing delivered: poll again sooner, then later. Anything else starts over.
          heldRounds = heldBack && page.events.length === 0 ? heldRounds + 1 : heldBack ? 1 : 0;
          pausedAfterReadAt = readAt;
          await this.pause(heldBack ? heldBackPollMs(heldRounds - 1, this.settings.pollIntervalMs) : this.settings.pollIntervalMs, true);
        }
      }
    } finally {
      await unlisten();
    }
  }
}
