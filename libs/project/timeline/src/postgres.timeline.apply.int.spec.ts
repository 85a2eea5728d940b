import { createHash } from 'node:crypto';
import { Client, Pool } from 'pg';
import type { CustomerEvent } from '@hub/customer';
import { generatedHistory, prng } from '@hub/customer/testing';
import { eventually, freshDatabase, freshId } from '@hub/testing';
import { PostgresTimelineStore, TIMELINE_TABLES } from './postgres.timeline.store';
import { timelineChangeFor, type TimelineChange } from './timeline.projection';

/**
 * The set-based `applyInTransaction` against the one-by-one reference `applyEachInTransaction`:
 * the same batches of changes — made by the projection from generated customer histories with
 * merges, unmerges, erasures, late arrivals and redeliveries — applied through each into a database
 * of its own must leave every timeline table equal row for row, and notify the same customers.
 */
jest.setTimeout(120_000);
const SEEDS = 24;

interface Side {
  database: { url: string; drop(): Promise<void> };
  pool: Pool;
  store: PostgresTimelineStore;
  listener: Client;
  notified: string[];
  apply(store: PostgresTimelineStore, batch: readonly TimelineChange[]): Promise<void>;
}

const sides: Side[] = [];
const [each, set] = [0, 1] as const;

async function side(prefix: string, apply: Side['apply']): Promise<Side> {
  const database = await freshDatabase(prefix);
  const pool = new Pool({ connectionString: database.url, max: 2 });
  pool.on('error', () => undefined); // dropped WITH (FORCE) at the end
  const store = new PostgresTimelineStore(pool);
  await store.ensureSchema();
  const listener = new Client({ connectionString: database.url });
  listener.on('error', () => undefined);
  await listener.connect();
  const notified: string[] = [];
  listener.on('notification', (n) => notified.push(n.payload ?? ''));
  await listener.query('listen hub_timeline');
  return { database, pool, store, listener, notified, apply };
}

beforeAll(async () => {
  sides.push(await side('tl_each', (store, batch) => store.inTransaction((client) => store.applyEachInTransaction(client, batch))));
  sides.push(await side('tl_set', (store, batch) => store.inTransaction((client) => store.applyInTransaction(client, batch))));
});

afterAll(async () => {
  for (const s of sides) {
    await s.listener.end().catch(() => undefined);
    await s.pool.end();
    await s.database.drop();
  }
});

const SIGNALS = ['complaint', 'refund_cancel', 'repeat_contact', 'urgency'];

/** A stable UUID per (tenant, customer, generated event id): the read model keys entries and facts by UUID. */
const uuidOf = (...parts: string[]): string => {
  const h = createHash('sha1').update(parts.join('|')).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
};

const OCCURRED_AT_SOURCE_CYCLE = ['provider', 'received', undefined] as const;

interface Scenario {
  tenantId: string;
  batches: TimelineChange[][];
  kinds: Record<TimelineChange['kind'], number>;
}

/**
 * Several customers' generated histories, interleaved as in the log, turned into changes by the
 * projection; some registrations are missing; merges point at another customer of the tenant (some never undone); earlier changes
 * are delivered again at random places, erased customers' ones right after their erasure; the
 * changes are cut into batches of random sizes, some batches delivered twice.
 */
function scenario(seed: number): Scenario {
  const rnd = prng(seed);
  const tenantId = `t${seed}-${freshId('')}`;
  const customers = Array.from({ length: 3 + (seed % 3) }, (_, j) => `c${j}`);
  const streams = customers.map((customerId, j) => {
    const history = generatedHistory(seed * 100 + j, 20 + Math.floor(rnd() * 40), { erase: (seed + j) % 4 === 0 });
    const events: CustomerEvent[] = [];
    for (const event of history) {
      // A customer whose registration the projection never saw (its facts may come before its row).
      if (event.type === 'CustomerRegistered' && (seed + j) % 3 === 1) continue;
      // Some merges are never undone, so the merged state lasts past the batch.
      if (event.type === 'CustomerRestored' && rnd() < 0.3) continue;
      const survivor = customers[(j + 1 + Math.floor(rnd() * (customers.length - 1))) % customers.length]!;
      const data =
        event.type === 'CustomerMergedInto' || event.type === 'CustomerRestored' ? { ...event.data, survivorId: survivor } : event.data;
      // Interactions say where occurredAt came from — provider, received — or, recorded before adapters said, nothing.
      const source =
        event.type === 'InteractionRecorded' ? OCCURRED_AT_SOURCE_CYCLE[events.length % OCCURRED_AT_SOURCE_CYCLE.length] : undefined;
      const metadata = {
        ...event.metadata,
        eventId: uuidOf(tenantId, customerId, event.metadata.eventId),
        ...(source ? { occurredAtSource: source } : {}),
      };
      events.push({ ...event, data, metadata } as CustomerEvent);
    }
    // Text signals on some inbound messages (the generated histories carry none): the churn inputs
    // the set-based apply adds up batch by batch must equal the reference's, recomputed from all entries.
    const said = prng(seed * 7919 + j);
    return events.flatMap((event, revision) => {
      const change = timelineChangeFor(tenantId, customerId, BigInt(revision), event);
      if (change?.kind !== 'entry' || change.entry.direction !== 'inbound' || said() < 0.6) return change ?? [];
      const signals = SIGNALS.filter(() => said() < 0.5);
      return signals.length ? { ...change, entry: { ...change.entry, textSignals: signals } } : change;
    });
  });
  const changes: TimelineChange[] = [];
  const cursors = streams.map(() => 0);
  while (cursors.some((c, j) => c < streams[j]!.length)) {
    const j = Math.floor(rnd() * streams.length);
    const change = streams[j]![cursors[j]!];
    if (!change) continue;
    cursors[j]!++;
    changes.push(change);
    if (change.kind === 'purge') {
      // A redelivered entry (and fact) of the erased customer, right after its erasure.
      const again = streams[j]!.filter((c) => c.kind === 'entry' || c.kind === 'fact' || c.kind === 'customer');
      for (let k = 0; k < 3 && again.length > 0; k++) changes.push(again[Math.floor(rnd() * again.length)]!);
    }
    if (rnd() < 0.1) changes.push(changes[Math.floor(rnd() * changes.length)]!);
  }
  const batches: TimelineChange[][] = [];
  for (let i = 0; i < changes.length; ) {
    const size = rnd() < 0.1 ? changes.length : 1 + Math.floor(rnd() * 40);
    const batch = changes.slice(i, i + size);
    batches.push(batch);
    if (rnd() < 0.15) batches.push(batch);
    i += size;
  }
  const kinds = { purge: 0, merge: 0, unmerge: 0, customer: 0, entry: 0, edit: 0, fact: 0 };
  for (const c of changes) kinds[c.kind]++;
  return { tenantId, batches, kinds };
}

/** Every row of the tenant in every timeline table (bar the erasure's wall-clock time), sorted. */
async function readModel(pool: Pool, tenantId: string): Promise<Record<string, string[]>> {
  const model: Record<string, string[]> = {};
  for (const table of TIMELINE_TABLES) {
    const r = await pool.query<{ row: string }>(`select (to_jsonb(t) - 'erased_at')::text as row from ${table} t where tenant_id = $1`, [
      tenantId,
    ]);
    model[table] = r.rows.map((x) => x.row).sort();
  }
  return model;
}

/** What the side's listener heard for the tenant, up to a marker notified after the last batch. */
async function notificationsOf(s: Side, tenantId: string): Promise<string[]> {
  const marker = `${tenantId}:end-${freshId('')}`;
  await s.pool.query("select pg_notify('hub_timeline', $1)", [marker]);
  await eventually(async () => (s.notified.includes(marker) ? true : undefined), { what: 'the end marker notification' });
  return s.notified.filter((p) => p.startsWith(`${tenantId}:`) && p !== marker);
}

describe('PostgresTimelineStore.applyInTransaction (set-based) against applyEachInTransaction (one by one)', () => {
  describe.each(Array.from({ length: SEEDS }, (_, i) => i + 1))(
    'when the generated batches of seed %i are applied through each',
    (seed) => {
      it('then after every batch each timeline table is equal row for row, and the same customers are notified in the same order', async () => {
        const { tenantId, batches, kinds } = scenario(seed);
        expect(kinds.entry).toBeGreaterThan(0);

        // After every batch, not only at the end: readers see each committed batch.
        for (const [i, batch] of batches.entries()) {
          for (const s of sides) await s.apply(s.store, batch);
          const [reference, setBased] = [await readModel(sides[each]!.pool, tenantId), await readModel(sides[set]!.pool, tenantId)];
          expect({ batch: i, ...setBased }).toEqual({ batch: i, ...reference });
        }
        const model = await readModel(sides[set]!.pool, tenantId);
        const entries = model['timeline_entries']!.map((row) => JSON.parse(row) as { occurred_at_source: string | null });
        expect(entries.length).toBeGreaterThan(0);
        // The column is written at all (equal rows alone would not tell if both paths dropped it).
        expect(entries.some((e) => e.occurred_at_source === 'provider' || e.occurred_at_source === 'received')).toBe(true);
        // The churn columns were exercised: inbound contacts counted, a level stored.
        expect(model['timeline_customers']!.some((row) => (JSON.parse(row) as { inbound_contacts: number }).inbound_contacts > 0)).toBe(
          true,
        );
        expect(model['timeline_customers']!.every((row) => (JSON.parse(row) as { churn_level: string | null }).churn_level !== null)).toBe(
          true,
        );
        expect(await notificationsOf(sides[set]!, tenantId)).toEqual(await notificationsOf(sides[each]!, tenantId));
      });
    },
  );

  describe('across all seeds', () => {
    it('then the scenarios hold merges, unmerges, erasures, facts and registrations', () => {
      // The generated histories have no edits: timeline.edits.int.spec runs both applies over those.
      const total = { purge: 0, merge: 0, unmerge: 0, customer: 0, entry: 0, fact: 0 };
      for (let seed = 1; seed <= SEEDS; seed++)
        for (const [k, n] of Object.entries(scenario(seed).kinds)) if (k !== 'edit') total[k as keyof typeof total] += n;
      expect(Object.values(total).every((n) => n > 0)).toBe(true);
    });
  });

  describe("when a customer's facts come in a batch before the one with its first entry (its registration never projected)", () => {
    it("then the entry's batch creates its row and fills value and satisfaction from those facts, as one by one", async () => {
      const tenantId = freshId('late');
      const events = generatedHistory(3, 40).map(
        (e) => ({ ...e, metadata: { ...e.metadata, eventId: uuidOf(tenantId, e.metadata.eventId) } }) as CustomerEvent,
      );
      const changes = events.flatMap((e, revision) => timelineChangeFor(tenantId, 'late', BigInt(revision), e) ?? []);
      const facts = changes.filter((c) => c.kind === 'fact');
      const entries = changes.filter((c) => c.kind === 'entry');
      expect(facts.length).toBeGreaterThan(0);

      for (const batch of [facts, entries]) for (const s of sides) await s.apply(s.store, batch);

      const [reference, setBased] = [await readModel(sides[each]!.pool, tenantId), await readModel(sides[set]!.pool, tenantId)];
      expect(setBased).toEqual(reference);
      expect(await sides[set]!.store.getCustomer(tenantId, 'late')).toEqual(expect.objectContaining({ quadrant: expect.any(String) }));
    });
  });

  describe('when one batch erases a customer and then carries a redelivered entry, fact and registration of theirs', () => {
    it('then the set-based apply refuses them as the one-by-one apply does: no row of the customer is left but its erasure', async () => {
      const tenantId = freshId('erase');
      const events = generatedHistory(7, 30).map(
        (e) => ({ ...e, metadata: { ...e.metadata, eventId: uuidOf(tenantId, e.metadata.eventId) } }) as CustomerEvent,
      );
      const changes = events.flatMap((e, revision) => timelineChangeFor(tenantId, 'gone', BigInt(revision), e) ?? []);
      const entry = changes.find((c) => c.kind === 'entry')!;
      const fact = changes.find((c) => c.kind === 'fact')!;
      const registration = changes.find((c) => c.kind === 'customer')!;
      const batch: TimelineChange[] = [...changes, { kind: 'purge', tenantId, customerId: 'gone' }, entry, fact, registration];

      for (const s of sides) await s.apply(s.store, batch);

      const [reference, setBased] = [await readModel(sides[each]!.pool, tenantId), await readModel(sides[set]!.pool, tenantId)];
      expect(setBased).toEqual(reference);
      // Identities it handed over in a merge stay with the survivor.
      const ofCustomer = Object.entries(setBased).flatMap(([table, rows]) =>
        rows.filter((r) => (JSON.parse(r) as { customer_id: string }).customer_id === 'gone').map(() => table),
      );
      expect(ofCustomer).toEqual(['timeline_erased']);
      expect(setBased['timeline_entries']).toEqual([]);
    });
  });
});
