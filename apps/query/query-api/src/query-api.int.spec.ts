import { randomBytes, randomUUID, createHash } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Pool } from 'pg';
import { ConfigError } from '@hub/config';
import { eventually, freshId, testInfra, TEST_IDENTITY_NAMING } from '@hub/testing';
import { customerStream, deterministicId, type ChannelId, type IdentityRef, type InteractionReceived } from '@hub/contracts';
import { createCustomerStores, recordInteraction, toCustomerEvent, type CustomerStores } from '@hub/customer-records';
import { PostgresTimelineStore, timelineChangeFor, type TimelineChange } from '@hub/timeline';
import { startQueryApi } from './main';
import { TIMELINE_NOTIFICATIONS, type TimelineNotifications } from './live/timeline-notifications';

/**
 * The query API in-process against real PostgreSQL: access, timelines, search, exports and live
 * streams over HTTP. Rows are written through the timeline store, as the projector writes them.
 */
const sha = (key: string) => createHash('sha256').update(key).digest('hex');
const tenantA = freshId('qa');
const tenantB = freshId('qb');
const keyA = randomBytes(24).toString('base64url');
const keyB = randomBytes(24).toString('base64url');
const env = (overrides: Record<string, string> = {}) => ({
  DATABASE_URL: testInfra().databaseUrl,
  PORT: '0',
  LOG_LEVEL: 'silent',
  HUB_API_KEYS: `${tenantA}:${sha(keyA)},${tenantB}:${sha(keyB)}`,
  // tenant B dials in the UK: its national numbers are read as GB ones; tenant A has no default.
  QUERY_DEFAULT_REGIONS: `${tenantB}:gb`,
  // Long, so that live entries arriving within a test prove the NOTIFY path (not the heartbeat's read).
  QUERY_LIVE_HEARTBEAT_MS: '60000',
  ...overrides,
});

let app: NestFastifyApplication;
let url = '';
let pool: Pool;
let store: PostgresTimelineStore;

beforeAll(async () => {
  pool = new Pool({ connectionString: testInfra().databaseUrl, max: 4 });
  store = new PostgresTimelineStore(pool);
  ({ app, url } = await startQueryApi(env()));
});

afterAll(async () => {
  await app?.close();
  await pool?.end();
});

const auth = (key = keyA) => ({ authorization: `Bearer ${key}` });

async function get(
  path: string,
  headers: Record<string, string> = auth(),
): Promise<{ status: number; headers: Headers; body: Record<string, unknown> }> {
  const res = await fetch(`${url}${path}`, { headers });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

interface EntrySpec {
  occurredAt?: string;
  recordedAt?: string;
  channel?: string;
  direction?: 'inbound' | 'outbound';
  text?: string | null;
  occurredAtSource?: 'provider' | 'received';
}

let phoneSeq = 0;
/** A customer with these entries, projected through the store; returns the customer and event ids. */
async function customerWith(
  tenantId: string,
  entries: EntrySpec[],
  phone = `+1415556${String(1000 + phoneSeq++).padStart(4, '0')}`,
): Promise<{ customerId: string; eventIds: string[] }> {
  const customerId = freshId('c');
  const now = Date.now();
  const eventIds = await addEntries(tenantId, customerId, entries, now, phone, true);
  return { customerId, eventIds };
}

async function addEntries(
  tenantId: string,
  customerId: string,
  entries: EntrySpec[],
  base = Date.now(),
  phone = '+14155550999',
  register = false,
): Promise<string[]> {
  const eventIds = entries.map(() => randomUUID());
  const changes: TimelineChange[] = [];
  if (register)
    changes.push({
      kind: 'customer',
      tenantId,
      customerId,
      identity: { kind: 'phone', value: phone },
      at: new Date(base - 3_600_000).toISOString(),
    });
  entries.forEach((e, n) => {
    const at = new Date(base + n).toISOString();
    changes.push({
      kind: 'entry',
      identities: [{ kind: 'phone', value: phone }],
      entry: {
        tenantId,
        customerId,
        eventId: eventIds[n]!,
        streamRevision: String(n + 1),
        occurredAt: e.occurredAt ?? at,
        recordedAt: e.recordedAt ?? at,
        ...(e.occurredAtSource ? { occurredAtSource: e.occurredAtSource } : {}),
        channel: e.channel ?? 'sms',
        direction: e.direction ?? 'inbound',
        kind: 'message',
        text: e.text === undefined ? `message ${n}` : e.text,
        media: [],
        provider: { name: 'twilio', messageId: `SM${n}` },
      },
    });
  });
  await store.apply(changes);
  return eventIds;
}

/** What the projector does after each commit; sent here too so these tests do not depend on how the store does it. */
async function notify(tenantId: string, customerId: string): Promise<void> {
  await pool.query("select pg_notify('hub_timeline', $1)", [`${tenantId}:${customerId}`]);
}

interface Frame {
  event?: string;
  id?: string;
  data?: string;
  comment?: string;
}

/** A server-sent-events client over fetch: frames as they arrive. */
async function openStream(path: string, headers: Record<string, string> = auth()) {
  const abort = new AbortController();
  const res = await fetch(`${url}${path}`, { headers, signal: abort.signal });
  const frames: Frame[] = [];
  let buffer = '';
  const reading = (async () => {
    if (!res.body || res.status !== 200) return;
    const decoder = new TextDecoder();
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const frame: Frame = {};
          for (const line of buffer.slice(0, end).split('\n')) {
            if (line.startsWith(':')) frame.comment = line.slice(1).trim();
            const m = /^(event|id|data): ?(.*)$/.exec(line);
            if (m) frame[m[1] as 'event' | 'id' | 'data'] = m[2];
          }
          frames.push(frame);
          buffer = buffer.slice(end + 2);
        }
      }
    } catch {
      /* aborted */
    }
  })();
  return {
    status: res.status,
    headers: res.headers,
    frames,
    entries: () => frames.filter((f) => f.event === 'entry'),
    until: <T>(probe: () => T | undefined, what: string, timeoutMs = 20_000) =>
      eventually(async () => probe(), { what, timeoutMs, intervalMs: 20 }),
    async close() {
      abort.abort();
      await reading;
    },
  };
}

describe('access', () => {
  describe('when no key or an unknown key is sent', () => {
    it('then every tenant route answers 401 with WWW-Authenticate, and /health stays open', async () => {
      const { customerId } = await customerWith(tenantA, [{}]);
      const missing = await get(`/tenants/${tenantA}/customers/${customerId}/timeline`, {});
      expect(missing.status).toBe(401);
      expect(missing.headers.get('www-authenticate')).toBe('Bearer realm="hub-query-api"');
      expect(missing.body).toEqual({ error: 'unauthorized', reason: 'api_key_missing' });

      const wrong = await get(`/tenants/${tenantA}/customers/${customerId}/timeline`, auth('not-a-key'));
      expect(wrong.status).toBe(401);
      expect(wrong.headers.get('www-authenticate')).toBe('Bearer realm="hub-query-api", error="invalid_token"');
      expect(wrong.body).toEqual({ error: 'unauthorized', reason: 'api_key_invalid' });

      // The digest itself is not a key.
      expect((await get(`/tenants/${tenantA}/customers`, auth(sha(keyA)))).status).toBe(401);
      expect(
        (
          await fetch(`${url}/tenants/${tenantA}/customers/${customerId}/erase`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: '{}',
          })
        ).status,
      ).toBe(401);
      expect((await get('/health', {})).status).toBe(200);
    });
  });

  describe('when a key is sent as X-Api-Key', () => {
    it('then it works like the bearer token', async () => {
      const { customerId } = await customerWith(tenantA, [{}]);
      expect((await get(`/tenants/${tenantA}/customers/${customerId}/timeline`, { 'x-api-key': keyA })).status).toBe(200);
    });
  });

  describe("when a valid key of one tenant asks for another tenant's customer", () => {
    it('then every endpoint family answers 404, exactly as for a customer that does not exist', async () => {
      const { customerId } = await customerWith(tenantA, [{}]);
      const families = [
        `/customers/${customerId}`,
        `/customers/${customerId}/timeline`,
        `/customers/${customerId}/conversations`,
        `/customers/${customerId}/state`,
        `/customers/${customerId}/next-best-actions`,
        `/customers/${customerId}/timeline/live`,
        `/exports/timelines?customerIds=${customerId}`,
      ];
      // State and next best actions fold the event stream, which these read-model-only customers lack (the e2e test has both).
      const foldsTheStream = (path: string) => path.endsWith('/state') || path.endsWith('/next-best-actions');
      for (const path of families) {
        const asOwner = await fetch(`${url}/tenants/${tenantA}${path}`, { headers: auth(keyA) });
        // The owner sees it (the live stream is cut right away).
        expect([path, asOwner.status]).toEqual([path, foldsTheStream(path) ? 404 : 200]);
        await asOwner.body?.cancel();
        const other = await get(`/tenants/${tenantA}${path}`, auth(keyB));
        expect([path, other.status, other.body]).toEqual([
          path,
          404,
          path.startsWith('/customers/') ? { error: 'not_found', reason: 'unknown customer' } : { error: 'not_found', reason: 'not found' },
        ]);
        // And through the other tenant's own path: nothing of A's there either.
        expect([path, (await get(`/tenants/${tenantB}${path}`, auth(keyB))).status]).toEqual([path, 404]);
      }
      expect((await get(`/tenants/${tenantA}/customers`, auth(keyB))).status).toBe(404);
      expect((await get(`/tenants/${freshId('nobody')}/customers`, auth(keyB))).status).toBe(404);
    });
  });

  describe('when HUB_API_KEYS is missing or malformed', () => {
    it.each([
      [{ HUB_API_KEYS: '' }, /HUB_API_KEYS must list at least one/],
      [{ HUB_API_KEYS: `${tenantA}:not-a-digest` }, /each HUB_API_KEYS entry must be <tenant>:<sha256 hex of the key>\[:<scopes>\]/],
      [{ HUB_API_KEYS: `${tenantA}:${sha(keyA)},${tenantB}:${sha(keyA)}` }, /the same key is configured for tenants/],
    ])('then the app does not start: %j', async (overrides, message) => {
      const failure = await startQueryApi(env(overrides)).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(failure).toBeInstanceOf(ConfigError);
      expect(String((failure as Error).message)).toMatch(message);
    });
  });
});

describe('timelines over HTTP', () => {
  describe('when a client pages with next', () => {
    it('then it gets every entry once, in order, and the last page has next: null', async () => {
      const { customerId, eventIds } = await customerWith(
        tenantA,
        Array.from({ length: 7 }, () => ({})),
      );
      const seen: string[] = [];
      let next: string | null = null;
      let pages = 0;
      do {
        const res = await get(`/tenants/${tenantA}/customers/${customerId}/timeline?limit=3${next ? `&cursor=${next}` : ''}`);
        expect(res.status).toBe(200);
        seen.push(...(res.body['entries'] as { eventId: string }[]).map((e) => e.eventId));
        next = res.body['next'] as string | null;
        pages++;
      } while (next);
      expect(pages).toBe(3);
      expect(seen).toEqual(eventIds);
    });
  });

  describe('when a cursor is handed to another query', () => {
    it('then it is a 400 on cursor, not a page of that query from a position meaning nothing to it', async () => {
      const one = await customerWith(
        tenantA,
        Array.from({ length: 3 }, () => ({})),
      );
      const other = await customerWith(
        tenantA,
        Array.from({ length: 3 }, () => ({})),
      );
      const first = await get(`/tenants/${tenantA}/customers/${one.customerId}/timeline?limit=1`);
      const next = first.body['next'] as string;
      expect((await get(`/tenants/${tenantA}/customers/${one.customerId}/timeline?limit=1&cursor=${next}`)).status).toBe(200);
      for (const path of [`${other.customerId}/timeline?limit=1`, `${one.customerId}/timeline?limit=1&channel=email`]) {
        const res = await get(`/tenants/${tenantA}/customers/${path}&cursor=${next}`);
        expect({ path, status: res.status }).toEqual({ path, status: 400 });
        expect(res.body).toEqual({
          error: 'validation_failed',
          fields: [{ field: 'cursor', messages: [expect.stringContaining('pages another query')] }],
        });
      }
      const customers = await get(`/tenants/${tenantA}/customers?limit=1&channel=sms`);
      const page2 = customers.body['next'] as string;
      expect((await get(`/tenants/${tenantA}/customers?limit=1&channel=sms&cursor=${page2}`)).status).toBe(200);
      expect((await get(`/tenants/${tenantA}/customers?limit=1&channel=email&cursor=${page2}`)).status).toBe(400);
    });
  });

  describe('when filters and asOf are given', () => {
    it('then only matching entries recorded by then come back', async () => {
      const t0 = Date.parse('2025-04-01T10:00:00Z');
      const iso = (m: number) => new Date(t0 + m * 60_000).toISOString();
      const { customerId, eventIds } = await customerWith(tenantA, [
        { occurredAt: iso(0), recordedAt: iso(0), direction: 'inbound' },
        { occurredAt: iso(1), recordedAt: iso(1), direction: 'outbound', channel: 'email' },
        { occurredAt: iso(2), recordedAt: iso(30), direction: 'inbound' },
      ]);
      const ids = async (q: string) =>
        ((await get(`/tenants/${tenantA}/customers/${customerId}/timeline?${q}`)).body['entries'] as { eventId: string }[]).map(
          (e) => e.eventId,
        );
      expect(await ids('direction=inbound')).toEqual([eventIds[0], eventIds[2]]);
      expect(await ids('channel=email,whatsapp')).toEqual([eventIds[1]]);
      expect(await ids(`from=${encodeURIComponent(iso(1))}&to=${encodeURIComponent(iso(2))}`)).toEqual([eventIds[1]]);
      expect(await ids(`asOf=${encodeURIComponent(iso(10))}`)).toEqual([eventIds[0], eventIds[1]]);
      const res = await get(`/tenants/${tenantA}/customers/${customerId}/timeline?asOf=${encodeURIComponent(iso(10))}`);
      expect(res.body['asOf']).toBe(iso(10));
    });
  });

  describe('when entries happened long before the hub recorded them', () => {
    // An SMS (no provider time: recorded as received), an email sent at 10:01 that arrived at 12:00,
    // and a WhatsApp message recorded before adapters said where its time came from.
    const t0 = Date.parse('2025-04-02T10:00:00Z');
    const iso = (m: number) => new Date(t0 + m * 60_000).toISOString();
    const entries: EntrySpec[] = [
      { occurredAt: iso(0), recordedAt: iso(0), occurredAtSource: 'received' },
      { occurredAt: iso(1), recordedAt: iso(120), channel: 'email', occurredAtSource: 'provider' },
      { occurredAt: iso(121), recordedAt: iso(121), channel: 'whatsapp' },
    ];
    const q = (params: Record<string, string>) => new URLSearchParams(params).toString();

    it('then from/to select on when it happened and recordedFrom/recordedTo on when it was recorded: the same window, different entries', async () => {
      const { customerId, eventIds } = await customerWith(tenantA, entries);
      const ids = async (params: Record<string, string>) => {
        const res = await get(`/tenants/${tenantA}/customers/${customerId}/timeline?${q(params)}`);
        expect(res.status).toBe(200);
        return (res.body['entries'] as { eventId: string }[]).map((e) => e.eventId);
      };
      expect(await ids({ from: iso(0), to: iso(60) })).toEqual([eventIds[0], eventIds[1]]);
      expect(await ids({ recordedFrom: iso(0), recordedTo: iso(60) })).toEqual([eventIds[0]]);
      expect(await ids({ recordedFrom: iso(60) })).toEqual([eventIds[1], eventIds[2]]);
      // Both clocks at once: happened in the first hour, but recorded after it.
      expect(await ids({ from: iso(0), to: iso(60), recordedFrom: iso(60) })).toEqual([eventIds[1]]);
    });

    it('then each entry says where its occurredAt came from — provider, received, or null when the event did not say — in JSON and in both export formats', async () => {
      const { customerId, eventIds } = await customerWith(tenantA, entries);
      const timeline = await get(`/tenants/${tenantA}/customers/${customerId}/timeline`);
      expect(
        (timeline.body['entries'] as { eventId: string; occurredAtSource: unknown }[]).map((e) => [e.eventId, e.occurredAtSource]),
      ).toEqual([
        [eventIds[0], 'received'],
        [eventIds[1], 'provider'],
        [eventIds[2], null],
      ]);

      const csv = await (
        await fetch(`${url}/tenants/${tenantA}/exports/timelines?${q({ format: 'csv', customerIds: customerId, recordedFrom: iso(60) })}`, {
          headers: auth(),
        })
      ).text();
      const [header, ...rows] = csv
        .trimEnd()
        .split('\r\n')
        .map((line) => line.split(','));
      const column = header!.indexOf('occurredAtSource');
      expect(column).toBeGreaterThan(0);
      expect(rows.map((r) => [r[0], r[column]])).toEqual([
        [eventIds[1], 'provider'],
        [eventIds[2], ''],
      ]);

      const ndjson = await (
        await fetch(`${url}/tenants/${tenantA}/exports/timelines?${q({ customerIds: customerId, from: iso(0), to: iso(60) })}`, {
          headers: auth(),
        })
      ).text();
      const lines = ndjson
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l) as { eventId: string; occurredAtSource: unknown });
      expect(lines.map((l) => [l.eventId, l.occurredAtSource])).toEqual([
        [eventIds[0], 'received'],
        [eventIds[1], 'provider'],
      ]);
    });

    it('then a recorded window with an end not after its start, or an instant without a zone, is a 400 naming the field', async () => {
      const { customerId } = await customerWith(tenantA, [{}]);
      for (const path of [`customers/${customerId}/timeline`, 'exports/timelines', 'stats?by=channel&']) {
        const sep = path.endsWith('&') ? '' : '?';
        const noZone = await get(`/tenants/${tenantA}/${path}${sep}${q({ recordedFrom: '2025-04-02T10:00', to: '2025-04-02T11:00:00Z' })}`);
        expect({ path, status: noZone.status, body: noZone.body }).toEqual({
          path,
          status: 400,
          body: { error: 'validation_failed', fields: [{ field: 'recordedFrom', messages: [expect.stringContaining('zone')] }] },
        });
        const backwards = await get(
          `/tenants/${tenantA}/${path}${sep}${q({ recordedFrom: '2025-04-02', recordedTo: '2025-04-01T23:00:00Z' })}`,
        );
        expect({ path, status: backwards.status, fields: backwards.body['fields'] }).toEqual({
          path,
          status: 400,
          fields: [{ field: 'recordedTo', messages: ['recordedTo must be later than recordedFrom'] }],
        });
      }
    });
  });

  describe('when parameters are bad', () => {
    it('then 400 names every failing field in the hub format', async () => {
      const { customerId } = await customerWith(tenantA, [{}]);
      const res = await get(
        `/tenants/${tenantA}/customers/${customerId}/timeline?limit=1000&cursor=nope&from=2025-02-30&to=yesterday&direction=up`,
      );
      expect(res.status).toBe(400);
      expect(res.body['error']).toBe('validation_failed');
      expect((res.body['fields'] as { field: string; messages: string[] }[]).map((f) => f.field).sort()).toEqual([
        'cursor',
        'direction',
        'from',
        'limit',
        'to',
      ]);
      expect((await get(`/tenants/${tenantA}/customers/${customerId}/timeline?limit=0`)).status).toBe(400);
      expect((await get(`/tenants/${tenantA}/customers/${customerId}/conversations?asOf=soon`)).status).toBe(400);
      expect((await get(`/tenants/${tenantA}/customers?cursor=abc`)).status).toBe(400);
    });
  });

  describe('when the customer does not exist', () => {
    it('then the timeline, conversations and live stream are 404', async () => {
      for (const path of ['timeline', 'conversations', 'timeline/live']) {
        expect((await get(`/tenants/${tenantA}/customers/${freshId('nobody')}/${path}`)).status).toBe(404);
      }
    });
  });

  it('conversations: one per channel, latest first', async () => {
    const { customerId } = await customerWith(tenantA, [
      { channel: 'sms', text: 'hi' },
      { channel: 'email', text: 'mail' },
      { channel: 'sms', text: 'again' },
    ]);
    const res = await get(`/tenants/${tenantA}/customers/${customerId}/conversations`);
    expect(res.body['conversations']).toEqual([
      expect.objectContaining({ channel: 'sms', threadId: null, count: 2, lastText: 'again' }),
      expect.objectContaining({ channel: 'email', threadId: null, count: 1, lastText: 'mail' }),
    ]);
  });
});

describe('instants', () => {
  it('asOf follows one rule on every endpoint: a date, or a date-time with a zone', async () => {
    const { customerId } = await customerWith(tenantA, [{ channel: 'sms' }]);
    for (const path of ['state', 'timeline']) {
      const noZone = await get(`/tenants/${tenantA}/customers/${customerId}/${path}?asOf=2025-03-01T10:00`);
      expect({ path, status: noZone.status }).toEqual({ path, status: 400 });
      expect(noZone.body).toEqual({ error: 'validation_failed', fields: [{ field: 'asOf', messages: [expect.stringContaining('zone')] }] });
      // Accepted (this customer exists only in the read model, so its state is a 404, not a 400).
      for (const ok of [new Date(Date.now() + 60_000).toISOString(), '2025-03-01', '2025-03-01T10:00:00+01:00']) {
        expect([
          path,
          ok,
          (await get(`/tenants/${tenantA}/customers/${customerId}/${path}?asOf=${encodeURIComponent(ok)}`)).status,
        ]).toEqual([path, ok, path === 'state' ? 404 : 200]);
      }
    }
  });
});

/** A canonical interaction, as the recorder takes it from Kafka. */
function interaction(tenantId: string, label: string, channel: ChannelId, identities: IdentityRef[]): InteractionReceived {
  const eventId = deterministicId('query-api-claims', tenantId, label);
  return {
    type: 'InteractionReceived',
    data: {
      direction: 'inbound',
      kind: 'message',
      identities,
      content: { text: label, media: [] },
      provider: { name: 'test', messageId: label },
    },
    metadata: {
      eventId,
      correlationId: eventId,
      causationId: eventId,
      occurredAt: '2026-12-07T10:00:00.000Z',
      recordedAt: '2026-12-07T10:00:00.000Z',
      schemaVersion: 1,
      tenantId,
      channel,
    },
  };
}

/** These customers' streams projected into the timeline, one customer after another, as the projector does. */
async function project(stores: CustomerStores, tenantId: string, customerIds: readonly string[]): Promise<void> {
  for (const customerId of customerIds) {
    const changes = (await stores.store.readStream(customerStream(tenantId, customerId)))
      .map((e) => ({ e, event: toCustomerEvent(e) }))
      .map(({ e, event }) => event && timelineChangeFor(tenantId, customerId, e.revision, event))
      .filter((c): c is TimelineChange => c !== undefined);
    await store.apply(changes);
  }
}

describe('where occurredAt came from, from the canonical event to the API', () => {
  it('is what the adapter said, kept by the recorder in the stream and by the projection in the entry', async () => {
    const stores = await createCustomerStores(pool, { identityNaming: TEST_IDENTITY_NAMING });
    const phone: IdentityRef = { kind: 'phone', value: `+1415557${String(2000 + phoneSeq++).padStart(4, '0')}` };
    const sms = interaction(tenantA, `sms-${randomUUID()}`, 'sms', [phone]);
    const email = interaction(tenantA, `email-${randomUUID()}`, 'email', [phone]);
    const recorded = await recordInteraction(
      stores,
      { ...sms, metadata: { ...sms.metadata, occurredAtSource: 'received' } },
      '2026-12-07T10:00:01.000Z',
    );
    await recordInteraction(
      stores,
      { ...email, metadata: { ...email.metadata, occurredAtSource: 'provider' } },
      '2026-12-07T10:00:02.000Z',
    );
    await project(stores, tenantA, [recorded.customerId]);

    const res = await get(`/tenants/${tenantA}/customers/${recorded.customerId}/timeline`);
    expect(
      (res.body['entries'] as { channel: string; occurredAtSource: unknown }[]).map((e) => [e.channel, e.occurredAtSource]).sort(),
    ).toEqual([
      ['email', 'provider'],
      ['sms', 'received'],
    ]);
  });
});

describe('who holds an identity, over HTTP', () => {
  it('answers with the customer whose claim the store holds, not one whose interaction merely named the identity', async () => {
    const stores = await createCustomerStores(pool, { identityNaming: TEST_IDENTITY_NAMING });
    const phone: IdentityRef = { kind: 'phone', value: '+14155557101' };
    const telegram: IdentityRef = { kind: 'handle', namespace: 'telegram', value: `tg${randomUUID().slice(0, 8)}` };
    // An SMS customer holds the phone; a Telegram user who wrote before then shares a contact card
    // with that phone: evidence only (a merge proposal), the phone stays with the SMS customer.
    const sms = await recordInteraction(stores, interaction(tenantA, `sms-${randomUUID()}`, 'sms', [phone]), '2026-12-07T10:00:01.000Z');
    await recordInteraction(stores, interaction(tenantA, `tg-${randomUUID()}`, 'telegram', [telegram]), '2026-12-07T10:00:02.000Z');
    const tg = await recordInteraction(
      stores,
      interaction(tenantA, `tg-${randomUUID()}`, 'telegram', [telegram, phone]),
      '2026-12-07T10:00:03.000Z',
    );
    expect(tg.merges.map((m) => m.outcome)).toEqual(['proposed']);
    expect(await stores.identities.ownerOf(tenantA, phone)).toBe(sms.customerId);
    await project(stores, tenantA, [sms.customerId, tg.customerId]);

    const byPhone = await get(`/tenants/${tenantA}/customers?identity=${encodeURIComponent(`phone:${phone.value}`)}`);
    expect(byPhone.body).toEqual(expect.objectContaining({ customerId: sms.customerId }));
    expect(byPhone.body['identities']).toEqual([phone]);
    const tgSummary = await get(`/tenants/${tenantA}/customers/${tg.customerId}`);
    expect(tgSummary.body['identities']).toEqual([telegram]);
    const search = await get(`/tenants/${tenantA}/customers?identity=${encodeURIComponent(`phone:${phone.value}`)}&channel=sms`);
    expect(
      (search.body['customers'] as { customerId: string; identities: IdentityRef[] }[]).map((c) => [c.customerId, c.identities]),
    ).toEqual([[sms.customerId, [phone]]]);
    expect(
      (await get(`/tenants/${tenantA}/customers?identity=${encodeURIComponent(`phone:${phone.value}`)}&channel=telegram`)).body,
    ).toEqual({ customers: [], next: null });
  });
});

describe('customer search over HTTP', () => {
  it("a national phone number is looked up with region=, or the tenant's default region; without either the 400 says what is missing", async () => {
    const stores = await createCustomerStores(pool, { identityNaming: TEST_IDENTITY_NAMING });
    const { customerId } = await recordInteraction(
      stores,
      interaction(tenantA, `sms-${randomUUID()}`, 'sms', [{ kind: 'phone', value: '+16505550123' }]),
      new Date().toISOString(),
    );
    await project(stores, tenantA, [customerId]);
    for (const national of ['(650) 555-0123', '650-555-0123']) {
      const refused = await get(`/tenants/${tenantA}/customers?identity=${encodeURIComponent(`phone:${national}`)}`);
      expect(refused.status).toBe(400);
      expect(JSON.stringify(refused.body)).toContain('needs region=');
      const found = await get(`/tenants/${tenantA}/customers?identity=${encodeURIComponent(`phone:${national}`)}&region=us`);
      expect({ status: found.status, customerId: found.body['customerId'] }).toEqual({ status: 200, customerId });
    }
    const wrongRegion = await get(`/tenants/${tenantA}/customers?identity=${encodeURIComponent('phone:(650) 555-0123')}&region=ZZ`);
    expect(wrongRegion.status).toBe(400);
    expect(JSON.stringify(wrongRegion.body)).toContain('region must be an ISO 3166-1 alpha-2 country code');

    const uk = await recordInteraction(
      stores,
      interaction(tenantB, `wa-${randomUUID()}`, 'whatsapp', [{ kind: 'phone', value: '+447400245698' }]),
      new Date().toISOString(),
    );
    await project(stores, tenantB, [uk.customerId]);
    const byDefault = await get(`/tenants/${tenantB}/customers?identity=${encodeURIComponent('phone:07400 245698')}`, auth(keyB));
    expect({ status: byDefault.status, customerId: byDefault.body['customerId'] }).toEqual({ status: 200, customerId: uk.customerId });
    // region= wins over the tenant's default: 07400 245698 is no US number.
    expect(
      (await get(`/tenants/${tenantB}/customers?identity=${encodeURIComponent('phone:07400 245698')}&region=US`, auth(keyB))).status,
    ).toBe(400);
  });

  it('QUERY_DEFAULT_REGIONS is validated at boot', async () => {
    const failure = await startQueryApi(env({ QUERY_DEFAULT_REGIONS: `${tenantA}:XX` })).then(
      async (started) => {
        await started.app.close();
        return undefined;
      },
      (err: unknown) => err,
    );
    expect(String(failure)).toContain('QUERY_DEFAULT_REGIONS');
  });

  it('identity alone finds the one customer; with other criteria it is a paged search', async () => {
    const phone = '+14155557001';
    const stores = await createCustomerStores(pool, { identityNaming: TEST_IDENTITY_NAMING });
    const { customerId } = await recordInteraction(
      stores,
      interaction(tenantA, `wa-${randomUUID()}`, 'whatsapp', [{ kind: 'phone', value: phone }]),
      new Date().toISOString(),
    );
    await project(stores, tenantA, [customerId]);
    const one = await get(`/tenants/${tenantA}/customers?identity=${encodeURIComponent('phone:+1 415 555 7001')}`);
    expect(one.status).toBe(200);
    expect(one.body).toEqual(expect.objectContaining({ customerId, revision: expect.any(String) }));
    expect((await get(`/tenants/${tenantA}/customers?identity=phone:%2B14155557999`)).status).toBe(404);

    const search = await get(`/tenants/${tenantA}/customers?identity=${encodeURIComponent(`phone:${phone}`)}&channel=whatsapp&limit=10`);
    expect(search.body).toEqual({
      customers: [expect.objectContaining({ customerId, channels: ['whatsapp'], preferredChannel: 'whatsapp', quadrant: 'unknown' })],
      next: null,
    });
    expect((await get(`/tenants/${tenantA}/customers?identity=${encodeURIComponent(`phone:${phone}`)}&channel=sms`)).body).toEqual({
      customers: [],
      next: null,
    });

    await pool.query(
      `update timeline_customers set quadrant = 'champion', preferred_channel = 'whatsapp' where tenant_id = $1 and customer_id = $2`,
      [tenantA, customerId],
    );
    expect(
      (
        (await get(`/tenants/${tenantA}/customers?quadrant=champion&preferredChannel=whatsapp`)).body['customers'] as {
          customerId: string;
        }[]
      ).map((c) => c.customerId),
    ).toEqual([customerId]);
  });

  it('finds a customer by an external id and by a handle, each in its namespace', async () => {
    const crmId = `0035g${randomUUID()}`;
    const telegramId = String(1_000_000 + Math.floor(Math.random() * 1_000_000_000));
    const stores = await createCustomerStores(pool, { identityNaming: TEST_IDENTITY_NAMING });
    const identities: IdentityRef[] = [
      { kind: 'external', namespace: 'salesforce', value: crmId },
      { kind: 'handle', namespace: 'telegram', value: telegramId },
    ];
    const { customerId } = await recordInteraction(
      stores,
      interaction(tenantA, `tg-${randomUUID()}`, 'telegram', identities),
      new Date().toISOString(),
    );
    await project(stores, tenantA, [customerId]);
    const lookup = async (identity: string) => get(`/tenants/${tenantA}/customers?identity=${encodeURIComponent(identity)}`);

    for (const identity of [`external:salesforce:${crmId}`, `external:Salesforce: ${crmId}`, `handle:telegram:${telegramId}`]) {
      const found = await lookup(identity);
      expect({ identity, status: found.status }).toEqual({ identity, status: 200 });
      expect(found.body).toEqual(expect.objectContaining({ customerId }));
    }
    // The namespace is part of the identity: the same id in another system is someone else.
    expect((await lookup(`external:hubspot:${crmId}`)).status).toBe(404);
    expect((await lookup(`handle:instagram:${telegramId}`)).status).toBe(404);
    // Without a namespace the refusal says what the parameter looks like.
    const bare = await lookup(`external:${crmId}`);
    expect(bare.status).toBe(400);
    expect(JSON.stringify(bare.body)).toContain('external:<system>:<id>');
  });

  it('lists of channels and quadrants match any of them; a mistyped value is a 400 naming the allowed ones', async () => {
    const sms = await customerWith(tenantA, [{ channel: 'sms' }]);
    const mail = await customerWith(tenantA, [{ channel: 'email' }]);
    const ids = async (q: string) =>
      ((await get(`/tenants/${tenantA}/customers?${q}&limit=200`)).body['customers'] as { customerId: string }[]).map((c) => c.customerId);
    const both = await ids('channel=sms,email');
    expect(both).toEqual(expect.arrayContaining([sms.customerId, mail.customerId]));
    expect(await ids('channel=email')).not.toContain(sms.customerId);
    expect(await ids('quadrant=unknown,at_risk')).toEqual(expect.arrayContaining([sms.customerId, mail.customerId]));
    expect(await ids('quadrant=champion')).not.toContain(sms.customerId);

    for (const [q, field, allowed] of [
      ['channel=text', 'channel', 'sms, telegram'],
      ['quadrant=churn', 'quadrant', 'champion, at_risk, low_value_happy, low_value_unhappy, unknown'],
      ['preferredChannel=fax', 'preferredChannel', 'sms, telegram'],
    ] as const) {
      const res = await get(`/tenants/${tenantA}/customers?${q}`);
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ error: 'validation_failed', fields: [{ field, messages: [expect.stringContaining(allowed)] }] });
    }
    const timeline = await get(`/tenants/${tenantA}/customers/${sms.customerId}/timeline?channel=text`);
    expect(timeline.status).toBe(400);
    expect(JSON.stringify(timeline.body)).toContain('each channel must be one of sms');
  });

  it('the whole list pages with next, each customer once', async () => {
    await customerWith(tenantA, [{}]);
    await customerWith(tenantA, [{}]);
    const seen: string[] = [];
    let next: string | null = null;
    do {
      const res = await get(`/tenants/${tenantA}/customers?limit=2${next ? `&cursor=${next}` : ''}`);
      seen.push(...(res.body['customers'] as { customerId: string }[]).map((c) => c.customerId));
      next = res.body['next'] as string | null;
    } while (next);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.length).toBeGreaterThanOrEqual(2);
  });
});

describe('free-text search over HTTP', () => {
  // Sorted: customers created in the same millisecond would list in customer-id order.
  const ids = (res: { body: Record<string, unknown> }) =>
    (res.body['customers'] as { customerId: string }[]).map((c) => c.customerId).sort();
  const texts = (res: { body: Record<string, unknown> }) => (res.body['entries'] as { text: string }[]).map((e) => e.text);

  it('q finds the customers whose timeline holds the words, in any of the languages, combined with channel, and the matching entries of a timeline', async () => {
    const tag = `t${randomBytes(4).toString('hex')}`;
    const arabic = await customerWith(tenantA, [
      { channel: 'whatsapp', text: `أريد استرداد المبلغ ${tag}` },
      { channel: 'sms', text: 'شكرا' },
    ]);
    const persian = await customerWith(tenantA, [{ channel: 'telegram', text: `می‌خواهم سفارشم را لغو کنم ${tag}` }]);
    const english = await customerWith(tenantA, [
      { channel: 'email', text: `Refund my broken headphones ${tag}` },
      { channel: 'sms', text: `refunds take too long ${tag}` },
    ]);

    expect(ids(await get(`/tenants/${tenantA}/customers?q=${tag}`))).toEqual(
      [arabic.customerId, persian.customerId, english.customerId].sort(),
    );
    expect(ids(await get(`/tenants/${tenantA}/customers?q=${encodeURIComponent(`مبلغ ${tag}`)}`))).toEqual([arabic.customerId]);
    expect(ids(await get(`/tenants/${tenantA}/customers?q=${encodeURIComponent(`لغو ${tag}`)}`))).toEqual([persian.customerId]);
    expect(ids(await get(`/tenants/${tenantA}/customers?q=${tag}&channel=email,telegram`))).toEqual(
      [persian.customerId, english.customerId].sort(),
    );
    expect(ids(await get(`/tenants/${tenantA}/customers?q=${encodeURIComponent(`banana ${tag}`)}`))).toEqual([]);
    const first = await get(`/tenants/${tenantA}/customers?q=${tag}&limit=2`);
    const second = await get(`/tenants/${tenantA}/customers?q=${tag}&limit=2&cursor=${first.body['next'] as string}`);
    expect([...ids(first), ...ids(second)].sort()).toEqual([arabic.customerId, persian.customerId, english.customerId].sort());

    expect(texts(await get(`/tenants/${tenantA}/customers/${english.customerId}/timeline?q=refund`))).toEqual([
      `Refund my broken headphones ${tag}`,
      `refunds take too long ${tag}`,
    ]);
    expect(texts(await get(`/tenants/${tenantA}/customers/${english.customerId}/timeline?q=refund&channel=sms`))).toEqual([
      `refunds take too long ${tag}`,
    ]);
    expect(
      texts(await get(`/tenants/${tenantA}/customers/${english.customerId}/timeline?q=${encodeURIComponent('"broken headphones"')}`)),
    ).toEqual([`Refund my broken headphones ${tag}`]);
  });

  it('an erased customer is found no more', async () => {
    const tag = `t${randomBytes(4).toString('hex')}`;
    const erased = await customerWith(tenantA, [{ text: `my home address is 12 Baker Street ${tag}` }]);
    expect(ids(await get(`/tenants/${tenantA}/customers?q=${tag}`))).toEqual([erased.customerId]);
    await store.purgeCustomer(tenantA, erased.customerId);
    expect(ids(await get(`/tenants/${tenantA}/customers?q=${tag}`))).toEqual([]);
    expect(ids(await get(`/tenants/${tenantA}/customers?q=baker+street+${tag}`))).toEqual([]);
  });

  it('q must be 1…200 characters with a word in it: otherwise a 400 in the hub format', async () => {
    const { customerId } = await customerWith(tenantA, [{}]);
    for (const path of [`/tenants/${tenantA}/customers`, `/tenants/${tenantA}/customers/${customerId}/timeline`]) {
      for (const [q, message] of [
        ['', 'q must be 1…200 characters'],
        ['x'.repeat(201), 'q must be 1…200 characters'],
        ['%22-%22', 'q must contain a word'],
      ] as const) {
        const res = await get(`${path}?q=${q}`);
        expect(res.status).toBe(400);
        expect(res.body).toEqual({
          error: 'validation_failed',
          fields: [{ field: 'q', messages: expect.arrayContaining([expect.stringContaining(message)]) }],
        });
      }
    }
  });
});

describe('customer value, satisfaction, quadrant and entry details over HTTP', () => {
  /** An order and a survey answer of the customer, as the projector applies the derived events. */
  async function facts(tenantId: string, customerId: string, orderAmount: number, csat: number): Promise<void> {
    const meta = () => {
      const eventId = randomUUID();
      return {
        eventId,
        correlationId: eventId,
        causationId: eventId,
        occurredAt: '2025-04-02T10:00:00.000Z',
        recordedAt: '2025-04-02T10:00:00.000Z',
        schemaVersion: 1,
        tenantId,
        channel: 'system' as const,
      };
    };
    await store.apply([
      {
        kind: 'fact',
        tenantId,
        customerId,
        streamRevision: '10',
        fact: { type: 'OrderPlaced', data: { orderId: randomUUID(), amount: orderAmount, currency: 'EUR' }, metadata: meta() },
      },
      {
        kind: 'fact',
        tenantId,
        customerId,
        streamRevision: '11',
        fact: { type: 'SurveyAnswered', data: { survey: 'csat', score: csat }, metadata: meta() },
      },
    ]);
  }

  it('when customers ordered and answered surveys, then the summary and the listing carry value and satisfaction, and customers filter by quadrant', async () => {
    const champion = await customerWith(tenantA, [{}]);
    const atRisk = await customerWith(tenantA, [{}]);
    await facts(tenantA, champion.customerId, 80_000, 5);
    await facts(tenantA, atRisk.customerId, 80_000, 1);

    const summary = await get(`/tenants/${tenantA}/customers/${champion.customerId}`);
    expect(summary.status).toBe(200);
    expect(summary.body).toEqual(
      expect.objectContaining({
        quadrant: 'champion',
        value: expect.objectContaining({ orders: 1, revenue: { EUR: { gross: 80_000, refunded: 0, net: 80_000 } } }),
        satisfaction: expect.objectContaining({ csat: expect.objectContaining({ score: 5 }) }),
      }),
    );
    // Value net of the cost to serve, under the current catalog's table (USD: the EUR order is not counted against it).
    const profitability = summary.body['profitability'] as { currency: string; revenue: number; costToServe: number; profit: number };
    expect(profitability).toEqual(expect.objectContaining({ currency: 'USD', revenue: 0 }));
    expect(profitability.costToServe).toBeGreaterThanOrEqual(0);
    expect(profitability.profit).toBe(profitability.revenue - profitability.costToServe);
    const listed = async (q: string) =>
      ((await get(`/tenants/${tenantA}/customers?${q}`)).body['customers'] as { customerId: string }[]).map((c) => c.customerId);
    expect(await listed('quadrant=champion&limit=500')).toContain(champion.customerId);
    expect(await listed('quadrant=champion&limit=500')).not.toContain(atRisk.customerId);
    expect(await listed('quadrant=at_risk&limit=500')).toContain(atRisk.customerId);
    // Another tenant's key sees none of it.
    expect((await get(`/tenants/${tenantA}/customers?quadrant=champion`, auth(keyB))).status).toBe(404);
  });

  it('when an entry has a facet, then the timeline and the export carry it as details, and filter by kind', async () => {
    const { customerId } = await customerWith(tenantA, [{ text: 'hello' }]);
    const order = { orderId: 'o-77', action: 'refunded' as const, amount: 1_250, currency: 'GBP', refundId: 'r-1' };
    const eventId = randomUUID();
    await store.apply([
      {
        kind: 'entry',
        identities: [],
        entry: {
          tenantId: tenantA,
          customerId,
          eventId,
          streamRevision: '5',
          occurredAt: new Date().toISOString(),
          recordedAt: new Date().toISOString(),
          channel: 'commerce',
          direction: 'inbound',
          kind: 'order',
          text: null,
          media: [],
          provider: { name: 'shopify', messageId: 'o-77/r-1' },
          details: { order },
        },
      },
    ]);
    const orders = await get(`/tenants/${tenantA}/customers/${customerId}/timeline?kind=order`);
    expect(orders.body['entries']).toEqual([expect.objectContaining({ eventId, kind: 'order', details: { order } })]);
    const all = await get(`/tenants/${tenantA}/customers/${customerId}/timeline`);
    expect((all.body['entries'] as { details: unknown }[]).map((e) => e.details)).toEqual([null, { order }]);
    const exported = await fetch(`${url}/tenants/${tenantA}/exports/timelines?format=ndjson&customerIds=${customerId}&kind=order`, {
      headers: auth(),
    });
    expect(JSON.parse((await exported.text()).trim())).toEqual(expect.objectContaining({ eventId, details: { order } }));
  });
});

describe("analysts' counts and contact patterns over HTTP", () => {
  it('stats: entries and distinct customers per channel, day and quadrant, in a window on occurred time', async () => {
    // A window of 2020 no other test writes in.
    const at = (day: number, hour: number) => `2020-02-0${day}T${String(hour).padStart(2, '0')}:00:00.000Z`;
    const a = await customerWith(tenantB, [
      { channel: 'sms', occurredAt: at(1, 9) },
      { channel: 'sms', occurredAt: at(1, 10) },
      { channel: 'email', occurredAt: at(2, 9) },
    ]);
    await customerWith(tenantB, [{ channel: 'sms', occurredAt: at(2, 11), direction: 'outbound' }]);
    await pool.query(`update timeline_customers set quadrant = 'champion' where tenant_id = $1 and customer_id = $2`, [
      tenantB,
      a.customerId,
    ]);
    const stats = async (q: string) => {
      const res = await get(`/tenants/${tenantB}/stats?from=2020-02-01&to=2020-02-03&${q}`, auth(keyB));
      expect(res.status).toBe(200);
      return res.body['rows'];
    };
    expect(await stats('by=channel')).toEqual([
      { key: 'email', entries: 1, customers: 1 },
      { key: 'sms', entries: 3, customers: 2 },
    ]);
    expect(await stats('by=day')).toEqual([
      { key: '2020-02-01', entries: 2, customers: 1 },
      { key: '2020-02-02', entries: 2, customers: 2 },
    ]);
    expect(await stats('by=quadrant')).toEqual([
      { key: 'champion', entries: 3, customers: 1 },
      { key: 'unknown', entries: 1, customers: 1 },
    ]);
    expect(await stats('by=channel&direction=inbound')).toEqual([
      { key: 'email', entries: 1, customers: 1 },
      { key: 'sms', entries: 2, customers: 1 },
    ]);
    const bad = await get(`/tenants/${tenantB}/stats?by=week`, auth(keyB));
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('by must be one of channel, day');
  });

  it('customers with 3+ inbound contacts on 2+ channels in the last 7 days', async () => {
    const hour = 3_600_000;
    const ago = (h: number) => new Date(Date.now() - h * hour).toISOString();
    const busy = await customerWith(tenantA, [
      { channel: 'sms', occurredAt: ago(2) },
      { channel: 'email', occurredAt: ago(30) },
      { channel: 'sms', occurredAt: ago(50) },
    ]);
    const oneChannel = await customerWith(tenantA, [
      { channel: 'sms', occurredAt: ago(1) },
      { channel: 'sms', occurredAt: ago(2) },
      { channel: 'sms', occurredAt: ago(3) },
    ]);
    const tooOld = await customerWith(tenantA, [
      { channel: 'sms', occurredAt: ago(1) },
      { channel: 'email', occurredAt: ago(2) },
      { channel: 'sms', occurredAt: ago(10 * 24) },
    ]);
    const outbound = await customerWith(tenantA, [
      { channel: 'sms', occurredAt: ago(1) },
      { channel: 'email', occurredAt: ago(2) },
      { channel: 'sms', occurredAt: ago(3), direction: 'outbound' },
    ]);
    const ids = async (q: string) => {
      const found: string[] = [];
      let next: string | null = null;
      do {
        const res = await get(`/tenants/${tenantA}/customers?${q}&limit=100${next ? `&cursor=${next}` : ''}`);
        expect(res.status).toBe(200);
        found.push(...(res.body['customers'] as { customerId: string }[]).map((c) => c.customerId));
        next = res.body['next'] as string | null;
      } while (next);
      return found;
    };
    const pattern = await ids('minContacts=3&minChannels=2&withinDays=7');
    expect(pattern).toContain(busy.customerId);
    for (const c of [oneChannel, tooOld, outbound]) expect(pattern).not.toContain(c.customerId);
    expect(await ids('minContacts=3')).toEqual(expect.arrayContaining([busy.customerId, oneChannel.customerId]));
    expect((await get(`/tenants/${tenantA}/customers?minContacts=0`)).status).toBe(400);
  });
});

describe('exports over HTTP', () => {
  describe('when a segment is exported', () => {
    it('then it streams the timelines of the customers in it, without listing their ids', async () => {
      // Entries in a window of 2019 no other test writes in, so the segment's rows are exactly these.
      const on = (minute: number) => `2019-05-01T10:0${minute}:00.000Z`;
      const champion = await customerWith(tenantB, [
        { channel: 'sms', text: 'c1', occurredAt: on(1) },
        { channel: 'sms', text: 'c2', occurredAt: on(2) },
      ]);
      const atRisk = await customerWith(tenantB, [{ channel: 'email', text: 'r1', occurredAt: on(3) }]);
      const none = await customerWith(tenantB, [{ channel: 'whatsapp', text: 'n1', occurredAt: on(4) }]);
      await pool.query(
        `update timeline_customers set quadrant = 'champion', preferred_channel = 'sms' where tenant_id = $1 and customer_id = $2`,
        [tenantB, champion.customerId],
      );
      await pool.query(
        `update timeline_customers set quadrant = 'at_risk', preferred_channel = 'email' where tenant_id = $1 and customer_id = $2`,
        [tenantB, atRisk.customerId],
      );
      const exported = async (q: string) => {
        const res = await fetch(`${url}/tenants/${tenantB}/exports/timelines?format=ndjson&from=2019-05-01&to=2019-05-02&${q}`, {
          headers: auth(keyB),
        });
        expect(res.status).toBe(200);
        return (await res.text())
          .trimEnd()
          .split('\n')
          .filter(Boolean)
          .map((l) => (JSON.parse(l) as { customerId: string; text: string }).text)
          .sort();
      };
      expect(await exported('quadrant=champion')).toEqual(['c1', 'c2']);
      expect(await exported('quadrant=champion,at_risk')).toEqual(['c1', 'c2', 'r1']);
      expect(await exported('quadrant=unknown')).toEqual(['n1']);
      expect(await exported('preferredChannel=email')).toEqual(['r1']);
      expect(await exported('quadrant=champion&channel=email')).toEqual([]);
      expect((await fetch(`${url}/tenants/${tenantB}/exports/timelines?quadrant=vip`, { headers: auth(keyB) })).status).toBe(400);
      const withBom = await fetch(
        `${url}/tenants/${tenantB}/exports/timelines?format=csv&bom=true&from=2019-05-01&to=2019-05-02&quadrant=champion`,
        { headers: auth(keyB) },
      );
      const bytes = Buffer.from(await withBom.arrayBuffer());
      expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
      expect(bytes.subarray(3).toString('utf8').startsWith('eventId,')).toBe(true);
      expect(none.customerId).toBeDefined();
    });
  });

  describe('when a customer with more entries than one read page is exported', () => {
    it('then NDJSON streams (chunked, no length) every entry once, in time order', async () => {
      const { customerId, eventIds } = await customerWith(
        tenantA,
        Array.from({ length: 2_345 }, (_, n) => ({ text: `bulk ${n}` })),
      );
      const res = await fetch(`${url}/tenants/${tenantA}/exports/timelines?format=ndjson&customerIds=${customerId}`, { headers: auth() });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/x-ndjson; charset=utf-8');
      expect(res.headers.get('content-length')).toBeNull();
      expect(res.headers.get('transfer-encoding')).toBe('chunked');
      expect(res.headers.get('content-disposition')).toMatch(
        new RegExp(`^attachment; filename="timelines-${tenantA}-\\d{8}T\\d{6}Z\\.ndjson"$`),
      );
      const rows = (await res.text())
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l) as { eventId: string; timelineCustomerId: string });
      expect(rows.map((r) => r.eventId)).toEqual(eventIds);
      expect(new Set(rows.map((r) => r.timelineCustomerId))).toEqual(new Set([customerId]));
    });
  });

  describe('when a client stops reading part-way', () => {
    it('then the server stops and keeps serving', async () => {
      const abort = new AbortController();
      const res = await fetch(`${url}/tenants/${tenantA}/exports/timelines?format=csv`, { headers: auth(), signal: abort.signal });
      const reader = res.body!.getReader();
      await reader.read();
      abort.abort();
      await reader.read().catch(() => undefined);
      expect((await get('/health', {})).status).toBe(200);
      expect((await get(`/tenants/${tenantA}/customers?limit=1`)).status).toBe(200);
    });
  });

  describe('when CSV is asked for', () => {
    it('then text with quotes, commas, line breaks and formulas comes back safely quoted', async () => {
      const { customerId, eventIds } = await customerWith(tenantA, [
        { text: '=HYPERLINK("http://x","y")' },
        { text: 'a, "b"\nc' },
        { text: null },
      ]);
      const res = await fetch(`${url}/tenants/${tenantA}/exports/timelines?format=csv&customerIds=${customerId}`, { headers: auth() });
      expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8; header=present');
      const body = await res.text();
      const lines = body.split('\r\n');
      expect(lines[0]!.split(',')[0]).toBe('eventId');
      expect(body).toContain(`${eventIds[0]},${customerId},${customerId},`);
      expect(body).toContain(`"'=HYPERLINK(""http://x"",""y"")"`);
      expect(body).toContain('"a, ""b""\nc"');
    });
  });

  describe('when a requested customer does not exist in the tenant', () => {
    it('then 404 names it, before anything is streamed; bad parameters are 400', async () => {
      const { customerId } = await customerWith(tenantA, [{}]);
      const missing = freshId('nobody');
      const res = await get(`/tenants/${tenantA}/exports/timelines?customerIds=${customerId},${missing}`);
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ error: 'not_found', reason: 'unknown customer', customerIds: [missing] });
      const bad = await get(`/tenants/${tenantA}/exports/timelines?format=xml&from=later`);
      expect(bad.status).toBe(400);
      expect((bad.body['fields'] as { field: string }[]).map((f) => f.field).sort()).toEqual(['format', 'from']);
    });
  });
});

describe('live timelines over HTTP', () => {
  describe('when a new entry is projected for the customer', () => {
    it('then it arrives as event: entry with its event id, and nothing from before the stream opened', async () => {
      const { customerId, eventIds: before } = await customerWith(tenantA, [{ text: 'old' }]);
      const stream = await openStream(`/tenants/${tenantA}/customers/${customerId}/timeline/live`);
      expect(stream.status).toBe(200);
      expect(stream.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
      expect(stream.headers.get('cache-control')).toBe('no-cache, no-transform');

      const [fresh] = await addEntries(tenantA, customerId, [{ text: 'new' }]);
      await notify(tenantA, customerId);
      const frame = await stream.until(() => stream.entries()[0], 'live entry');
      expect(frame.id).toBe(fresh);
      expect(JSON.parse(frame.data!)).toEqual(expect.objectContaining({ eventId: fresh, customerId, text: 'new', channel: 'sms' }));
      expect(stream.entries().map((f) => f.id)).not.toContain(before[0]);
      await stream.close();
    });
  });

  describe('when an entry recorded before the stream opened becomes visible only after it (projector lag)', () => {
    it('then it arrives: a stream sends what becomes visible, not what was recorded after the clock read', async () => {
      const { customerId, eventIds: before } = await customerWith(tenantA, [{ text: 'already visible' }]);
      const stream = await openStream(`/tenants/${tenantA}/customers/${customerId}/timeline/live`);
      const recordedAt = new Date(Date.now() - 5_000).toISOString();
      const [late] = await addEntries(
        tenantA,
        customerId,
        [{ text: 'projected late', recordedAt, occurredAt: recordedAt }],
        Date.now(),
        '+14155550998',
      );
      await notify(tenantA, customerId);
      const frame = await stream.until(() => stream.entries()[0], 'late entry');
      expect(frame.id).toBe(late);
      expect(stream.entries().map((f) => f.id)).not.toContain(before[0]);
      await stream.close();
    });
  });

  describe('when a client reconnects with Last-Event-ID', () => {
    it('then it gets what was recorded after that entry, once, in recorded order', async () => {
      const { customerId } = await customerWith(tenantA, [{}]);
      const first = await openStream(`/tenants/${tenantA}/customers/${customerId}/timeline/live`);
      const [e1] = await addEntries(tenantA, customerId, [{ text: 'one' }]);
      await notify(tenantA, customerId);
      await first.until(() => first.entries()[0], 'first entry');
      await first.close();

      const missed = await addEntries(tenantA, customerId, [{ text: 'two' }, { text: 'three' }]);
      const resumed = await openStream(`/tenants/${tenantA}/customers/${customerId}/timeline/live`, { ...auth(), 'last-event-id': e1! });
      await resumed.until(() => (resumed.entries().length >= 2 ? true : undefined), 'missed entries');
      const [e4] = await addEntries(tenantA, customerId, [{ text: 'four' }]);
      await notify(tenantA, customerId);
      await resumed.until(() => (resumed.entries().length >= 3 ? true : undefined), 'new entry after resume');
      expect(resumed.entries().map((f) => f.id)).toEqual([...missed, e4]);
      await resumed.close();
    });
  });

  describe('when another customer is merged into the streamed one', () => {
    it("then the merged customer's new entries arrive on the survivor's stream", async () => {
      const survivor = await customerWith(tenantA, [{}]);
      const merged = await customerWith(tenantA, [{}]);
      const stream = await openStream(`/tenants/${tenantA}/customers/${survivor.customerId}/timeline/live`);
      await store.merge(tenantA, merged.customerId, survivor.customerId);
      await notify(tenantA, survivor.customerId);
      // The stream listens to the merged customer once it has read after the merge.
      const notifications = app.get<TimelineNotifications>(TIMELINE_NOTIFICATIONS);
      await eventually(async () => ((await pool.query('select 1')) && notifications.subscriptions >= 2 ? true : undefined), {
        what: 'listening to the merged customer',
      });
      const [e] = await addEntries(tenantA, merged.customerId, [{ text: 'from the merged number' }]);
      await notify(tenantA, merged.customerId);
      const frame = await stream.until(() => stream.entries()[0], 'merged entry');
      expect(frame.id).toBe(e);
      expect(JSON.parse(frame.data!)).toEqual(expect.objectContaining({ customerId: merged.customerId }));
      await stream.close();
    });
  });

  describe('when clients disconnect', () => {
    it('then their subscriptions are released', async () => {
      const notifications = app.get<TimelineNotifications>(TIMELINE_NOTIFICATIONS);
      await eventually(async () => (notifications.subscriptions === 0 ? true : undefined), { what: 'no stream left from earlier tests' });
      const { customerId } = await customerWith(tenantA, [{}]);
      const streams = await Promise.all([1, 2, 3].map(() => openStream(`/tenants/${tenantA}/customers/${customerId}/timeline/live`)));
      expect(notifications.subscriptions).toBe(3);
      await Promise.all(streams.map((s) => s.close()));
      await eventually(async () => (notifications.subscriptions === 0 ? true : undefined), { what: 'subscriptions released' });
    });
  });

  describe('when a NOTIFY is lost', () => {
    it('then the heartbeat comment comes, and its read still delivers the entry', async () => {
      const fast = await startQueryApi(env({ QUERY_LIVE_HEARTBEAT_MS: '1000' }));
      let closed = false;
      try {
        const { customerId } = await customerWith(tenantA, [{}]);
        const res = await fetch(`${fast.url}/tenants/${tenantA}/customers/${customerId}/timeline/live`, { headers: auth() });
        const reader = res.body!.getReader();
        const decoder = new TextDecoder();
        // Written without the store (which notifies): as if the notification had been lost.
        const eventId = randomUUID();
        const now = new Date().toISOString();
        await pool.query(
          `insert into timeline_entries (event_id, tenant_id, customer_id, stream_revision, occurred_at, recorded_at, channel, direction, kind, text, media, provider)
           values ($1, $2, $3, 99, $4, $4, 'sms', 'inbound', 'message', 'quiet', '[]', '{"name":"twilio","messageId":"SMq"}')`,
          [eventId, tenantA, customerId, now],
        );
        let text = '';
        const started = Date.now();
        while (!(text.includes(': heartbeat') && text.includes(`id: ${eventId}`)) && Date.now() - started < 5_000) {
          text += decoder.decode((await reader.read()).value, { stream: true });
        }
        expect(text).toContain(': heartbeat');
        expect(text).toContain(`event: entry\nid: ${eventId}\n`);
        // Shutting down ends open streams (the client sees the end of the body) instead of waiting for
        // them: left open, this stream would hold close() until the client hung up, which it never does.
        const closing = Date.now();
        await fast.app.close();
        closed = true;
        expect(Date.now() - closing).toBeLessThan(15_000);
        for (let r = await reader.read(); !r.done; r = await reader.read());
      } finally {
        if (!closed) await fast.app.close();
      }
    });
  });
});

describe('a customer others were merged into, over HTTP', () => {
  describe('when an order carrying the email and the phone merged the phone customer into the email customer', () => {
    it('then the survivor’s state and summary are the whole customer’s, now and from the merge on, and not before it', async () => {
      const stores = await createCustomerStores(pool, { identityNaming: TEST_IDENTITY_NAMING });
      const deps = { customers: stores.customers, identities: stores.identities };
      const email = { kind: 'email' as const, value: `${freshId('dana')}@example.com` };
      const phone = { kind: 'phone' as const, value: `+1415557${String(1000 + phoneSeq++).padStart(4, '0')}` };
      const base = Date.now() - 60_000;
      const interaction = (
        n: number,
        channel: ChannelId,
        identities: IdentityRef[],
        extra: Partial<InteractionReceived['data']> = {},
      ): InteractionReceived => {
        const eventId = randomUUID();
        const at = new Date(base + n * 1000).toISOString();
        return {
          type: 'InteractionReceived',
          data: {
            direction: 'inbound',
            kind: 'message',
            identities,
            content: { text: `#${n}`, media: [] },
            provider: { name: 'test', messageId: eventId },
            ...extra,
          },
          metadata: {
            eventId,
            correlationId: eventId,
            causationId: eventId,
            occurredAt: at,
            recordedAt: at,
            schemaVersion: 1,
            tenantId: tenantA,
            channel,
          },
        };
      };
      const sent = [
        interaction(0, 'email', [email]),
        interaction(1, 'email', [email]),
        interaction(2, 'sms', [phone]),
        interaction(3, 'sms', [phone]),
        interaction(4, 'whatsapp', [phone]),
        interaction(5, 'commerce', [email, phone], {
          kind: 'order',
          order: { orderId: 'o-1', action: 'created', amount: 4200, currency: 'EUR' },
        }),
      ];
      const recorded = [];
      for (const i of sent) recorded.push(await recordInteraction(deps, i, i.metadata.recordedAt));
      const survivorId = recorded[0]!.customerId;
      const mergedId = recorded[2]!.customerId;
      expect(recorded[5]!.merges.map((m) => m.outcome)).toEqual(['merged']);
      // The timeline read model as the projector makes it from both streams.
      for (const id of [survivorId, mergedId]) {
        const { recorded: stream, events } = await stores.customers.history(tenantA, id);
        await store.apply(
          events.map((e, n) => timelineChangeFor(tenantA, id, stream[n]!.revision, e)).filter((c): c is TimelineChange => c !== undefined),
        );
      }

      const state = await get(`/tenants/${tenantA}/customers/${survivorId}/state`);
      expect(state.status).toBe(200);
      expect(state.body['state']).toMatchObject({ engagement: { total: 6 }, preferredChannel: 'sms', mergedFrom: [mergedId] });
      const summary = await get(`/tenants/${tenantA}/customers/${survivorId}`);
      expect(summary.body).toMatchObject({
        interactions: 6,
        channels: ['commerce', 'email', 'sms', 'whatsapp'],
        preferredChannel: 'sms',
        state: { engagement: { total: 6 } },
      });
      const mergedAt = (await stores.customers.history(tenantA, survivorId)).recorded.find((e) => e.type === 'CustomersMerged')!.revision;
      expect((await get(`/tenants/${tenantA}/customers/${survivorId}/state?revision=${mergedAt}`)).body['state']).toMatchObject({
        engagement: { total: 6 },
      });
      expect((await get(`/tenants/${tenantA}/customers/${survivorId}/state?revision=${mergedAt - 1n}`)).body['state']).toMatchObject({
        engagement: { total: 3 },
      });
    });
  });
});

describe('the churn-risk segment over HTTP', () => {
  // Entries in March 2018, a window no other test writes in.
  const march = (day: number) => `2018-03-${String(day).padStart(2, '0')}T10:00:00.000Z`;
  /** A customer with these entries, some inbound ones carrying text signals, projected through the store. */
  async function customerSaying(entries: { day: number; direction?: 'inbound' | 'outbound'; signals?: string[] }[]): Promise<string> {
    const customerId = freshId('churn');
    const phone = `+1415558${String(1000 + phoneSeq++).padStart(4, '0')}`;
    await store.apply([
      { kind: 'customer', tenantId: tenantA, customerId, identity: { kind: 'phone', value: phone }, at: march(1) },
      ...entries.map(
        ({ day, direction = 'inbound', signals }, n): TimelineChange => ({
          kind: 'entry',
          identities: [{ kind: 'phone', value: phone }],
          entry: {
            tenantId: tenantA,
            customerId,
            eventId: randomUUID(),
            streamRevision: String(n + 1),
            occurredAt: march(day),
            recordedAt: march(day),
            channel: 'sms',
            direction,
            kind: 'message',
            text: `churn ${n}`,
            media: [],
            provider: { name: 'twilio', messageId: randomUUID() },
            ...(signals ? { textSignals: signals } : {}),
          },
        }),
      ),
    ]);
    return customerId;
  }

  it('when customers asked to cancel, went silent or are unknown, then search, export and stats filter and count by churn risk; a mistyped level is a 400', async () => {
    // Asked to cancel (in their latest contact): high. Wrote weekly, then nothing since 2018: gone silent, medium. Only written to: unknown.
    const leaving = await customerSaying([{ day: 2 }, { day: 3, signals: ['refund_cancel', 'urgency'] }]);
    const silent = await customerSaying([{ day: 1 }, { day: 8 }, { day: 15 }, { day: 22 }]);
    const unknown = await customerSaying([{ day: 5, direction: 'outbound' }]);

    const summary = await get(`/tenants/${tenantA}/customers/${leaving}`);
    expect(summary.body['churnRisk']).toEqual({ level: 'high', reasons: ['stated_cancellation'] });
    expect((await get(`/tenants/${tenantA}/customers/${silent}`)).body['churnRisk']).toEqual({ level: 'medium', reasons: ['gone_silent'] });

    const listed = async (q: string) => {
      const res = await get(`/tenants/${tenantA}/customers?${q}&limit=500`);
      expect(res.status).toBe(200);
      return new Map((res.body['customers'] as { customerId: string; churnRisk: unknown }[]).map((c) => [c.customerId, c.churnRisk]));
    };
    const high = await listed('churnRisk=high');
    expect(high.get(leaving)).toEqual({ level: 'high', reasons: ['stated_cancellation'] });
    expect([high.has(silent), high.has(unknown)]).toEqual([false, false]);
    const highOrMedium = await listed('churnRisk=high,medium');
    expect([highOrMedium.has(leaving), highOrMedium.has(silent), highOrMedium.has(unknown)]).toEqual([true, true, false]);
    expect((await listed('churnRisk=unknown')).get(unknown)).toEqual({ level: 'unknown', reasons: [] });
    expect((await listed('churnRisk=low')).has(silent)).toBe(false);

    const exported = async (q: string) => {
      const res = await fetch(`${url}/tenants/${tenantA}/exports/timelines?format=ndjson&from=2018-03-01&to=2018-04-01&${q}`, {
        headers: auth(),
      });
      expect(res.status).toBe(200);
      return [
        ...new Set(
          (await res.text())
            .trimEnd()
            .split('\n')
            .filter(Boolean)
            .map((l) => (JSON.parse(l) as { customerId: string }).customerId),
        ),
      ].sort();
    };
    expect(await exported('churnRisk=high')).toEqual([leaving]);
    expect(await exported('churnRisk=high,medium')).toEqual([leaving, silent].sort());

    const stats = await get(`/tenants/${tenantA}/stats?by=churnRisk&from=2018-03-01&to=2018-04-01`);
    expect(stats.body['rows']).toEqual([
      { key: 'high', entries: 2, customers: 1 },
      { key: 'medium', entries: 4, customers: 1 },
      { key: 'unknown', entries: 1, customers: 1 },
    ]);

    for (const path of [
      `/tenants/${tenantA}/customers?churnRisk=critical`,
      `/tenants/${tenantA}/customers?churnRisk=high,churned`,
      `/tenants/${tenantA}/exports/timelines?churnRisk=vip`,
    ]) {
      const res = await get(path);
      expect(res.status).toBe(400);
      expect(res.body).toEqual({
        error: 'validation_failed',
        fields: [{ field: 'churnRisk', messages: ['each churnRisk must be one of high, medium, low, unknown'] }],
      });
    }
  });
});
