import { Queue } from 'bullmq';
import IORedis from 'ioredis';
import { Pool } from 'pg';
import type { SpanContext } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { customerStream, Queues } from '@hub/contracts';
import { customerEventMessage } from '@hub/customer';
import { CustomerRepository } from '@hub/customer-records';
import { PostgresEventStore } from '@hub/event-store';
import { childSpan, type ConsumedMessage } from '@hub/messaging';
import { PostgresOutcomeTallyStore } from '@hub/nba-outcomes';
import { registerTracing, type Tracing } from '@hub/platform';
import { freshId, testInfra } from '@hub/testing';
import { BullNbaFollowUps } from './bullmq.nba-follow-ups';
import { routeCustomerEvents, type CustomerEventRouting } from './customer-event.handler';
import { NbaDecideJob, type NbaDecideJobData } from './nba-decide.job';
import type { NbaNoResponseJobData } from './nba-no-response.job';
import { CustomerStream } from './testing/customer-stream';

/**
 * The decision's part of a trace, with an in-memory exporter, the real PostgreSQL store and a real
 * BullMQ queue: the customer's messages are recorded under spans of their own traces (as the
 * recorder's consumer spans are), each stored event keeping its append's `traceparent`; routed
 * together, they become one debounced decide job carrying both contexts; the job's `nba decide`
 * span links to each, its decision's append is its child, and the decision's metadata keeps the
 * decide span's own `traceparent`.
 */
const infra = testInfra();
const exporter = new InMemorySpanExporter();
let tracing: Tracing;
let redis: IORedis;
let pool: Pool;
let store: PostgresEventStore;
let customers: CustomerRepository;
let decide: Queue<NbaDecideJobData>;
let followUpQueue: Queue<NbaNoResponseJobData>;
let deps: CustomerEventRouting;

beforeAll(async () => {
  tracing = registerTracing('nba-tracing-int-spec', [new SimpleSpanProcessor(exporter)]);
  redis = new IORedis(infra.redisUrl, { maxRetriesPerRequest: null });
  pool = new Pool({ connectionString: infra.databaseUrl, max: 4 });
  store = await PostgresEventStore.create({ pool });
  customers = new CustomerRepository(store);
  decide = new Queue<NbaDecideJobData>(`${Queues.nbaDecide}-${freshId('trace')}`, { connection: redis });
  followUpQueue = new Queue<NbaNoResponseJobData>(`${Queues.nbaFollowUp}-${freshId('trace')}`, { connection: redis });
  deps = {
    decide,
    debounceMs: 10_000,
    surveyDelayMs: 3_600_000,
    tally: await PostgresOutcomeTallyStore.create(pool),
    followUps: new BullNbaFollowUps(followUpQueue),
  };
});

afterAll(async () => {
  for (const q of [decide, followUpQueue]) {
    await q.obliterate({ force: true });
    await q.close();
  }
  redis.disconnect();
  await pool.end();
  await tracing.shutdown();
});

const spanNamed = (name: string): ReadableSpan[] => exporter.getFinishedSpans().filter((s) => s.name === name);
const traceparent = (c: SpanContext): string => `00-${c.traceId}-${c.spanId}-01`;
const traceparentOf = (s: ReadableSpan): string => traceparent(s.spanContext());

describe('when two messages of one customer, each of its own trace, are routed together and decided', () => {
  it('links the decide span to both appends, appends the decision under it and keeps its traceparent', async () => {
    const c = new CustomerStream(freshId('tn'), freshId('c'));
    // Each recorded in a trace of its own, as two webhooks' runs would be.
    await childSpan('recording 1', {}, () =>
      customers.append(c.tenantId, c.customerId, [
        c.registered('2026-12-07T09:00:00.000Z'),
        c.message('m1', '2026-12-07T09:00:00.000Z', 'Hi, where is my order?'),
      ]),
    );
    await childSpan('recording 2', {}, () =>
      customers.append(c.tenantId, c.customerId, [c.message('m2', '2026-12-07T09:00:05.000Z', 'How do I reset my password?')]),
    );
    const appends = spanNamed('event-store append');
    expect(appends).toHaveLength(2);
    expect(new Set(appends.map((s) => s.spanContext().traceId)).size).toBe(2);

    const stored = await store.readStream(customerStream(c.tenantId, c.customerId));
    expect(stored.map((e) => e.metadata['traceparent'])).toEqual([
      traceparentOf(appends[0]!),
      traceparentOf(appends[0]!),
      traceparentOf(appends[1]!),
    ]);
    const messages: ConsumedMessage[] = stored.map((e, i) => {
      const m = customerEventMessage(e)!;
      return { topic: 't', partition: 0, offset: String(i), key: m.key, value: Buffer.from(JSON.stringify(m.value)), headers: m.headers };
    });
    await routeCustomerEvents(deps, messages);
    const [job] = (await decide.getJobs(['delayed', 'waiting'])).filter((j) => j.data.tenantId === c.tenantId);
    // The debounced job carries the inputs of the messages it replaced as well as its own.
    expect(job!.data).toEqual(expect.objectContaining({ triggerEventId: c.id('m2'), traceparents: expect.any(Array) }));
    const carried = 'traceparents' in job!.data ? job!.data.traceparents! : [];
    expect(new Set(carried)).toEqual(new Set(appends.map(traceparentOf)));

    exporter.reset();
    const outcome = await new NbaDecideJob(customers).run(job!.data, new Date('2026-12-07T09:00:10.000Z'));
    expect(outcome.kind).toBe('decided');
    const [decideSpan] = spanNamed('nba decide');
    expect(decideSpan!.links.map((l) => traceparent(l.context))).toEqual(expect.arrayContaining(appends.map(traceparentOf)));
    const [decisionAppend] = spanNamed('event-store append');
    expect(decisionAppend!.parentSpanContext?.spanId).toBe(decideSpan!.spanContext().spanId);
    const decision = (await store.readStream(customerStream(c.tenantId, c.customerId))).find((e) => e.type === 'NextBestActionDecided')!;
    expect(decision.metadata['traceparent']).toBe(traceparentOf(decideSpan!));
  });
});
