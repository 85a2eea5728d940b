import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { getExpectedTwilioSignature } from 'twilio/lib/webhooks/webhooks';
import { hubNames, type InteractionReceived } from '@hub/contracts';
import { eventually, freshId, testInfra } from '@hub/testing';
import { startIngestApp, type RunningIngestApp } from './bootstrap-ingest-app';

/**
 * Two tenants in one ingestion app (in-process, real Kafka), configured by INGEST_TENANTS_FILE:
 * each tenant's webhooks under its own path, verified with its own Twilio auth token only; what
 * one tenant's secret signed is refused on the other's path; the same Twilio message sent to both
 * is two events, each with its tenant; a tenant that does not exist looks like a path that does not.
 */
const infra = testInfra();
const namespace = freshId('mt');
const BASE = 'https://hub.example.com';
const acme = { id: `acme-${namespace}`, route: `acme-${namespace}`, token: 'acme-twilio-auth-token' };
// Globex's path segment is an opaque token, not its id.
const globex = { id: `globex-${namespace}`, route: `Gx-${freshId('r')}`, token: 'globex-twilio-auth-token' };
const dir = mkdtempSync(join(tmpdir(), 'hub-tenants-'));
let app: RunningIngestApp;

beforeAll(async () => {
  const file = join(dir, 'tenants.json');
  writeFileSync(
    file,
    JSON.stringify({ tenants: [acme, globex].map((t) => ({ id: t.id, route: t.route, settings: { TWILIO_AUTH_TOKEN: t.token } })) }),
  );
  app = await startIngestApp('sms', {
    KAFKA_BROKERS: infra.kafkaBrokers.join(','),
    HUB_NAMESPACE: namespace,
    PORT: '0',
    LOG_LEVEL: 'silent',
    PUBLIC_BASE_URL: BASE,
    INGEST_TENANTS_FILE: file,
    // The single-tenant secret is not used by either tenant.
    TWILIO_AUTH_TOKEN: 'deployment-wide-token',
  });
});

afterAll(async () => {
  await app?.close();
  rmSync(dir, { recursive: true, force: true });
});

const pathOf = (tenant: { route: string }) => `/t/${tenant.route}/webhooks/twilio`;
const ACCOUNT_SID = `AC${'0123456789abcdef'.repeat(2)}`;

/** The form fields of a Twilio inbound SMS (a fresh MessageSid each call). */
function twilioSmsParams({ from, to, body }: { from: string; to: string; body: string }): Record<string, string> {
  const messageSid = `SM${createHash('sha256').update(freshId()).digest('hex').slice(0, 32)}`;
  return {
    MessageSid: messageSid,
    SmsSid: messageSid,
    AccountSid: ACCOUNT_SID,
    From: from,
    To: to,
    Body: body,
    NumMedia: '0',
    ApiVersion: '2010-04-01',
  };
}

/** Post a Twilio SMS to `path`, signed as Twilio would (its own algorithm) for the URL `signedFor` with `token`. */
async function post(
  path: string,
  { token, signedFor = path, params }: { token: string; signedFor?: string; params: Record<string, string> },
) {
  const headers = {
    'content-type': 'application/x-www-form-urlencoded',
    'x-twilio-signature': getExpectedTwilioSignature(token, `${BASE}${signedFor}`, params),
  };
  const res = await fetch(`${app.url}${path}`, { method: 'POST', headers, body: new URLSearchParams(params).toString() });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

interface Published {
  key: string;
  event: InteractionReceived;
}

/** Every interaction on the namespace's topic once `until` holds of them. */
async function published(until: (all: Published[]) => boolean, what: string): Promise<Published[]> {
  const kafka = new Kafka({ clientId: freshId('mt-read'), brokers: infra.kafkaBrokers, logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: freshId('mt-read'), maxWaitTimeInMs: 200 });
  const all: Published[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic: hubNames(namespace).topics.interactions, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) =>
        void all.push({ key: message.key!.toString(), event: JSON.parse(message.value!.toString()) as InteractionReceived }),
    });
    await eventually(async () => (until(all) ? true : undefined), { what, timeoutMs: 30_000 });
  } finally {
    await consumer.disconnect();
  }
  return all;
}

describe('two tenants in one ingestion app', () => {
  it('each tenant’s signed webhook is accepted and published with its own tenant id, keyed under its tenant', async () => {
    const a = twilioSmsParams({ from: '+14155550101', to: '+14155550999', body: 'hello from an acme customer' });
    const g = twilioSmsParams({ from: '+14155550102', to: '+14155550999', body: 'hello from a globex customer' });
    expect((await post(pathOf(acme), { token: acme.token, params: a })).status).toBe(202);
    expect((await post(pathOf(globex), { token: globex.token, params: g })).status).toBe(202);
    const all = await published(
      (xs) => [a, g].every((p) => xs.some((x) => x.event.data.provider.messageId === p['MessageSid'])),
      'both tenants’ messages',
    );
    const of = (p: Record<string, string>) => all.filter((x) => x.event.data.provider.messageId === p['MessageSid']);
    expect(of(a)).toHaveLength(1);
    expect(of(a)[0]!.event.metadata.tenantId).toBe(acme.id);
    expect(of(a)[0]!.key.startsWith(`${acme.id}|phone|`)).toBe(true);
    expect(of(g)).toHaveLength(1);
    expect(of(g)[0]!.event.metadata.tenantId).toBe(globex.id);
    expect(of(g)[0]!.key.startsWith(`${globex.id}|phone|`)).toBe(true);
  });

  it('the same Twilio message sent to both tenants is two events, one per tenant; a retry to one tenant is the same event', async () => {
    const params = twilioSmsParams({ from: '+14155550103', to: '+14155550999', body: 'one account, two tenants' });
    const first = await post(pathOf(acme), { token: acme.token, params });
    const retry = await post(pathOf(acme), { token: acme.token, params });
    const other = await post(pathOf(globex), { token: globex.token, params });
    expect([first.status, retry.status, other.status]).toEqual([202, 202, 202]);
    expect(retry.body['eventIds']).toEqual(first.body['eventIds']);
    expect(other.body['eventIds']).not.toEqual(first.body['eventIds']);
    const all = await published(
      (xs) => xs.filter((x) => x.event.data.provider.messageId === params['MessageSid']).length >= 3,
      'the three deliveries',
    );
    const events = all.filter((x) => x.event.data.provider.messageId === params['MessageSid']).map((x) => x.event.metadata);
    expect(new Set(events.map((m) => `${m.tenantId} ${m.eventId}`))).toEqual(
      new Set([`${acme.id} ${(first.body['eventIds'] as string[])[0]}`, `${globex.id} ${(other.body['eventIds'] as string[])[0]}`]),
    );
  });

  it('a webhook signed with one tenant’s secret is refused on the other tenant’s path, however its URL was signed', async () => {
    const params = twilioSmsParams({ from: '+14155550104', to: '+14155550999', body: 'cross-signed' });
    // Signed by acme's token for globex's URL, and for acme's own URL (replayed to globex).
    expect(await post(pathOf(globex), { token: acme.token, params })).toEqual({
      status: 401,
      body: { error: 'unauthorized', reason: 'signature_invalid' },
    });
    expect((await post(pathOf(globex), { token: acme.token, signedFor: pathOf(acme), params })).status).toBe(401);
    // The deployment-wide secret verifies no tenant's webhooks.
    expect((await post(pathOf(acme), { token: 'deployment-wide-token', params })).status).toBe(401);
  });

  it('a tenant that does not exist, and the single-tenant path, answer exactly as a path the app does not have', async () => {
    const params = twilioSmsParams({ from: '+14155550105', to: '+14155550999', body: 'who is there' });
    const unknownTenant = await post('/t/nobody/webhooks/twilio', { token: acme.token, params });
    expect(unknownTenant).toEqual({
      status: 404,
      body: { statusCode: 404, error: 'Not Found', message: 'Cannot POST /t/nobody/webhooks/twilio' },
    });
    // Globex by its id, where its route is an opaque token: no such path either.
    expect((await post(`/t/${globex.id}/webhooks/twilio`, { token: globex.token, params })).status).toBe(404);
    const noSuchPath = await post('/t/nobody/webhooks/nowhere', { token: acme.token, params });
    expect(noSuchPath).toEqual({
      status: 404,
      body: { statusCode: 404, error: 'Not Found', message: 'Cannot POST /t/nobody/webhooks/nowhere' },
    });
    expect((await post('/webhooks/twilio', { token: 'deployment-wide-token', params })).status).toBe(404);
  });
});

describe('two tenants in one Meta app: the subscription handshake', () => {
  let messenger: RunningIngestApp;
  const tenants = [acme, globex].map((t) => ({ ...t, verifyToken: `${t.id}-verify-token` }));

  beforeAll(async () => {
    messenger = await startIngestApp('messenger', {
      KAFKA_BROKERS: infra.kafkaBrokers.join(','),
      HUB_NAMESPACE: namespace,
      PORT: '0',
      LOG_LEVEL: 'silent',
      INGEST_TENANTS: JSON.stringify({
        tenants: tenants.map((t) => ({
          id: t.id,
          route: t.route,
          settings: { META_APP_SECRET: `${t.id}-app-secret`, META_VERIFY_TOKEN: t.verifyToken },
        })),
      }),
    });
  });

  afterAll(async () => {
    await messenger?.close();
  });

  const handshake = async (tenant: { route: string }, verifyToken: string) => {
    const query = new URLSearchParams({ 'hub.mode': 'subscribe', 'hub.verify_token': verifyToken, 'hub.challenge': 'c-1158201444' });
    const res = await fetch(`${messenger.url}/t/${tenant.route}/webhooks/messenger?${query}`);
    return { status: res.status, body: await res.text() };
  };

  it('is answered with each tenant’s own verify token, and refused with the other’s', async () => {
    const [a, g] = tenants as [(typeof tenants)[0], (typeof tenants)[0]];
    expect(await handshake(a, a.verifyToken)).toEqual({ status: 200, body: 'c-1158201444' });
    expect(await handshake(g, g.verifyToken)).toEqual({ status: 200, body: 'c-1158201444' });
    expect((await handshake(g, a.verifyToken)).status).toBe(403);
    expect((await handshake({ route: 'nobody' }, a.verifyToken)).status).toBe(404);
  });
});

describe('two tenants in one app: the per-source rate limit', () => {
  let limited: RunningIngestApp;

  beforeAll(async () => {
    limited = await startIngestApp('sms', {
      KAFKA_BROKERS: infra.kafkaBrokers.join(','),
      HUB_NAMESPACE: namespace,
      PORT: '0',
      LOG_LEVEL: 'silent',
      PUBLIC_BASE_URL: BASE,
      RATE_LIMIT_WINDOW_MS: '600000',
      RATE_LIMIT_PER_SOURCE: '2',
      INGEST_TENANTS: JSON.stringify({
        tenants: [acme, globex].map((t) => ({ id: t.id, route: t.route, settings: { TWILIO_AUTH_TOKEN: t.token } })),
      }),
    });
  });

  afterAll(async () => {
    await limited?.close();
  });

  /** An unsigned delivery: refused (401) unless a limit refuses it first (429). */
  const deliver = async (path: string) =>
    (
      await fetch(`${limited.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'MessageSid=SM1',
      })
    ).status;

  it('counts each tenant on its own: one tenant over the limit does not hold the other back', async () => {
    expect([await deliver(pathOf(acme)), await deliver(pathOf(acme)), await deliver(pathOf(acme))]).toEqual([401, 401, 429]);
    expect(await deliver(pathOf(globex))).toBe(401);
    expect(limited.counters.toJSON()['rejected.rate_limited_per_source']).toBe(1);
  });
});
