import { createHash, randomBytes } from 'node:crypto';
import { Pool } from 'pg';
import { Queue } from 'bullmq';
import { customerStream, hubNames, nbaJobKey } from '@hub/contracts';
import { eventually, freshDatabase, freshId, startAppProcess, testInfra, type AppProcess } from '@hub/testing';

/**
 * A platform's facts end to end, three apps as separate processes over Kafka: the platform sends
 * its customer's message and then "resolved" through the generic API (ingest-api); the recorder
 * (timeline-projector) appends ConversationResolved to the customer's stream; the NBA worker
 * schedules the survey follow-up from it. Its preference centre's opt-out lands as ConsentChanged,
 * its profile attributes as TraitsUpdated.
 */
const infra = testInfra();
const tenant = freshId('e2efacts');
const API_KEY = randomBytes(24).toString('base64url');
const SURVEY_DELAY_MS = 3_600_000;
const env = {
  DATABASE_URL: '',
  HUB_NAMESPACE: tenant,
  REDIS_URL: infra.redisUrl,
  KAFKA_BROKERS: infra.kafkaBrokers.join(','),
  INGEST_API_KEYS: `ccx:${tenant}:${createHash('sha256').update(API_KEY).digest('hex')}`,
  INGEST_RAW_ENABLED: 'false',
  PORT: '0',
  NBA_DEBOUNCE_MS: '100',
  NBA_SURVEY_DELAY_MS: String(SURVEY_DELAY_MS),
};
let database: { url: string; drop(): Promise<void> };
let apps: AppProcess[] = [];
let pool: Pool;
let decideQueue: Queue;
let ingestUrl = '';

beforeAll(async () => {
  database = await freshDatabase('e2e_facts');
  env.DATABASE_URL = database.url;
  pool = new Pool({ connectionString: database.url, max: 2 });
  pool.on('error', () => undefined); // the database is dropped WITH (FORCE) at the end
  apps = await Promise.all([
    startAppProcess('ingest-api', env, { logSuffix: `-${tenant}` }),
    startAppProcess('timeline-projector', env, { logSuffix: `-${tenant}` }),
    startAppProcess('nba-worker', env, { logSuffix: `-${tenant}` }),
  ]);
  ingestUrl = apps[0]!.url!;
  decideQueue = new Queue(hubNames(tenant).queues.nbaDecide, { connection: { url: infra.redisUrl } });
}, 120_000);

afterAll(async () => {
  await decideQueue?.close();
  await Promise.all(apps.map((a) => a.stop()));
  await pool?.end();
  await database?.drop();
});

async function post(path: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${ingestUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${API_KEY}` },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** The stored event with this id: its stream and type. */
async function stored(eventId: string): Promise<{ stream: string; type: string } | undefined> {
  const r = await pool.query<{ stream_name: string; event_type: string }>(
    'select stream_name, event_type from hub_events where event_id = $1',
    [eventId],
  );
  return r.rows[0] ? { stream: r.rows[0].stream_name, type: r.rows[0].event_type } : undefined;
}

describe('a conversation resolved on a platform, sent through the generic API', () => {
  it('is recorded as ConversationResolved in the customer’s stream, and the NBA worker schedules the survey follow-up', async () => {
    const phone = '+14155550177';
    const message = await post('/v1/events', {
      type: 'InteractionReceived',
      data: {
        direction: 'inbound',
        kind: 'message',
        identities: [{ kind: 'phone', value: phone }],
        content: { text: 'my order has not arrived' },
        provider: { messageId: freshId('msg') },
        threadId: 'chat-1',
      },
      metadata: { occurredAt: new Date(Date.now() - 60_000).toISOString(), channel: 'webchat' },
    });
    expect(message.status).toBe(202);
    const recorded = await eventually(() => stored(message.body['eventId'] as string), {
      what: 'the message in a customer stream',
      timeoutMs: 60_000,
    });
    const customerId = recorded.stream.slice(`customer-${tenant}.`.length);
    expect(recorded.stream).toBe(customerStream(tenant, customerId));

    const status = await post('/v1/conversations/status', {
      identities: [{ kind: 'phone', value: phone }],
      channel: 'webchat',
      threadId: 'chat-1',
      status: 'resolved',
      conversationId: 'CCX-conv-1',
      occurredAt: new Date().toISOString(),
    });
    expect(status.status).toBe(202);
    const statusId = status.body['eventId'] as string;
    expect(await eventually(() => stored(statusId), { what: 'the resolution in the customer stream', timeoutMs: 60_000 })).toEqual({
      stream: recorded.stream,
      type: 'ConversationResolved',
    });

    // The worker's survey job for the customer (deduplicated by customer, `survey:<tenant>:<customer>`).
    const job = await eventually(
      async () => {
        const id = await decideQueue.getDeduplicationJobId(`survey:${nbaJobKey(tenant, customerId)}`);
        const found = id ? await decideQueue.getJob(id) : undefined;
        return found?.data?.triggerEventId === statusId ? found : undefined;
      },
      { what: 'the survey follow-up', timeoutMs: 60_000 },
    );
    expect(job.data).toMatchObject({ trigger: 'survey-follow-up', tenantId: tenant, customerId, triggerEventId: statusId });
    expect(await job.getState()).toBe('delayed');
    expect(job.opts.delay).toBe(SURVEY_DELAY_MS);
  });
});

describe('an opt-out from a platform’s preference centre, sent through the generic API', () => {
  it('is recorded as ConsentChanged in the stream of the customer it names, registered by it when new', async () => {
    const res = await post('/v1/customers/consent', {
      identities: [{ kind: 'email', value: 'Opted.Out@example.com' }],
      channel: 'email',
      consent: 'opted_out',
      occurredAt: new Date().toISOString(),
    });
    expect(res.status).toBe(202);
    const recorded = await eventually(() => stored(res.body['eventId'] as string), {
      what: 'the consent change in a customer stream',
      timeoutMs: 60_000,
    });
    expect(recorded.type).toBe('ConsentChanged');
    const registered = await pool.query<{ event_type: string }>(
      'select event_type from hub_events where stream_name = $1 order by stream_revision',
      [recorded.stream],
    );
    expect(registered.rows.map((r) => r.event_type)).toEqual(['CustomerRegistered', 'ConsentChanged']);
  });
});

describe('profile attributes from a platform’s CRM, sent through the generic API', () => {
  it('are recorded as TraitsUpdated in the stream of the customer they name', async () => {
    const res = await post('/v1/customers/traits', {
      identities: [{ kind: 'external', namespace: 'salesforce', value: '0035e00000AbCdE' }],
      traits: { tier: 'gold' },
      occurredAt: new Date().toISOString(),
    });
    expect(res.status).toBe(202);
    expect(
      (await eventually(() => stored(res.body['eventId'] as string), { what: 'the attributes in a customer stream', timeoutMs: 60_000 }))
        .type,
    ).toBe('TraitsUpdated');
  });
});

describe('a message on the platform’s own plain chat (channel chat: no webhook adapter, only the generic API)', () => {
  it('is recorded in the customer’s stream, projected on the timeline as chat, and answered on chat by the NBA worker', async () => {
    const customer = freshId('cust');
    const res = await post('/v1/events', {
      type: 'InteractionReceived',
      data: {
        direction: 'inbound',
        kind: 'message',
        identities: [{ kind: 'external', namespace: 'ccx', value: customer }],
        content: { text: 'where is my order?' },
        provider: { messageId: freshId('msg') },
        threadId: 'conv-9',
      },
      metadata: { occurredAt: new Date(Date.now() - 30_000).toISOString(), channel: 'chat' },
    });
    expect(res.status).toBe(202);
    const eventId = res.body['eventId'] as string;
    const recorded = await eventually(() => stored(eventId), { what: 'the chat message in a customer stream', timeoutMs: 60_000 });
    expect(recorded.type).toBe('InteractionRecorded');

    const entry = await eventually(
      async () =>
        (await pool.query<{ channel: string; kind: string }>('select channel, kind from timeline_entries where event_id = $1', [eventId]))
          .rows[0],
      { what: 'the chat message on the timeline', timeoutMs: 60_000 },
    );
    expect(entry).toEqual({ channel: 'chat', kind: 'message' });

    // The worker decides on it (the current catalog contacts chat like web chat): a reply where the customer wrote.
    const decision = await eventually(
      async () =>
        (
          await pool.query<{ data: { basedOnEventId: string; contactMode: string; action: { channel?: string } } }>(
            `select data from hub_events where stream_name = $1 and event_type = 'NextBestActionDecided' and data->>'basedOnEventId' = $2`,
            [recorded.stream, eventId],
          )
        ).rows[0]?.data,
      { what: 'the decision on the chat message', timeoutMs: 60_000 },
    );
    expect(decision).toEqual(expect.objectContaining({ contactMode: 'reply', action: expect.objectContaining({ channel: 'chat' }) }));
  });
});
