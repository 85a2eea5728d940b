import { createHash, randomBytes } from 'node:crypto';
import { Pool } from 'pg';
import { Kafka, logLevel } from 'kafkajs';
import { HeaderNames, hubNames } from '@hub/contracts';
import { eventually, freshDatabase, freshId, startAppProcess, testInfra, type AppProcess } from '@hub/testing';
import { signedTwilioRequest, twilioSmsParams } from '@hub/channels-sms/testing';

/**
 * The walking skeleton end to end: four apps as separate processes that talk only over Kafka.
 * Signed webhook in → timeline and next best action out, through the query API.
 */
const infra = testInfra();
const tenant = freshId('e2e');
const AUTH_TOKEN = randomBytes(16).toString('hex');
const ACCOUNT_SID = `AC${randomBytes(16).toString('hex')}`;
/** The query API's key for this tenant, and one of another tenant (configured as their SHA-256 digests). */
const API_KEY = randomBytes(24).toString('base64url');
const otherTenant = freshId('e2eother');
const OTHER_API_KEY = randomBytes(24).toString('base64url');
const sha256 = (key: string) => createHash('sha256').update(key).digest('hex');
const keyHeaders = (key = API_KEY) => ({ authorization: `Bearer ${key}` });
let database: { url: string; drop(): Promise<void> };
const env = {
  DATABASE_URL: '',
  // Topics, consumer groups and queues of their own: other test files run their own apps meanwhile.
  HUB_NAMESPACE: tenant,
  REDIS_URL: infra.redisUrl,
  KAFKA_BROKERS: infra.kafkaBrokers.join(','),
  TENANT_ID: tenant,
  // Merges and erasure need keys with those scopes (docs/operations.md, "API keys").
  HUB_API_KEYS: `${tenant}:${sha256(API_KEY)}:read+write+erase,${otherTenant}:${sha256(OTHER_API_KEY)}:read+write+erase`,
  TWILIO_AUTH_TOKEN: AUTH_TOKEN,
  TWILIO_ACCOUNT_SID: ACCOUNT_SID,
  PORT: '0',
  NBA_DEBOUNCE_MS: '100',
};

let apps: AppProcess[] = [];
let ingestUrl = '';
let queryUrl = '';
let pool: Pool;

type Entry = { eventId: string; text: string | null; channel: string; direction: string };
type Nba = {
  current: null | { action: { kind: string; code: string }; explanation: { ruleId: string; reason: string }; basedOnEventId: string };
  history: unknown[];
};

async function send(params: Record<string, string>, authToken = AUTH_TOKEN) {
  const url = `${ingestUrl}/webhooks/twilio`;
  const signed = signedTwilioRequest({ authToken, url, params });
  const res = await fetch(url, { method: 'POST', headers: signed.headers, body: signed.body });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
}

async function customerByPhone(phone: string): Promise<string | undefined> {
  const res = await fetch(`${queryUrl}/tenants/${tenant}/customers?identity=${encodeURIComponent(`phone:${phone}`)}`, {
    headers: keyHeaders(),
  });
  if (res.status === 404) return undefined;
  return ((await res.json()) as { customerId: string }).customerId;
}

async function timeline(customerId: string): Promise<Entry[]> {
  return (
    (await (await fetch(`${queryUrl}/tenants/${tenant}/customers/${customerId}/timeline`, { headers: keyHeaders() })).json()) as {
      entries: Entry[];
    }
  ).entries;
}

async function nba(customerId: string): Promise<Nba> {
  return (await (
    await fetch(`${queryUrl}/tenants/${tenant}/customers/${customerId}/next-best-actions`, { headers: keyHeaders() })
  ).json()) as Nba;
}

async function storedEventCount(eventId: string): Promise<number> {
  const r = await pool.query('select count(*)::int as n from hub_events where event_id = $1', [eventId]);
  return (r.rows[0] as { n: number }).n;
}

beforeAll(async () => {
  // A database of its own: the projection starts from an empty store, not from every other test's events.
  database = await freshDatabase('e2e_sms');
  env.DATABASE_URL = database.url;
  pool = new Pool({ connectionString: database.url, max: 2 });
  pool.on('error', () => undefined); // the database is dropped WITH (FORCE) at the end
  apps = await Promise.all([
    startAppProcess('ingest-sms', env, { logSuffix: `-${tenant}` }),
    startAppProcess('timeline-projector', env, { logSuffix: `-${tenant}` }),
    startAppProcess('nba-worker', env, { logSuffix: `-${tenant}` }),
    startAppProcess('query-api', env, { logSuffix: `-${tenant}` }),
  ]);
  ingestUrl = apps[0]!.url!;
  queryUrl = apps[3]!.url!;
}, 120_000);

afterAll(async () => {
  await Promise.all(apps.map((a) => a.stop()));
  await pool?.end();
  await database?.drop();
});

async function post(path: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${queryUrl}/tenants/${tenant}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...keyHeaders() },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function sendAndWait(phone: string, body: string, seed: string): Promise<{ customerId: string; eventId: string }> {
  const res = await send(twilioSmsParams({ from: phone, to: '+14155550000', body, accountSid: ACCOUNT_SID, seed }));
  expect(res.status).toBe(202);
  const [eventId] = res.body['eventIds'] as string[];
  const customerId = await eventually(() => customerByPhone(phone), { what: `customer ${phone}` });
  await eventually(async () => ((await timeline(customerId)).some((e) => e.eventId === eventId) ? true : undefined), {
    what: 'timeline entry',
  });
  return { customerId, eventId: eventId! };
}

describe('the customer record through the query API', () => {
  it('folds the state as of a moment: nothing before the first message, the message after it', async () => {
    const before = new Date(Date.now() - 60_000).toISOString();
    const { customerId } = await sendAndWait('+14155550131', 'What are your opening hours?', `${tenant}-asof`);
    const then = await fetch(`${queryUrl}/tenants/${tenant}/customers/${customerId}/state?asOf=${encodeURIComponent(before)}`, {
      headers: keyHeaders(),
    });
    expect(then.status).toBe(404);
    const now = (await (
      await fetch(`${queryUrl}/tenants/${tenant}/customers/${customerId}/state?asOf=${encodeURIComponent(new Date().toISOString())}`, {
        headers: keyHeaders(),
      })
    ).json()) as { state: { engagement: { total: number } } };
    expect(now.state.engagement.total).toBe(1);
    const bad = await fetch(`${queryUrl}/tenants/${tenant}/customers/${customerId}/state?asOf=yesterday`, { headers: keyHeaders() });
    expect(bad.status).toBe(400);
  });

  it('merges two customers on a paid order: one timeline, and the merged number now reaches the survivor', async () => {
    const a = await sendAndWait('+14155550141', 'I placed order 77', `${tenant}-m1`);
    const b = await sendAndWait('+14155550142', 'Order 77 is mine too', `${tenant}-m2`);
    const evidence = { source: 'paid_order', detail: 'order 77', identities: [{ kind: 'phone', value: '+14155550142' }] };
    const preview = await post('/customers/merge-preview', { customerIds: [a.customerId, b.customerId], evidence });
    expect(preview.body['decision']).toBe('merge');
    const merged = await post('/customers/merges', {
      customerIds: [a.customerId, b.customerId],
      evidence,
      requestId: `${tenant}-order-77`,
    });
    expect(merged.status).toBe(200);
    expect(merged.body['outcome']).toBe('merged');
    const survivorId = preview.body['survivorId'] as string;
    expect((await timeline(survivorId)).map((e) => e.eventId).sort()).toEqual([a.eventId, b.eventId].sort());
    expect(await customerByPhone('+14155550142')).toBe(survivorId);
    const invalid = await post('/customers/merges', { customerIds: [a.customerId], evidence: { source: 'Paid Order!' } });
    expect(invalid.status).toBe(400);
    expect((invalid.body['fields'] as { field: string }[]).map((f) => f.field)).toEqual(
      expect.arrayContaining(['customerIds', 'evidence.source', 'requestId']),
    );
  });

  it('erases a customer: the timeline is gone and no stored row holds the phone number or the message', async () => {
    const phone = '+14155550151';
    const secret = `my account password is ${freshId('pw')}`;
    const { customerId } = await sendAndWait(phone, secret, `${tenant}-erase`);
    const erased = await post(`/customers/${customerId}/erase`, { reason: 'gdpr-art17', requestedBy: 'operator-1' });
    expect(erased.status).toBe(200);
    expect(erased.body).toMatchObject({ erased: true, keyDestroyed: true });
    expect((await fetch(`${queryUrl}/tenants/${tenant}/customers/${customerId}/timeline`, { headers: keyHeaders() })).status).toBe(404);
    expect(await customerByPhone(phone)).toBeUndefined();
    const raw = await pool.query<{ body: string }>(
      `select data::text || metadata::text as body from hub_events where metadata->>'tenantId' = $1`,
      [tenant],
    );
    expect(raw.rows.some((r) => r.body.includes(secret) || r.body.includes(phone))).toBe(false);
    const state = (await (
      await fetch(`${queryUrl}/tenants/${tenant}/customers/${customerId}/state`, { headers: keyHeaders() })
    ).json()) as { state: { status: string } };
    expect(state.state.status).toBe('erased');
  });
});

/** The query API for this tenant, with its key unless told otherwise. */
async function query(path: string, headers: Record<string, string> = keyHeaders()): Promise<Response> {
  return fetch(`${queryUrl}/tenants/${tenant}${path}`, { headers });
}

/** RFC 4180: quoted cells may hold commas, doubled quotes and line breaks; rows end with CRLF. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  const endCell = () => {
    row.push(cell);
    cell = '';
  };
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted && ch === '"' && text[i + 1] === '"') {
      cell += '"';
      i++;
    } else if (ch === '"') {
      quoted = !quoted;
    } else if (quoted) {
      cell += ch;
    } else if (ch === ',') {
      endCell();
    } else if (ch === '\r' && text[i + 1] === '\n') {
      endCell();
      rows.push(row);
      row = [];
      i++;
    } else {
      cell += ch;
    }
  }
  if (cell !== '' || row.length > 0) {
    endCell();
    rows.push(row);
  }
  return rows;
}

/** A server-sent-events client over fetch: the frames as they arrive. */
async function openLive(customerId: string) {
  const abort = new AbortController();
  const res = await fetch(`${queryUrl}/tenants/${tenant}/customers/${customerId}/timeline/live`, {
    headers: keyHeaders(),
    signal: abort.signal,
  });
  const frames: { event?: string; id?: string; data?: string }[] = [];
  const reading = (async () => {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
          const frame: { event?: string; id?: string; data?: string } = {};
          for (const m of buffer.slice(0, end).matchAll(/^(event|id|data): ?(.*)$/gm)) frame[m[1] as 'event' | 'id' | 'data'] = m[2];
          frames.push(frame);
          buffer = buffer.slice(end + 2);
        }
      }
    } catch {
      /* closed by the test */
    }
  })();
  return {
    res,
    entries: () => frames.filter((f) => f.event === 'entry'),
    async close() {
      abort.abort();
      await reading;
    },
  };
}

describe('analysts through the query API', () => {
  it('page a timeline with a cursor: every entry once, in order; bad paging parameters are 400', async () => {
    const phone = '+14155550161';
    const sent: string[] = [];
    let customerId = '';
    for (let n = 1; n <= 5; n++) {
      const r = await sendAndWait(phone, `page test ${n}`, `${tenant}-page-${n}`);
      customerId = r.customerId;
      sent.push(r.eventId);
    }
    const paged: string[] = [];
    let next: string | null = null;
    let pages = 0;
    do {
      const body = (await (await query(`/customers/${customerId}/timeline?limit=2${next ? `&cursor=${next}` : ''}`)).json()) as {
        entries: Entry[];
        next: string | null;
      };
      paged.push(...body.entries.map((e) => e.eventId));
      next = body.next;
      pages++;
    } while (next);
    expect(pages).toBe(3);
    expect(paged).toEqual((await timeline(customerId)).map((e) => e.eventId));
    expect([...paged].sort()).toEqual([...sent].sort());

    const bad = await query(`/customers/${customerId}/timeline?limit=501&cursor=not-a-cursor`);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { fields: { field: string }[] }).fields.map((f) => f.field).sort()).toEqual(['cursor', 'limit']);
  });

  it('export timelines as NDJSON and as CSV that parse back, formulas neutralised', async () => {
    const phone = '+14155550162';
    const texts = ['=HYPERLINK("http://evil.example","win"), click', 'line one\nline two, with "quotes"', 'plain'];
    let customerId = '';
    for (const [n, text] of texts.entries()) customerId = (await sendAndWait(phone, text, `${tenant}-export-${n}`)).customerId;
    const expected = await timeline(customerId);

    const ndjson = await query(`/exports/timelines?format=ndjson&customerIds=${customerId}`);
    expect(ndjson.headers.get('content-type')).toBe('application/x-ndjson; charset=utf-8');
    const objects = (await ndjson.text())
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as Entry & { timelineCustomerId: string });
    expect(objects.map((o) => [o.eventId, o.text, o.timelineCustomerId])).toEqual(expected.map((e) => [e.eventId, e.text, customerId]));
    // Twilio's SMS webhooks carry no time: each entry says its occurredAt is when the hub received it.
    expect(objects.map((o) => (o as { occurredAtSource?: unknown }).occurredAtSource)).toEqual(texts.map(() => 'received'));

    const csv = await query(`/exports/timelines?format=csv&customerIds=${customerId}`);
    expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8; header=present');
    expect(csv.headers.get('content-disposition')).toMatch(/^attachment; filename="timelines-.+\.csv"$/);
    const [header, ...rows] = parseCsv(await csv.text());
    const col = (name: string) => header!.indexOf(name);
    expect(rows.map((r) => r[col('eventId')])).toEqual(expected.map((e) => e.eventId));
    const guarded = (t: string | null) => (t && /^[=+\-@]/.test(t) ? `'${t}` : t);
    expect(rows.map((r) => r[col('text')])).toEqual(expected.map((e) => guarded(e.text)));
    expect(rows.every((r) => r.length === header!.length)).toBe(true);
    expect(rows.map((r) => r[col('occurredAtSource')])).toEqual(texts.map(() => 'received'));
  });

  it('stream new timeline entries live: a webhook sent after connecting arrives as an SSE entry', async () => {
    const phone = '+14155550163';
    const { customerId, eventId: before } = await sendAndWait(phone, 'first, before the stream', `${tenant}-live-1`);
    const live = await openLive(customerId);
    try {
      expect(live.res.status).toBe(200);
      expect(live.res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
      const res = await send(
        twilioSmsParams({
          from: phone,
          to: '+14155550000',
          body: 'second, while streaming',
          accountSid: ACCOUNT_SID,
          seed: `${tenant}-live-2`,
        }),
      );
      expect(res.status).toBe(202);
      const [eventId] = res.body['eventIds'] as string[];
      const frame = await eventually(async () => live.entries().find((f) => f.id === eventId), { what: 'live entry', intervalMs: 20 });
      expect(JSON.parse(frame.data!)).toEqual(
        expect.objectContaining({ eventId, customerId, text: 'second, while streaming', channel: 'sms', direction: 'inbound' }),
      );
      expect(live.entries().map((f) => f.id)).not.toContain(before);
    } finally {
      await live.close();
    }
  });

  it('answer 404 to a key of another tenant on every endpoint family, and 401 without a key', async () => {
    const { customerId } = await sendAndWait('+14155550164', 'whose customer am I?', `${tenant}-scope`);
    const families = [
      `/customers/${customerId}`,
      `/customers/${customerId}/timeline`,
      `/customers/${customerId}/conversations`,
      `/customers/${customerId}/state`,
      `/customers/${customerId}/next-best-actions`,
      `/customers/${customerId}/timeline/live`,
      `/exports/timelines?customerIds=${customerId}`,
      `/customers?identity=${encodeURIComponent('phone:+14155550164')}`,
    ];
    for (const path of families) {
      const own = await query(path);
      expect([path, own.status]).toEqual([path, 200]);
      await own.body?.cancel();
      // The other tenant's key on this tenant's path, and on its own path: as if the customer did not exist.
      expect([path, (await query(path, keyHeaders(OTHER_API_KEY))).status]).toEqual([path, 404]);
      const elsewhere = await fetch(`${queryUrl}/tenants/${otherTenant}${path}`, { headers: keyHeaders(OTHER_API_KEY) });
      expect([path, elsewhere.status]).toEqual([path, 404]);
      await elsewhere.body?.cancel();
      const anonymous = await query(path, {});
      expect([path, anonymous.status, anonymous.headers.get('www-authenticate')]).toEqual([path, 401, 'Bearer realm="hub-query-api"']);
    }
    expect((await fetch(`${queryUrl}/health`)).status).toBe(200);
  });
});

describe('a signed Twilio SMS webhook', () => {
  it('reaches the customer timeline and produces an explained next best action', async () => {
    const phone = '+14155550123';
    const res = await send(
      twilioSmsParams({
        from: phone,
        to: '+14155550000',
        body: 'Where is my order? It is late.',
        accountSid: ACCOUNT_SID,
        seed: `${tenant}-1`,
      }),
    );
    expect(res.status).toBe(202);
    const [eventId] = res.body['eventIds'] as string[];

    const customerId = await eventually(() => customerByPhone(phone), { what: 'customer by phone' });
    const entries = await eventually(
      async () => {
        const t = await timeline(customerId);
        return t.some((e) => e.eventId === eventId) ? t : undefined;
      },
      { what: 'timeline entry' },
    );
    expect(entries).toEqual([
      expect.objectContaining({ eventId, text: 'Where is my order? It is late.', channel: 'sms', direction: 'inbound' }),
    ]);

    const decision = await eventually(
      async () => {
        const n = await nba(customerId);
        return n.current?.basedOnEventId === eventId ? n.current : undefined;
      },
      { what: 'next best action' },
    );
    expect(decision.action).toEqual(expect.objectContaining({ kind: 'service', code: 'kb_order_tracking' }));
    expect(decision.explanation.ruleId).toBe('self_service');
  });

  it('sent twice by the provider gives one timeline entry and one decision', async () => {
    const phone = '+14155550124';
    const params = twilioSmsParams({
      from: phone,
      to: '+14155550000',
      body: 'I want to cancel, this is unacceptable',
      accountSid: ACCOUNT_SID,
      seed: `${tenant}-2`,
    });
    const first = await send(params);
    const second = await send(params);
    expect([first.status, second.status]).toEqual([202, 202]);
    expect(second.body['eventIds']).toEqual(first.body['eventIds']);
    const [eventId] = first.body['eventIds'] as string[];

    const customerId = await eventually(() => customerByPhone(phone), { what: 'customer' });
    const decided = await eventually(
      async () => {
        const n = await nba(customerId);
        return n.current?.basedOnEventId === eventId ? n : undefined;
      },
      { what: 'decision' },
    );
    // Give the duplicate every chance to be (wrongly) applied before counting.
    await new Promise((r) => setTimeout(r, 1_500));
    expect((await timeline(customerId)).filter((e) => e.eventId === eventId)).toHaveLength(1);
    expect(await storedEventCount(eventId!)).toBe(1);
    expect((await nba(customerId)).history).toHaveLength(decided.history.length);
    expect(decided.current!.action.kind).toBe('escalation');
  });

  it('with a forged signature gets 401 and records nothing', async () => {
    const phone = '+14155550125';
    const params = twilioSmsParams({ from: phone, to: '+14155550000', body: 'forged', accountSid: ACCOUNT_SID, seed: `${tenant}-3` });
    const res = await send(params, 'some-other-token');
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ error: 'unauthorized', reason: 'signature_invalid' });
    // A genuine message sent afterwards is processed; the forged one never appears.
    const ok = await send(
      twilioSmsParams({ from: phone, to: '+14155550000', body: 'hello', accountSid: ACCOUNT_SID, seed: `${tenant}-4` }),
    );
    const customerId = await eventually(() => customerByPhone(phone), { what: 'customer' });
    const entries = await eventually(
      async () => {
        const t = await timeline(customerId);
        return t.length > 0 ? t : undefined;
      },
      { what: 'timeline' },
    );
    expect(entries.map((e) => e.eventId)).toEqual(ok.body['eventIds']);
  });

  it('that is malformed gets 400 naming the bad fields', async () => {
    const params = twilioSmsParams({ from: '+14155550126', to: '+14155550000', body: 'x', accountSid: ACCOUNT_SID, seed: `${tenant}-5` });
    delete params['MessageSid'];
    params['NumMedia'] = 'lots';
    const res = await send(params);
    expect(res.status).toBe(400);
    expect(res.body['error']).toBe('validation_failed');
    const fields = (res.body['fields'] as { field: string }[]).map((f) => f.field).sort();
    expect(fields).toEqual(['MessageSid', 'NumMedia']);
  });

  it('larger than the channel allows gets 413 before it is parsed', async () => {
    const params = twilioSmsParams({
      from: '+14155550127',
      to: '+14155550000',
      body: 'x'.repeat(70_000),
      accountSid: ACCOUNT_SID,
      seed: `${tenant}-7`,
    });
    const url = `${ingestUrl}/webhooks/twilio`;
    const signed = signedTwilioRequest({ authToken: AUTH_TOKEN, url, params });
    const res = await fetch(url, { method: 'POST', headers: signed.headers, body: signed.body });
    expect(res.status).toBe(413);
    expect(await customerByPhone('+14155550127')).toBeUndefined();
  });

  it('that verifies but cannot be mapped is dead-lettered with its reason', async () => {
    const kafka = new Kafka({ clientId: freshId('dlq'), brokers: infra.kafkaBrokers, logLevel: logLevel.NOTHING });
    const consumer = kafka.consumer({ groupId: freshId('dlq-reader') });
    const seen: { reason?: string; raw: string }[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic: hubNames(tenant).topics.deadLetter, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        seen.push({ reason: message.headers?.[HeaderNames.dlqReason]?.toString(), raw: message.value?.toString() ?? '' });
      },
    });
    try {
      const marker = freshId('unmappable');
      const res = await send(
        twilioSmsParams({ from: 'ACME', to: '+14155550000', body: marker, accountSid: ACCOUNT_SID, seed: `${tenant}-6` }),
      );
      expect(res.status).toBe(202);
      expect(res.body['status']).toBe('dead_lettered');
      const dead = await eventually(async () => seen.find((s) => s.raw.includes(marker)), { what: 'dead letter' });
      expect(dead.reason).toMatch(/From: not a valid phone number/);
    } finally {
      await consumer.disconnect();
    }
  });
});
