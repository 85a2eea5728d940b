/*
 * A process that takes over, to be killed by `timeline-takeover.int.spec.ts`: it builds a rebuild
 * holding the `new` version (testing/takeover-fixtures.ts) of TENANT in DATABASE_URL, prints
 * `rebuild <schema>`, then takes over with the real `takeOver`; its connections are named
 * `hub-takeover-child` (application_name) so the spec can see where they wait.
 *
 *   DATABASE_URL=… TENANT=… CUSTOMERS=200 node -r @swc-node/register libs/project/timeline/src/replay/testing/takeover-child.ts
 */
import { Pool } from 'pg';
import { PostgresEventStore } from '@hub/event-store';
import { TIMELINE_PROJECTION_ID } from '../../timeline.projector';
import { TimelineRebuild } from '../timeline-rebuild';
import { takeOver } from '../timeline-takeover';
import { fillVersion, TAKEOVER_CHILD_APPLICATION } from './takeover-fixtures';

async function main(): Promise<void> {
  const url = process.env['DATABASE_URL'];
  const tenant = process.env['TENANT'];
  if (!url || !tenant) throw new Error('DATABASE_URL and TENANT are required');
  const customers = Number(process.env['CUSTOMERS'] ?? '200');
  const pool = new Pool({ connectionString: url, max: 4, application_name: TAKEOVER_CHILD_APPLICATION });
  const store = await PostgresEventStore.create({ pool });
  const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
  const rebuild = await TimelineRebuild.create(
    {
      pool,
      store,
      logger: quiet,
      openSchemaPool: (schema) =>
        new Pool({ connectionString: url, max: 2, application_name: TAKEOVER_CHILD_APPLICATION, options: `-c search_path=${schema}` }),
    },
    { batchSize: 500 },
  );
  await fillVersion(pool, rebuild.schema, tenant, 'new', customers);
  process.stdout.write(`rebuild ${rebuild.schema}\n`);
  const r = await takeOver(pool, rebuild, {
    liveSchema: 'public',
    projectionId: TIMELINE_PROJECTION_ID,
    lockTimeoutMs: 60_000,
    catchUpTimeoutMs: 60_000,
    allowEmpty: false,
  });
  process.stdout.write(`took over ${r.method}\n`);
  await rebuild.release();
  await store.close();
  await pool.end();
}

main().catch((err: unknown) => {
  process.stderr.write(`${String(err)}\n`);
  process.exit(1);
});
