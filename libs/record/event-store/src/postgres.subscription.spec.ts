import type { RecordedEvent } from './event-store.port';
import { CoalescingNotifier } from './postgres.event-store';
import type { NotificationListener } from './postgres.notification-listener';
import { HELD_BACK_POLL_MS, heldBackPollMs, PostgresSubscription, type PostgresSubscriptionSource } from './postgres.subscription';
import { validateSubscribeOptions } from './subscription-support';

describe('heldBackPollMs', () => {
  it('polls soon after finding events held back, then twice as late each time, up to the held-back cap', () => {
    const waits = Array.from({ length: 8 }, (_, round) => heldBackPollMs(round, 500));
    expect(waits).toEqual([4, 8, 16, 32, 64, HELD_BACK_POLL_MS, HELD_BACK_POLL_MS, HELD_BACK_POLL_MS]);
  });

  it('never waits longer than the subscription polls anyway, nor overflows after many rounds', () => {
    expect(heldBackPollMs(3, 20)).toBe(20);
    expect(heldBackPollMs(10_000, 500)).toBe(HELD_BACK_POLL_MS);
  });
});

/** An in-memory log behind the subscription's source port: the reads it was asked for, and when. */
class MemoryLog {
  readonly events: RecordedEvent[] = [];
  readonly scans: { at: number; after: bigint; returned: number }[] = [];
  private listener: NotificationListener | undefined;

  append(count: number): void {
    for (let i = 0; i < count; i++) {
      const position = BigInt(this.events.length + 1);
      this.events.push({
        streamName: 's-1',
        eventId: `e${position}`,
        type: 'Happened',
        data: {},
        metadata: {},
        revision: position - 1n,
        globalPosition: position,
        createdAt: new Date(0),
      });
    }
    this.listener?.wake();
  }

  readonly source: PostgresSubscriptionSource = {
    scan: async (after, scanLimit, maxEvents) => {
      const window = this.events.filter((e) => e.globalPosition > after).slice(0, scanLimit);
      const events = window.slice(0, maxEvents);
      this.scans.push({ at: Date.now(), after, returned: events.length });
      return { events, scanned: window.length, highWater: window.at(-1)?.globalPosition, head: BigInt(this.events.length) };
    },
    listen: (listener) => {
      this.listener = listener;
      return async () => void (this.listener = undefined);
    },
  };
}

describe('PostgresSubscription minGapMs', () => {
  beforeEach(() => jest.useFakeTimers({ now: 1_000_000 }));
  afterEach(() => jest.useRealTimers());

  const subscribe = (log: MemoryLog, minGapMs: number, delivered: bigint[][], batchSize = 100) =>
    new PostgresSubscription(
      log.source,
      validateSubscribeOptions({ batchSize, onEvents: async (events) => void delivered.push(events.map((e) => e.globalPosition)) }),
      { pollIntervalMs: 500, minGapMs, retry: { initialMs: 100, maxMs: 1_000 } },
    ).start();

  it('at the end of the log, reads no sooner than the gap after the last read, however often it is woken, and loses nothing', async () => {
    const log = new MemoryLog();
    const delivered: bigint[][] = [];
    const subscription = subscribe(log, 50, delivered);
    await jest.advanceTimersByTimeAsync(0);
    expect(subscription.isCaughtUp).toBe(true);
    // One append a millisecond, each waking the subscription, for 200 ms.
    for (let ms = 0; ms < 200; ms++) {
      log.append(1);
      await jest.advanceTimersByTimeAsync(1);
    }
    await jest.advanceTimersByTimeAsync(100);
    const starts = log.scans.map((s) => s.at);
    for (let i = 1; i < starts.length; i++) expect(starts[i]! - starts[i - 1]!).toBeGreaterThanOrEqual(50);
    // 200 wake-ups answered by a handful of reads, each carrying the appends of its gap.
    expect(log.scans.length).toBeLessThanOrEqual(1 + Math.ceil(300 / 50));
    expect(delivered.flat()).toEqual(log.events.map((e) => e.globalPosition));
    await subscription.stop();
  });

  it('without a gap, answers each wake-up with a read of its own', async () => {
    const log = new MemoryLog();
    const delivered: bigint[][] = [];
    const subscription = subscribe(log, 0, delivered);
    await jest.advanceTimersByTimeAsync(0);
    for (let ms = 0; ms < 20; ms++) {
      log.append(1);
      await jest.advanceTimersByTimeAsync(1);
    }
    expect(delivered).toHaveLength(20);
    await subscription.stop();
  });

  it('catching up is not slowed: full pages are read one after another with no time passing', async () => {
    const log = new MemoryLog();
    log.append(35);
    const delivered: bigint[][] = [];
    const subscription = subscribe(log, 50, delivered, 10);
    await jest.advanceTimersByTimeAsync(0);
    expect(delivered.map((page) => page.length)).toEqual([10, 10, 10, 5]);
    expect(new Set(log.scans.map((s) => s.at)).size).toBe(1);
    await subscription.stop();
  });
});

describe('CoalescingNotifier', () => {
  beforeEach(() => jest.useFakeTimers({ now: 1_000_000 }));
  afterEach(() => jest.useRealTimers());

  it('sends at most one notification per gap, and one more for pokes that came during it', async () => {
    const sent: number[] = [];
    const notifier = new CoalescingNotifier(async () => void sent.push(Date.now()), 20);
    for (let ms = 0; ms < 100; ms++) {
      notifier.poke();
      await jest.advanceTimersByTimeAsync(1);
    }
    await jest.advanceTimersByTimeAsync(50);
    await notifier.settled();
    for (let i = 1; i < sent.length; i++) expect(sent[i]! - sent[i - 1]!).toBeGreaterThanOrEqual(20);
    expect(sent.length).toBeLessThanOrEqual(1 + Math.ceil(100 / 20));
    // The last poke (at 99 ms) is answered by a send that started after it.
    expect(sent.at(-1)!).toBeGreaterThanOrEqual(1_000_099);
  });

  it('with no gap, a poke while one is in flight asks for exactly one more', async () => {
    let release!: () => void;
    const sent: number[] = [];
    const notifier = new CoalescingNotifier(
      () =>
        new Promise<void>((resolve) => {
          sent.push(1);
          release = resolve;
        }),
    );
    notifier.poke();
    notifier.poke();
    notifier.poke();
    await jest.advanceTimersByTimeAsync(0);
    release();
    await jest.advanceTimersByTimeAsync(0);
    release();
    await notifier.settled();
    expect(sent).toHaveLength(2);
  });
});
