import 'reflect-metadata';
import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import type { HubLogger } from '@hub/platform';
import type { TimelineQueries } from '@hub/timeline';
import { LiveTimelines, type LiveSettings } from './live-timelines';
import { positionAt } from './live-window';
import type { TimelineNotifications } from './timeline-notifications';

/**
 * How a live stream ends when its client does not keep up, with the store and the socket replaced by
 * stand-ins: a response whose writes the test accepts or not, and drains or not.
 */
class FakeResponse extends EventEmitter {
  headersSent = false;
  writableEnded = false;
  writableLength = 0;
  destroyed = false;
  readonly socket = null;
  readonly chunks: string[] = [];
  constructor(private readonly onWrite: (res: FakeResponse) => boolean) {
    super();
  }
  writeHead(): this {
    this.headersSent = true;
    return this;
  }
  write(chunk: string): boolean {
    this.chunks.push(chunk);
    return this.onWrite(this);
  }
  end(): void {
    this.writableEnded = true;
  }
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.emit('close');
  }
}

const queries = {
  timelineMembers: async (_tenant: string, customerId: string) => [customerId],
  entriesRecordedAfter: async () => [],
} as unknown as TimelineQueries;
const notifications = { subscribe: async () => () => undefined, close: async () => undefined } as unknown as TimelineNotifications;
const closedReasons: string[] = [];
const logger = {
  info: (fields: { reason?: string }, msg: string) => msg === 'query.live.closed' && closedReasons.push(fields.reason ?? ''),
  warn: () => undefined,
} as unknown as HubLogger;

const settings = (overrides: Partial<LiveSettings>): LiveSettings => ({
  heartbeatMs: 20,
  lookbackMs: 30_000,
  maxBufferedBytes: 1 << 20,
  maxStreams: 10,
  maxStreamsPerKey: 10,
  writeStallMs: 100,
  maxStreamMs: 60_000,
  ...overrides,
});

async function until(what: string, done: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function openOn(live: LiveTimelines, res: FakeResponse): Promise<void> {
  const lease = live.reserve('key');
  if (!lease.ok) throw new Error('no place');
  const now = Date.now();
  await live.open(
    't',
    'c',
    { position: { at: positionAt(now), id: '00000000-0000-0000-0000-000000000000' }, resumed: true },
    res as unknown as ServerResponse,
    lease,
  );
}

describe('LiveTimelines', () => {
  beforeEach(() => (closedReasons.length = 0));

  describe('when the socket takes nothing (every write waits for a drain that never comes)', () => {
    it('then the stream is cut as a slow client after writeStallMs, and its place is freed', async () => {
      const live = new LiveTimelines(queries, notifications, logger, settings({}));
      const res = new FakeResponse(() => false);
      await openOn(live, res);
      expect(live.openStreams).toBe(1);
      await until('the stream cut', () => res.destroyed);
      expect(closedReasons).toEqual(['slow_client']);
      expect(live.openStreams).toBe(0);
    });
  });

  describe('when the socket is full now and then but drains', () => {
    it('then the stream stays open past many stall periods', async () => {
      const live = new LiveTimelines(queries, notifications, logger, settings({}));
      const res = new FakeResponse((r) => {
        setTimeout(() => r.emit('drain'), 5);
        return false;
      });
      await openOn(live, res);
      // Heartbeats every 20 ms: 30 of them span several times writeStallMs (100 ms).
      await until('30 heartbeats', () => res.chunks.filter((c) => c.startsWith(': heartbeat')).length >= 30);
      expect(res.destroyed).toBe(false);
      expect(live.openStreams).toBe(1);
      await live.beforeApplicationShutdown();
    });
  });

  describe('when a stream reaches maxStreamMs', () => {
    it('then it is ended (its client reconnects with Last-Event-ID), its place freed, and its connection dropped after a grace', async () => {
      const live = new LiveTimelines(queries, notifications, logger, settings({ maxStreamMs: 200 }));
      const res = new FakeResponse(() => true);
      await openOn(live, res);
      await until('the stream ended', () => res.writableEnded);
      expect(closedReasons).toEqual(['expired']);
      expect(live.openStreams).toBe(0);
      await until('the connection dropped', () => res.destroyed, 20_000);
    }, 30_000);

    it('then a stream with bytes still unsent (a client not reading) is dropped at once', async () => {
      const live = new LiveTimelines(queries, notifications, logger, settings({ maxStreamMs: 200, writeStallMs: 60_000 }));
      const res = new FakeResponse((r) => {
        r.writableLength += 1;
        return true;
      });
      await openOn(live, res);
      await until('the stream dropped', () => res.destroyed);
      expect(closedReasons).toEqual(['expired']);
      expect(res.writableEnded).toBe(false);
      expect(live.openStreams).toBe(0);
    });
  });
});
