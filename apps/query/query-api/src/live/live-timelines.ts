import type { ServerResponse } from 'node:http';
import { Inject, Injectable, type BeforeApplicationShutdown } from '@nestjs/common';
import { hubMetrics } from '@hub/metrics';
import { LOGGER, type HubLogger } from '@hub/platform';
import { TIMELINE_QUERIES, type Position, type TimelineQueries } from '@hub/timeline';
import { comparePositions, LiveWindow, positionAt } from './live-window';
import { TIMELINE_NOTIFICATIONS, timelineKey, type TimelineNotifications } from './timeline-notifications';

export const LIVE_SETTINGS = Symbol('LIVE_SETTINGS');

export interface LiveSettings {
  /** A comment line this often keeps proxies from closing an idle stream; each beat also reads (a missed NOTIFY costs at most this). */
  heartbeatMs: number;
  /** How far behind the newest sent entry a stream still looks for entries that became visible late. */
  lookbackMs: number;
  /** Close a stream whose client reads slower than this many unsent bytes (it resumes with Last-Event-ID). */
  maxBufferedBytes: number;
  /**
   * Close a stream whose socket has taken nothing (a write left waiting for `drain`) for this long: a
   * client that stopped reading, once the kernel's buffers are full.
   */
  writeStallMs: number;
  /**
   * End every stream after this long, reading or not (EventSource reconnects with Last-Event-ID and misses
   * nothing). The one bound on a client that stopped reading a quiet stream: the few heartbeat bytes fit
   * in the kernel's socket buffers for days, and each write keeps the connection from idling out.
   */
  maxStreamMs: number;
  /** Open streams this process serves at most (each is a LISTEN subscription and a read per heartbeat); more: 503. */
  maxStreams: number;
  /** Open streams one API key holds at most; more: 429. */
  maxStreamsPerKey: number;
}

/** A stream's place under the caps, held from before it opens until it closes (`release` is idempotent). */
export interface LiveLease {
  release(): void;
}

/** Why a stream could not have a place: this process is full (503), or its key holds its share (429). */
export type LiveRefusal = { ok: false; limit: 'process' | 'key'; max: number };

const READ_PAGE = 200;
/** How long an expired stream's client has to take the end of the stream before its connection is dropped. */
const EXPIRED_GRACE_MS = 5_000;
const ZERO_UUID = '00000000-0000-0000-0000-000000000000';
const MAX_UUID = 'ffffffff-ffff-ffff-ffff-ffffffffffff';

/** Where a live stream starts (see `LiveTimelines.startPosition`). */
export interface LiveStart {
  /** Entries at or before this position are never sent. */
  position: Position;
  /** After the entry named by `Last-Event-ID`. */
  resumed: boolean;
  /** A new stream: when it opened. Entries visible by then are not sent, nor those a merged-in customer had recorded by then. */
  openedAt?: Position;
}

/**
 * The live timelines of this process: one per SSE connection, all woken through the shared LISTEN
 * connection. Each sends, as `event: entry` with `id: <eventId>`, the customer's entries that are
 * recorded after where the stream started, in recorded order.
 */
@Injectable()
export class LiveTimelines implements BeforeApplicationShutdown {
  private readonly sessions = new Set<LiveSession>();
  /** Places taken under the caps: by every stream being set up or open, in all and per key. */
  private held = 0;
  private readonly heldByKey = new Map<string, number>();

  constructor(
    @Inject(TIMELINE_QUERIES) private readonly queries: TimelineQueries,
    @Inject(TIMELINE_NOTIFICATIONS) private readonly notifications: TimelineNotifications,
    @Inject(LOGGER) private readonly logger: HubLogger,
    @Inject(LIVE_SETTINGS) private readonly settings: LiveSettings,
  ) {}

  /**
   * Where a stream starts. A reconnecting client names the last entry it got: everything recorded after
   * it. A new stream: everything that becomes visible from now on. Entries are timed by when they were
   * recorded, and the projector makes them visible a little later, so a new stream reads from `lookbackMs`
   * ago and first marks what is already visible as seen (`open` primes it) instead of cutting at the clock.
   */
  async startPosition(tenantId: string, lastEventId: string | undefined): Promise<LiveStart> {
    const known = lastEventId ? await this.queries.recordedPosition(tenantId, lastEventId.trim()) : undefined;
    if (known) return { position: known, resumed: true };
    const now = Date.now();
    return {
      position: { at: positionAt(now - this.settings.lookbackMs), id: ZERO_UUID },
      resumed: false,
      openedAt: { at: positionAt(now), id: MAX_UUID },
    };
  }

  /**
   * A place for one more stream of `keyId`, or why there is none. Taken before anything is read, so a
   * flood of opens costs no query past the caps; the caller releases it if the stream never opens, and
   * the stream releases it when it closes.
   */
  reserve(keyId: string): ({ ok: true } & LiveLease) | LiveRefusal {
    if (this.held >= this.settings.maxStreams) return { ok: false, limit: 'process', max: this.settings.maxStreams };
    const ofKey = this.heldByKey.get(keyId) ?? 0;
    if (ofKey >= this.settings.maxStreamsPerKey) return { ok: false, limit: 'key', max: this.settings.maxStreamsPerKey };
    this.held++;
    this.heldByKey.set(keyId, ofKey + 1);
    let released = false;
    return {
      ok: true,
      release: () => {
        if (released) return;
        released = true;
        this.held--;
        const left = (this.heldByKey.get(keyId) ?? 1) - 1;
        if (left > 0) this.heldByKey.set(keyId, left);
        else this.heldByKey.delete(keyId);
      },
    };
  }

  /** Streams set up or open now (what the process cap counts). */
  get openStreams(): number {
    return this.held;
  }

  /**
   * Starts streaming to `res` (whose request is hijacked from the framework). Listens before it answers,
   * so anything committed after the client sees the response head reaches it. The stream releases
   * `lease` when it closes, however it closes.
   */
  async open(tenantId: string, customerId: string, start: LiveStart, res: ServerResponse, lease: LiveLease): Promise<void> {
    const session = new LiveSession(
      tenantId,
      customerId,
      start,
      new LiveWindow(start.position, this.settings.lookbackMs),
      res,
      this.queries,
      this.notifications,
      this.logger,
      this.settings,
      () => {
        if (this.sessions.delete(session)) hubMetrics.liveClients().dec();
        lease.release();
      },
    );
    this.sessions.add(session);
    hubMetrics.liveClients().inc();
    await session.begin();
  }

  /** Ends every stream before the HTTP server closes (it waits for open connections), then the LISTEN connection. */
  async beforeApplicationShutdown(): Promise<void> {
    for (const session of [...this.sessions]) session.close('shutdown');
    await this.notifications.close();
  }
}

class LiveSession {
  private readonly unsubscribe = new Map<string, () => void>();
  /** The customers the stream covered when it opened (others join by merge). */
  private readonly initialMembers = new Set<string>();
  private heartbeat: NodeJS.Timeout | undefined;
  private expiry: NodeJS.Timeout | undefined;
  private stall: NodeJS.Timeout | undefined;
  private closed = false;
  private reading = false;
  private readAgain = false;
  private sent = 0;
  private readonly wake = () => void this.read();

  constructor(
    private readonly tenantId: string,
    private readonly customerId: string,
    private readonly start: LiveStart,
    private readonly window: LiveWindow,
    private readonly res: ServerResponse,
    private readonly queries: TimelineQueries,
    private readonly notifications: TimelineNotifications,
    private readonly logger: HubLogger,
    private readonly settings: LiveSettings,
    private readonly onClose: () => void,
  ) {}

  async begin(): Promise<void> {
    this.res.on('close', () => this.close('client_closed'));
    try {
      for (const id of await this.listenToMembers()) this.initialMembers.add(id);
      // A new stream: what is visible now, the client reads from the timeline; mark it seen, unsent.
      if (!this.start.resumed) await this.read(false);
    } catch (err) {
      this.close('failed');
      throw err;
    }
    if (this.closed) {
      // Shut down (or the client left) while it was setting up.
      if (!this.res.headersSent && !this.res.destroyed) this.res.writeHead(503, { 'Retry-After': '2' }).end();
      return;
    }
    this.res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    // `retry`: how long EventSource waits before reconnecting (with Last-Event-ID).
    this.res.write(`retry: 2000\n: live timeline of ${this.customerId}\n\n`);
    this.heartbeat = setInterval(() => {
      this.write(': heartbeat\n\n');
      void this.read();
    }, this.settings.heartbeatMs);
    this.expiry = setTimeout(() => this.close('expired'), this.settings.maxStreamMs);
    this.logger.info({ tenantId: this.tenantId, customerId: this.customerId, after: this.window.floor() }, 'query.live.opened');
    // A resumed stream first catches up on what it missed.
    void this.read();
  }

  close(reason: 'client_closed' | 'shutdown' | 'slow_client' | 'expired' | 'failed'): void {
    if (this.closed) return;
    this.closed = true;
    if (this.heartbeat) clearInterval(this.heartbeat);
    clearTimeout(this.expiry);
    clearTimeout(this.stall);
    for (const off of this.unsubscribe.values()) off();
    this.unsubscribe.clear();
    if (reason === 'client_closed' || reason === 'slow_client' || (reason === 'expired' && this.res.writableLength > 0)) {
      // The client is gone or not reading: drop the connection (a half-closed one would otherwise linger and hold up shutdown).
      this.res.destroy();
    } else if (this.res.headersSent && !this.res.writableEnded) {
      // Before the head is written the caller answers (503); after it, end the stream (EventSource reconnects with Last-Event-ID)
      // and the connection with it, so that a connection the client already half-closed does not hold up shutdown.
      this.res.end();
      this.res.socket?.end();
      // An expired stream's client may not be reading at all: its socket would sit half-closed until the idle timeout.
      if (reason === 'expired') setTimeout(() => this.res.destroy(), EXPIRED_GRACE_MS).unref();
    }
    this.onClose();
    this.logger.info({ tenantId: this.tenantId, customerId: this.customerId, reason, sent: this.sent }, 'query.live.closed');
  }

  /** Listens for this customer and every customer merged into it (a merge since the last read adds one). */
  private async listenToMembers(): Promise<string[]> {
    const members = await this.queries.timelineMembers(this.tenantId, this.customerId);
    const keys = new Set(members.map((id) => timelineKey(this.tenantId, id)));
    for (const [key, off] of this.unsubscribe) {
      if (!keys.has(key)) {
        off();
        this.unsubscribe.delete(key);
      }
    }
    for (const key of keys) {
      if (!this.unsubscribe.has(key)) this.unsubscribe.set(key, await this.notifications.subscribe(key, this.wake));
    }
    if (this.closed) for (const off of this.unsubscribe.values()) off();
    return members;
  }

  /**
   * Sends what is new (or, with `send` false, only marks it seen); one read at a time per stream, and a
   * wake during a read reads again after it.
   */
  private async read(send = true): Promise<void> {
    if (this.closed) return;
    if (this.reading) {
      this.readAgain = true;
      return;
    }
    this.reading = true;
    try {
      do {
        this.readAgain = false;
        const members = await this.listenToMembers();
        let after = this.window.floor();
        for (;;) {
          const page = await this.queries.entriesRecordedAfter(this.tenantId, members, after, READ_PAGE);
          for (const { item, position } of page) {
            if (this.closed) return;
            if (!this.window.admit(item.eventId, position) || !send || this.recordedBeforeJoining(item.customerId, position)) continue;
            this.write(`event: entry\nid: ${item.eventId}\ndata: ${JSON.stringify(item)}\n\n`);
            this.sent++;
          }
          if (page.length < READ_PAGE) break;
          after = page.at(-1)!.position;
        }
      } while (this.readAgain && !this.closed);
    } catch (err) {
      // Priming must not fail silently (the stream would then send what was already visible): the open fails.
      if (!send) throw err;
      // The next notification or heartbeat reads again.
      this.logger.warn({ tenantId: this.tenantId, customerId: this.customerId, err: String(err) }, 'query.live.read_failed');
    } finally {
      this.reading = false;
    }
  }

  /** A new stream does not send the history a customer merged into it had recorded before the stream opened. */
  private recordedBeforeJoining(customerId: string, position: Position): boolean {
    return (
      this.start.openedAt !== undefined && !this.initialMembers.has(customerId) && comparePositions(position, this.start.openedAt) <= 0
    );
  }

  private write(chunk: string): void {
    if (this.closed || this.res.writableEnded) return;
    const taken = this.res.write(chunk);
    if (this.res.writableLength > this.settings.maxBufferedBytes) this.close('slow_client');
    else if (!taken && this.stall === undefined) {
      // The socket is full: it must drain within writeStallMs, or the client is not reading.
      this.stall = setTimeout(() => this.close('slow_client'), this.settings.writeStallMs);
      this.res.once('drain', () => {
        clearTimeout(this.stall);
        this.stall = undefined;
      });
    }
  }
}
