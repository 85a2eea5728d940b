import { createHash, randomBytes } from 'node:crypto';
import { Pool } from 'pg';
import { Queue } from 'bullmq';
import { customerStream, hubNames, nbaJobKey } from '@hub/contracts';
import { eventually, freshDatabase, freshId, startAppProcess, testInfra, type AppProcess } from '@hub/testing';

/**
 * An escalation reaches people, end to end, four apps as separate processes over Kafka: a customer
 * writes three times on the platform's chat without resolution (ingest-api, recorded by the
 * timeline-projector); the NBA worker decides to escalate to a specialist and opens a work item in
 * the customer's stream, which it projects into the queue; an agent lists the queue, claims the item
 * (a second agent's claim is refused) and resolves it through the query API, which records
 * WorkItemResolved and ConversationResolved — and the worker schedules the survey follow-up.
 */
const infra = testInfra();
const tenant = freshId('e2ewi');
const INGEST_KEY = randomBytes(24).toString('base64url');
const QUERY_KEY = randomBytes(24).toString('base64url');
const READ_KEY = randomBytes(24).toString('base64url');
const sha256 = (key: string) => createHash('sha256').update(key).digest('hex');
const SURVEY_DELAY_MS = 3_600_000;
const env = {
  DATABASE_URL: '',
  HUB_NAMESPACE: tenant,
  REDIS_URL: infra.redisUrl,
  KAFKA_BROKERS: infra.kafkaBrokers.join(','),
  INGEST_API_KEYS: `ccx:${tenant}:${sha256(INGEST_KEY)}`,
  HUB_API_KEYS: `${tenant}:${sha256(QUERY_KEY)}:read+write,${tenant}:${sha256(READ_KEY)}:read`,
  INGEST_RAW_ENABLED: 'false',
  PORT: '0',
  NBA_DEBOUNCE_MS: '100',
  NBA_SURVEY_DELAY_MS: String(SURVEY_DELAY_MS),
  WORK_ITEM_SLA_MINUTES: 'escalate_specialist=30,*=480',
};
let database: { url: string; drop(): Promise<void> };
let apps: AppProcess[] = [];
let pool: Pool;
let decideQueue: Queue;
let ingestUrl = '';
let queryUrl = '';

beforeAll(async () => {
  database = await freshDatabase('e2e_wi');
  env.DATABASE_URL = database.url;
  pool = new Pool({ connectionString: database.url, max: 2 });
  pool.on('error', () => undefined); // the database is dropped WITH (FORCE) at the end
  apps = await Promise.all([
    startAppProcess('ingest-api', env, { logSuffix: `-${tenant}` }),
    startAppProcess('timeline-projector', env, { logSuffix: `-${tenant}` }),
    startAppProcess('nba-worker', env, { logSuffix: `-${tenant}` }),
    startAppProcess('query-api', env, { logSuffix: `-${tenant}` }),
  ]);
  ingestUrl = apps[0]!.url!;
  queryUrl = apps[3]!.url!;
  decideQueue = new Queue(hubNames(tenant).queues.nbaDecide, { connection: { url: infra.redisUrl } });
}, 120_000);

afterAll(async () => {
  await decideQueue?.close();
  await Promise.all(apps.map((a) => a.stop()));
  await pool?.end();
  await database?.drop();
});

type Json = Record<string, unknown>;

async function call(method: string, url: string, key: string, body?: unknown): Promise<{ status: number; body: Json }> {
  const res = await fetch(url, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as Json };
}

const workItems = (path: string, body?: unknown, key = QUERY_KEY) =>
  call(body === undefined ? 'GET' : 'POST', `${queryUrl}/tenants/${tenant}/work-items${path}`, key, body);

/** The stored events of a stream, in order: type and data. */
async function streamEvents(stream: string): Promise<{ type: string; id: string; data: Json }[]> {
  const r = await pool.query<{ event_type: string; event_id: string; data: Json }>(
    'select event_type, event_id, data from hub_events where stream_name = $1 order by stream_revision',
    [stream],
  );
  return r.rows.map((row) => ({ type: row.event_type, id: row.event_id, data: row.data }));
}

describe('a customer who writes three times without resolution', () => {
  it('is escalated into a work item that an agent claims and resolves, which resolves the conversation and schedules the survey', async () => {
    const customer = freshId('cust');
    let stream = '';
    for (const [n, text] of ['hello?', 'is anyone there', 'I am still waiting'].entries()) {
      const sent = await call('POST', `${ingestUrl}/v1/events`, INGEST_KEY, {
        type: 'InteractionReceived',
        data: {
          direction: 'inbound',
          kind: 'message',
          identities: [{ kind: 'external', namespace: 'ccx', value: customer }],
          content: { text },
          provider: { messageId: freshId(`msg${n}`) },
          threadId: 'conv-7',
        },
        metadata: { occurredAt: new Date(Date.now() - (3 - n) * 60_000).toISOString(), channel: 'chat' },
      });
      expect(sent.status).toBe(202);
      const eventId = sent.body['eventId'] as string;
      stream = await eventually(
        async () =>
          (await pool.query<{ stream_name: string }>('select stream_name from hub_events where event_id = $1', [eventId])).rows[0]
            ?.stream_name,
        { what: `message ${n + 1} in a customer stream`, timeoutMs: 60_000 },
      );
    }
    const customerId = stream.slice(`customer-${tenant}.`.length);
    expect(stream).toBe(customerStream(tenant, customerId));

    // The worker's escalation opens a work item beside the decision, in the customer's stream …
    const opened = await eventually(async () => (await streamEvents(stream)).find((e) => e.type === 'WorkItemOpened'), {
      what: 'a work item opened in the customer stream',
      timeoutMs: 60_000,
    });
    const workItemId = opened.data['workItemId'] as string;
    expect(opened.data).toMatchObject({
      actionId: 'escalate_specialist',
      queue: 'escalate_specialist',
      conversation: { channel: 'chat', threadId: 'conv-7' },
    });
    const decision = (await streamEvents(stream)).find((e) => e.type === 'NextBestActionDecided' && e.id === opened.data['decisionId']);
    expect(decision?.data).toMatchObject({ action: { kind: 'escalation', code: 'escalate_specialist' } });

    // … and in the queue the query API lists.
    const listed = await eventually(
      async () => {
        const r = await workItems('?queue=escalate_specialist&status=open', undefined, READ_KEY);
        return (r.body['items'] as Json[] | undefined)?.find((i) => i['workItemId'] === workItemId);
      },
      { what: 'the work item in its queue', timeoutMs: 60_000 },
    );
    expect(listed).toMatchObject({ customerId, queue: 'escalate_specialist', status: 'open', assignee: null });
    expect(Date.parse(listed['dueAt'] as string) - Date.parse(listed['openedAt'] as string)).toBe(30 * 60_000);

    // A read key cannot claim; an unknown item is 404.
    expect((await workItems(`/${workItemId}/claim`, { agent: 'agent-ann' }, READ_KEY)).status).toBe(403);
    expect((await workItems('/no-such-item/claim', { agent: 'agent-ann' })).status).toBe(404);

    const claimed = await workItems(`/${workItemId}/claim`, { agent: 'agent-ann' });
    expect(claimed).toMatchObject({ status: 200, body: { recorded: true, item: { status: 'claimed', assignee: 'agent-ann' } } });
    const conflicting = await workItems(`/${workItemId}/claim`, { agent: 'agent-bob' });
    expect(conflicting).toMatchObject({ status: 409, body: { reason: 'claimed_by_other', item: { assignee: 'agent-ann' } } });

    const resolved = await workItems(`/${workItemId}/resolve`, { resolution: 'solved', note: 'sent the tracking link' });
    expect(resolved).toMatchObject({ status: 200, body: { recorded: true, item: { status: 'resolved', resolution: 'solved' } } });
    const [resolvedId, conversationId] = resolved.body['eventIds'] as string[];
    expect((await workItems(`/${workItemId}/resolve`, { resolution: 'solved' })).status).toBe(409);

    const tail = (await streamEvents(stream)).slice(-2);
    expect(tail.map((e) => [e.type, e.id])).toEqual([
      ['WorkItemResolved', resolvedId],
      ['ConversationResolved', conversationId],
    ]);
    expect(tail[1]!.data).toEqual({ channel: 'chat', threadId: 'conv-7' });

    // The resolution starts the survey follow-up (deduplicated by customer, `survey:<tenant>:<customer>`).
    const job = await eventually(
      async () => {
        const id = await decideQueue.getDeduplicationJobId(`survey:${nbaJobKey(tenant, customerId)}`);
        const found = id ? await decideQueue.getJob(id) : undefined;
        return found?.data?.triggerEventId === conversationId ? found : undefined;
      },
      { what: 'the survey follow-up', timeoutMs: 60_000 },
    );
    expect(job.data).toMatchObject({ trigger: 'survey-follow-up', tenantId: tenant, customerId, triggerEventId: conversationId });
    expect(await job.getState()).toBe('delayed');

    // The queue follows the stream: resolved, by the agent who held it.
    const after = await eventually(
      async () => {
        const r = await workItems('?status=resolved&assignee=agent-ann');
        return (r.body['items'] as Json[] | undefined)?.find((i) => i['workItemId'] === workItemId);
      },
      { what: 'the work item resolved in the queue', timeoutMs: 60_000 },
    );
    expect(after).toMatchObject({ status: 'resolved', resolution: 'solved', assignee: 'agent-ann' });
  });
});
