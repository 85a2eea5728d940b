import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { LOGGER, type AuditLog, type AuditRecord, type HubLogger } from '@hub/platform';

export const AUDIT_STORE = Symbol('AUDIT_STORE');
export const AUDIT_SETTINGS = Symbol('AUDIT_SETTINGS');

/** The audit log and what closes the connections it writes on (its own pool: it outlives the app's, see below). */
export interface AuditStore {
  log: AuditLog;
  close(): Promise<void>;
}

export interface AuditSettings {
  /** Pending entries are written at least this often. */
  flushMs: number;
  /** Entries per insert; a full batch is written at once. */
  batchSize: number;
  /** Entries pending or promised at most; past it an audited call is refused (503) rather than left unrecorded. */
  maxPending: number;
}

/** What the trail has done since the process started (`GET /admin/v1/audit/status`). */
export interface AuditTrailStatus {
  pending: number;
  inFlight: number;
  written: number;
  /** Audited calls refused because the trail was full. */
  refused: number;
  failedFlushes: number;
  /** Entries that could not be written before the process stopped (logged as `query.audit.lost`). */
  lost: number;
}

/**
 * The audit log's writer in the query API: the read path never waits on it. An audited call first
 * takes a place (`reserve`), then its entry joins a buffer written in batches, one insert per batch,
 * every `flushMs` or when a batch is full. Nothing is dropped in silence:
 *
 * - the buffer is bounded, and when it is full an audited call is refused before it reads anything
 *   (503, `query.audit.full`, counted as `refused`), so no personal data leaves unrecorded;
 * - a failed write keeps its entries, in order, for the next flush (`query.audit.flush_failed`);
 * - at shutdown, after the HTTP server has closed (every request answered, every live stream
 *   ended), what is pending is written; what cannot be is logged as `query.audit.lost` with its count.
 *
 * It writes on a pool of its own, closed after that last flush: the app's pool closes in a shutdown
 * hook whose order against this one Nest does not promise.
 */
@Injectable()
export class AuditTrail implements OnModuleInit, OnApplicationShutdown {
  private pending: AuditRecord[] = [];
  private inFlight = 0;
  private writing: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private readonly counts = { written: 0, refused: 0, failedFlushes: 0, lost: 0 };
  private lastFullLog = 0;

  constructor(
    @Inject(AUDIT_STORE) private readonly store: AuditStore,
    @Inject(AUDIT_SETTINGS) private readonly settings: AuditSettings,
    @Inject(LOGGER) private readonly logger: HubLogger,
  ) {}

  get log(): AuditLog {
    return this.store.log;
  }

  onModuleInit(): void {
    this.timer = setInterval(() => void this.flush().catch(() => undefined), this.settings.flushMs);
    this.timer.unref();
  }

  /** A place for one entry, taken before the audited call runs; false when the trail is full. */
  reserve(): boolean {
    if (this.pending.length + this.inFlight >= this.settings.maxPending) {
      this.counts.refused += 1;
      const now = Date.now();
      if (now - this.lastFullLog >= 1_000) {
        this.lastFullLog = now;
        this.logger.error(
          { code: 'audit_trail_full', pending: this.pending.length, inFlight: this.inFlight, refused: this.counts.refused },
          'query.audit.full',
        );
      }
      return false;
    }
    this.inFlight += 1;
    return true;
  }

  /** The entry of a call that reserved its place. */
  record(entry: AuditRecord): void {
    this.inFlight -= 1;
    this.pending.push(entry);
    if (this.pending.length >= this.settings.batchSize) void this.flush().catch(() => undefined);
  }

  /** A reserved place not needed after all (the key store recorded the change itself). */
  release(): void {
    this.inFlight -= 1;
  }

  /** Writes every entry pending now (after any write under way); rejects when a batch could not be written (it stays pending). */
  flush(): Promise<void> {
    const run = this.writing.catch(() => undefined).then(() => this.writePending());
    this.writing = run;
    return run;
  }

  status(): AuditTrailStatus {
    return { pending: this.pending.length, inFlight: this.inFlight, ...this.counts };
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    try {
      await this.flush();
    } catch {
      // Logged by the flush; counted below.
    }
    if (this.pending.length > 0) {
      this.counts.lost += this.pending.length;
      this.logger.error(
        { code: 'audit_entries_lost', lost: this.pending.length, first: this.pending[0]!.at.toISOString() },
        'query.audit.lost',
      );
    }
    await this.store.close();
  }

  private async writePending(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending.slice(0, this.settings.batchSize);
      try {
        await this.store.log.append(batch);
      } catch (err) {
        this.counts.failedFlushes += 1;
        this.logger.error({ err: String(err), pending: this.pending.length }, 'query.audit.flush_failed');
        throw err;
      }
      this.pending.splice(0, batch.length);
      this.counts.written += batch.length;
    }
  }
}
