/*
 * Read-and-fold of one customer (CustomerRepository.load) for 10, 100 and 1,000-event customers,
 * without and with snapshots, with and without sealing of personal fields, beside a raw `pg` select
 * of the same rows measured in the same run.
 *
 *   node -r @swc-node/register bench/customer/customer-fold.bench.ts
 *
 * Uses the database hub_bench (created if missing) in a fresh schema-free set of tenants; loopback only.
 */
import { cpus, totalmem } from 'node:os';
import { Client, Pool } from 'pg';
import { customerStream, deterministicId } from '@hub/contracts';
import type { CustomerEvent } from '@hub/customer';
import { generatedHistory } from '@hub/customer/testing';
import { createCustomerStores, CustomerRepository, PostgresSnapshotStore } from '@hub/customer-records';
import { TEST_IDENTITY_NAMING } from '@hub/testing';

const DATABASE_URL = process.env['BENCH_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/hub_bench';
const LOADS = Number(process.env['BENCH_LOADS'] ?? '200');

function historyFor(tenantId: string, customerId: string, length: number): CustomerEvent[] {
  return generatedHistory(3, length)
    .slice(0, length)
    .map((e, i) => ({
      ...e,
      metadata: { ...e.metadata, tenantId, eventId: deterministicId('fold-bench', tenantId, customerId, String(i)) },
    })) as CustomerEvent[];
}

async function timeLoads(load: () => Promise<unknown>): Promise<{ p50: number; p99: number }> {
  for (let i = 0; i < 5; i++) await load(); // warm-up
  const samples: number[] = [];
  for (let i = 0; i < LOADS; i++) {
    const t = process.hrtime.bigint();
    await load();
    samples.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  samples.sort((a, b) => a - b);
  const q = (p: number) => samples[Math.min(samples.length - 1, Math.floor(p * samples.length))]!;
  return { p50: q(0.5), p99: q(0.99) };
}

async function main(): Promise<void> {
  const admin = new Client({ connectionString: DATABASE_URL.replace(/\/[^/]+$/, '/postgres') });
  await admin.connect();
  const exists = await admin.query("select 1 from pg_database where datname = 'hub_bench'");
  if (exists.rowCount === 0) await admin.query('create database hub_bench');
  await admin.end();

  const pool = new Pool({ connectionString: DATABASE_URL, max: 8 });
  const stores = await createCustomerStores(pool, { identityNaming: TEST_IDENTITY_NAMING, snapshotEvery: 50 });
  const unsealedSnapshots = await PostgresSnapshotStore.create({ pool });
  const tenantId = `bench${Date.now().toString(36)}`;
  const rows: Record<string, string>[] = [];
  try {
    for (const size of [10, 100, 1000]) {
      const customerId = `c${size}`;
      const events = historyFor(tenantId, customerId, size);
      for (let i = 0; i < events.length; i += 100) await stores.customers.append(tenantId, customerId, events.slice(i, i + 100));
      const plainId = `p${size}`;
      const plainEvents = historyFor(tenantId, plainId, size);
      const plain = new CustomerRepository(stores.raw);
      for (let i = 0; i < plainEvents.length; i += 100) await plain.append(tenantId, plainId, plainEvents.slice(i, i + 100));
      const plainSnap = new CustomerRepository(stores.raw, { store: unsealedSnapshots, every: 50 });

      const raw = await timeLoads(() =>
        pool.query('select * from hub_events where stream_name = $1 order by stream_revision', [customerStream(tenantId, plainId)]),
      );
      const noSnap = await timeLoads(() => plain.load(tenantId, plainId));
      await plainSnap.load(tenantId, plainId); // takes the snapshot
      const withSnap = await timeLoads(() => plainSnap.load(tenantId, plainId));
      const sealedNoSnap = await timeLoads(() => new CustomerRepository(stores.store).load(tenantId, customerId));
      await stores.customers.load(tenantId, customerId);
      const sealedSnap = await timeLoads(() => stores.customers.load(tenantId, customerId));
      const f = (x: { p50: number; p99: number }) => `${x.p50.toFixed(2)} / ${x.p99.toFixed(2)}`;
      rows.push({
        events: String(size),
        'raw pg select p50/p99 ms': f(raw),
        'load+fold p50/p99 ms': f(noSnap),
        '…with snapshot': f(withSnap),
        'sealed, no snapshot': f(sealedNoSnap),
        'sealed + snapshot (production)': f(sealedSnap),
        'production ÷ raw (p50)': (sealedSnap.p50 / raw.p50).toFixed(2),
      });
    }
  } finally {
    await pool.query('delete from customer_snapshots where tenant_id = $1', [tenantId]).catch(() => undefined);
    await pool.end();
  }
  console.log(
    `\ncustomer read-and-fold — ${LOADS} loads per cell, ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, ${new Date().toISOString()}`,
  );
  console.table(rows);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
