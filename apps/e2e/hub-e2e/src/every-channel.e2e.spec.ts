import { request } from 'node:http';
import { Pool } from 'pg';
import { CHANNEL_IDS, type IngestChannelId } from '@hub/contracts';
import {
  CONFORMANCE_BASE_URL,
  CONFORMANCE_FORGED_SECRET,
  loadConformanceFixtures,
  runChannelPipeline,
  type ChannelTestSetup,
} from '@hub/channels-core/testing';
import { CHANNEL_TEST_SETUPS } from '@hub/channel-registry/testing';
import { eventually, freshDatabase, freshId, startAppProcess, testInfra, type AppProcess } from '@hub/testing';

/**
 * Every channel's ingestion app, as its own process, fed every valid recorded payload of every
 * provider it hosts, signed as the provider signs it: each must be acknowledged (202) only once
 * Kafka has it, and land in the event store exactly once — also when the provider redelivers it.
 * A forged signature gets 401 and a body over the provider's limit 413, on every route.
 * The registry's CHANNEL_TEST_SETUPS is compiler-checked, so a new channel is covered here as soon
 * as it is registered.
 */
const infra = testInfra();
const tenant = freshId('chan');
let database: { url: string; drop(): Promise<void> };
let pool: Pool;
const apps = new Map<IngestChannelId, AppProcess>();
let projector: AppProcess | undefined;

const baseEnv = () => ({
  DATABASE_URL: database.url,
  HUB_NAMESPACE: tenant,
  REDIS_URL: infra.redisUrl,
  KAFKA_BROKERS: infra.kafkaBrokers.join(','),
  TENANT_ID: tenant,
  PUBLIC_BASE_URL: CONFORMANCE_BASE_URL,
  PORT: '0',
});

const setupsOf = (channel: IngestChannelId): readonly ChannelTestSetup<object>[] => CHANNEL_TEST_SETUPS[channel];

beforeAll(async () => {
  database = await freshDatabase('e2e_channels');
  pool = new Pool({ connectionString: database.url, max: 2 });
  pool.on('error', () => undefined);
  // The recorder (Kafka → event store) runs in the projector app.
  projector = await startAppProcess('timeline-projector', baseEnv(), { logSuffix: `-${tenant}` });
  // Two at a time: each boot compiles with swc, and the machine may have two cores.
  const queue = [...CHANNEL_IDS];
  const boot = async (): Promise<void> => {
    for (let channel = queue.shift(); channel; channel = queue.shift()) {
      const env = Object.assign(baseEnv(), ...setupsOf(channel).map((s) => s.env)) as Record<string, string>;
      apps.set(channel, await startAppProcess(`ingest-${channel}`, env, { logSuffix: `-${tenant}`, timeoutMs: 90_000 }));
    }
  };
  await Promise.all([boot(), boot()]);
}, 300_000);

afterAll(async () => {
  await Promise.all([...apps.values(), ...(projector ? [projector] : [])].map((a) => a.stop()));
  await pool?.end();
  await database?.drop();
});

async function deliver(app: AppProcess, setup: ChannelTestSetup<object>, payload: Record<string, unknown>, secret?: string) {
  const signed = setup.sign(payload, secret ? { secret } : {});
  const path = new URL(signed.url).pathname + new URL(signed.url).search;
  const res = await fetch(`${app.url}${path}`, { method: 'POST', headers: signed.headers as Record<string, string>, body: signed.rawBody });
  return { status: res.status, body: (await res.json()) as { eventIds?: string[]; error?: string; reason?: string } };
}

/**
 * Declare a body one byte over the limit and send only the headers: the app must answer 413 from
 * the declared length, before reading any of it (no body is written, so no write can fail).
 */
function declaredTooLarge(url: string, contentType: string, bytes: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { 'content-type': contentType, 'content-length': String(bytes) } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
      req.destroy();
    });
    req.on('error', (err) => reject(err));
    req.flushHeaders();
  });
}

async function storedCount(eventIds: readonly string[]): Promise<number> {
  const r = await pool.query('select count(*)::int as n from hub_events where event_id = any($1::uuid[])', [eventIds]);
  return (r.rows[0] as { n: number }).n;
}

describe.each(CHANNEL_IDS.map((c) => [c]))('the %s ingestion app', (channel) => {
  const cases = setupsOf(channel).flatMap((setup) =>
    loadConformanceFixtures(setup.fixturesDir)
      // A fixture with config overrides (e.g. a default SMS region) needs an app configured that
      // way; the conformance kit covers it, this test runs the apps as configured by `env`.
      .valid.filter((f) => Object.keys(f.config).length === 0)
      .map((f) => ({ name: `${setup.definition.manifest.provider} ${f.file}`, setup, fixture: f })),
  );

  it.each(cases.map((c) => [c.name, c]))(
    'acknowledges %s once Kafka has it, and the store holds each event exactly once, redelivered or not',
    async (_name, { setup, fixture }) => {
      const app = apps.get(channel)!;
      const expectedIds = (fixture.expected.events as { metadata: { eventId: string } }[]).map((e) => e.metadata.eventId);
      // 202 with the event ids, or the success answer a provider insists on (Firehose: 200 {requestId}).
      const taken = (r: { status: number; body: { eventIds?: string[] } }) =>
        r.body.eventIds ? { status: r.status, eventIds: r.body.eventIds } : { status: r.status, eventIds: expectedIds };
      const first = await deliver(app, setup, fixture.payload);
      expect(taken(first)).toEqual({ status: setup.definition.create(setup.config).acknowledge ? 200 : 202, eventIds: expectedIds });
      await eventually(async () => ((await storedCount(expectedIds)) >= expectedIds.length ? true : undefined), {
        what: `${fixture.file} in the event store`,
        timeoutMs: 30_000,
      });
      const again = await deliver(app, setup, structuredClone(fixture.payload));
      expect(taken(again)).toEqual(taken(first));
      // The redelivery went through Kafka too; wait until the recorder is past it, then count.
      await new Promise((r) => setTimeout(r, 500));
      expect(await storedCount(expectedIds)).toBe(expectedIds.length);
    },
  );

  const unmappable = setupsOf(channel).flatMap((setup) =>
    loadConformanceFixtures(setup.fixturesDir)
      .unmappable.filter((f) => Object.keys(f.config).length === 0)
      .map((f) => ({ name: `${setup.definition.manifest.provider} ${f.file}`, setup, fixture: f })),
  );

  it.each(unmappable.map((c) => [c.name, c]))(
    'takes %s (verified, unmappable) without refusing it: dead-lettered, and what part of it did map is stored',
    async (_name, { setup, fixture }) => {
      const app = apps.get(channel)!;
      const outcome = await runChannelPipeline(
        setup.definition.create({ ...setup.config, ...fixture.config }),
        setup.sign(fixture.payload, {}),
      );
      if (outcome.kind !== 'unmappable') throw new Error(`expected unmappable, got ${outcome.kind}`);
      const mapped = outcome.error.mapped.map((e) => e.metadata.eventId);
      const res = await deliver(app, setup, fixture.payload);
      expect([200, 202]).toContain(res.status);
      if (res.status === 202) expect(res.body).toMatchObject({ status: 'dead_lettered' });
      if (mapped.length > 0)
        await eventually(async () => ((await storedCount(mapped)) === mapped.length ? true : undefined), {
          what: `the mapped part of ${fixture.file}`,
          timeoutMs: 30_000,
        });
    },
  );

  it.each(setupsOf(channel).map((s) => [s.definition.manifest.provider, s]))(
    'refuses a forged %s webhook with 401 and a body over its limit with 413',
    async (_provider, setup) => {
      const app = apps.get(channel)!;
      const [fixture] = loadConformanceFixtures(setup.fixturesDir).valid;
      const forged = await deliver(app, setup, fixture!.payload, CONFORMANCE_FORGED_SECRET);
      expect(forged).toMatchObject({ status: 401, body: { error: 'unauthorized' } });
      const signed = setup.sign(fixture!.payload, {});
      const tooLarge = await declaredTooLarge(
        `${app.url}${setup.definition.manifest.route.path}`,
        signed.headers['content-type'] ?? 'application/json',
        setup.definition.manifest.maxBodyBytes + 1,
      );
      expect(tooLarge).toBe(413);
    },
  );
});
