import { Client } from 'pg';
import { Kafka, logLevel } from 'kafkajs';
import Redis from 'ioredis';
import { testInfra } from '../env';
import { ensureAppBuilds } from '../app-builds';

/** What to do when a service does not answer: start it, or run only the tests that need none. */
const NOT_RUNNING_HINT =
  'start the infrastructure with `bash infra/up.sh` (`npm test` also does), or run only the pure tests, which need none, with `npm run test:unit`';

/**
 * Runs once per Jest run (not for `npm run test:unit`, jest.unit.config.js). The infrastructure
 * itself is started by scripts/test.sh (infra/up.sh); here we only check it answers and create the
 * test database, so a missing service fails the run at once with a readable message instead of as
 * 60 s timeouts in every test.
 */
export default async function globalSetup(): Promise<void> {
  // End-to-end specs start the apps from their production builds (libs/shared/testing/src/app-process.ts).
  ensureAppBuilds();
  const infra = testInfra();
  const url = new URL(infra.databaseUrl);
  const dbName = url.pathname.slice(1);
  const admin = new Client({ connectionString: Object.assign(new URL(url.href), { pathname: '/postgres' }).href });
  try {
    await admin.connect();
    const exists = await admin.query('select 1 from pg_database where datname = $1', [dbName]);
    if (exists.rowCount === 0) await admin.query(`create database "${dbName.replace(/"/g, '""')}"`);
  } catch (err) {
    throw new Error(`PostgreSQL is not reachable at ${url.host}: ${String(err)}. To fix: ${NOT_RUNNING_HINT}.`);
  } finally {
    await admin.end().catch(() => undefined);
  }

  const redis = new Redis(infra.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
  try {
    await redis.connect();
    await redis.ping();
  } catch (err) {
    throw new Error(`Redis is not reachable at ${infra.redisUrl}: ${String(err)}. To fix: ${NOT_RUNNING_HINT}.`);
  } finally {
    redis.disconnect();
  }

  const kafkaAdmin = new Kafka({
    clientId: 'jest-global-setup',
    brokers: infra.kafkaBrokers,
    logLevel: logLevel.NOTHING,
    retry: { retries: 2 },
  }).admin();
  try {
    await kafkaAdmin.connect();
    await kafkaAdmin.describeCluster();
  } catch (err) {
    throw new Error(`Kafka is not reachable at ${infra.kafkaBrokers.join(',')}: ${String(err)}. To fix: ${NOT_RUNNING_HINT}.`);
  } finally {
    await kafkaAdmin.disconnect().catch(() => undefined);
  }

  if (!infra.eventStoreUrl) {
    process.stdout.write(
      '\n[hub] EVENTSTORE_URL is not set: the EventStoreDB contract suite and the EVENT_STORE=eventstoredb slice (customer-stores.int.spec.ts) are SKIPPED (not passed). ' +
        'Start one with `docker compose -f infra/docker-compose.yml up eventstore` and set EVENTSTORE_URL=esdb://127.0.0.1:2113?tls=false\n',
    );
  }
}
