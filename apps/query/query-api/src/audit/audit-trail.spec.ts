import type { AuditLog, AuditRecord, HubLogger, KeyAuditEntry } from '@hub/platform';
import { AuditTrail, type AuditSettings } from './audit-trail';

/** An audit log in memory that can be made to fail, as PostgreSQL does when it is away. */
class MemoryAuditLog implements AuditLog {
  readonly batches: AuditRecord[][] = [];
  failing = false;
  closed = false;
  async append(records: readonly AuditRecord[]): Promise<void> {
    if (this.failing) throw new Error('connection refused');
    this.batches.push([...records]);
  }
  async query(): Promise<KeyAuditEntry[]> {
    return [];
  }
  get written(): string[] {
    return this.batches.flat().map((r) => r.action);
  }
}

const logged: string[] = [];
const logger = {
  error: (_fields: object, msg: string) => logged.push(msg),
  warn: (_fields: object, msg: string) => logged.push(msg),
} as unknown as HubLogger;

function trailWith(settings: Partial<AuditSettings> = {}) {
  const log = new MemoryAuditLog();
  const trail = new AuditTrail(
    {
      log,
      close: async () => {
        log.closed = true;
      },
    },
    { flushMs: 60_000, batchSize: 500, maxPending: 100, ...settings },
    logger,
  );
  return { log, trail };
}

const entry = (action: string): AuditRecord => ({
  at: new Date('2026-01-01T00:00:00Z'),
  actor: 'key:1a2b3c4d',
  action,
  tenantId: 'acme',
  customerId: null,
  keyId: null,
  outcome: 'ok',
  detail: {},
});

function recordAll(trail: AuditTrail, actions: string[]): void {
  for (const action of actions) {
    expect(trail.reserve()).toBe(true);
    trail.record(entry(action));
  }
}

beforeEach(() => logged.splice(0));

describe('the audit trail', () => {
  describe('when entries are recorded', () => {
    it('then a flush writes them in order, in batches of the batch size, and counts them', async () => {
      const { log, trail } = trailWith({ batchSize: 2 });
      recordAll(trail, ['a', 'b', 'c']);
      await trail.flush();
      expect(log.batches.map((b) => b.map((r) => r.action))).toEqual([['a', 'b'], ['c']]);
      expect(trail.status()).toMatchObject({ pending: 0, inFlight: 0, written: 3 });
    });
  });

  describe('when the log cannot be written', () => {
    it('then the entries stay, in order, and the next flush writes them', async () => {
      const { log, trail } = trailWith();
      recordAll(trail, ['a', 'b']);
      log.failing = true;
      await expect(trail.flush()).rejects.toThrow('connection refused');
      recordAll(trail, ['c']);
      expect(trail.status()).toMatchObject({ pending: 3, failedFlushes: 1, written: 0 });
      expect(logged).toContain('query.audit.flush_failed');
      log.failing = false;
      await trail.flush();
      expect(log.written).toEqual(['a', 'b', 'c']);
    });
  });

  describe('when it holds as many entries as it may', () => {
    it('then it refuses another place, says so, and takes one again once written', async () => {
      const { trail } = trailWith({ maxPending: 2 });
      recordAll(trail, ['a']);
      expect(trail.reserve()).toBe(true);
      // Two places taken (one pending, one promised to a call under way): the third is refused.
      expect(trail.reserve()).toBe(false);
      expect(trail.status()).toMatchObject({ pending: 1, inFlight: 1, refused: 1 });
      expect(logged).toContain('query.audit.full');
      trail.record(entry('b'));
      await trail.flush();
      expect(trail.reserve()).toBe(true);
    });

    it('then a place given back (the key store recorded the change) frees it', () => {
      const { trail } = trailWith({ maxPending: 1 });
      expect(trail.reserve()).toBe(true);
      trail.release();
      expect(trail.reserve()).toBe(true);
      expect(trail.status()).toMatchObject({ pending: 0, inFlight: 1, refused: 0 });
    });
  });

  describe('when the app shuts down', () => {
    it('then what is pending is written before the log is closed', async () => {
      const { log, trail } = trailWith();
      recordAll(trail, ['a', 'b']);
      await trail.onApplicationShutdown();
      expect(log.written).toEqual(['a', 'b']);
      expect(log.closed).toBe(true);
      expect(trail.status().lost).toBe(0);
    });

    it('then what cannot be written is counted and logged as lost, never dropped in silence', async () => {
      const { log, trail } = trailWith();
      recordAll(trail, ['a', 'b']);
      log.failing = true;
      await trail.onApplicationShutdown();
      expect(trail.status()).toMatchObject({ lost: 2 });
      expect(logged).toContain('query.audit.lost');
      expect(log.closed).toBe(true);
    });
  });
});
