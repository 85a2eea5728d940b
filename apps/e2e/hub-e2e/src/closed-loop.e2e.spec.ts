import { createHash, randomBytes, randomInt } from 'node:crypto';
import { CHANNEL_TEST_SETUPS } from '@hub/channel-registry/testing';
import {
  metaWebhookRequest,
  META_TEST_APP_SECRET,
  TEST_WHATSAPP_METADATA,
  whatsappButtonReplyPayload,
  whatsappStatusPayload,
  whatsappTextPayload,
} from '@hub/channels-meta/testing';
import { FakeWhatsApp, type FakeWhatsAppRequest } from '@hub/deliver-outbound/testing';
import { Queue } from 'bullmq';
import { hubNames } from '@hub/contracts';
import { eventually, freshDatabase, freshId, startAppProcess, testInfra, type AppProcess } from '@hub/testing';

/**
 * The loop closed, end to end, five apps as separate processes over the real Kafka, PostgreSQL and
 * Redis, and a stand-in for the WhatsApp Cloud API: a customer asks on WhatsApp for a bigger plan
 * (ingest-whatsapp, signed as Meta signs) → recorded (timeline-projector) → the NBA worker decides to
 * offer the upgrade on WhatsApp → outbound sends it as a message with the decision's reply buttons →
 * the customer taps one (a signed button-reply webhook naming our message) → the worker links the tap
 * to the decision and records the outcome → the query API lists the decision with it. One customer
 * accepts; another declines, asks again, and is not offered the upgrade again: the customer's choice
 * changed the next decision. The press of a button is its decision's answer, not a new question: no
 * decision of its own, so nothing is sent twice.
 */
const infra = testInfra();
const tenant = freshId('e2eloop');
const QUERY_KEY = randomBytes(24).toString('base64url');
const ACCESS_TOKEN = randomBytes(24).toString('base64url');
const sha256 = (key: string) => createHash('sha256').update(key).digest('hex');

let database: { url: string; drop(): Promise<void> };
let whatsapp: FakeWhatsApp;
let apps: AppProcess[] = [];
let ingestUrl = '';
let queryUrl = '';
let decideQueue: Queue<{ customerId: string }>;

beforeAll(async () => {
  database = await freshDatabase('e2e_loop');
  whatsapp = await FakeWhatsApp.start({ phoneNumberId: TEST_WHATSAPP_METADATA.phone_number_id, accessToken: ACCESS_TOKEN });
  const env = {
    DATABASE_URL: database.url,
    HUB_NAMESPACE: tenant,
    TENANT_ID: tenant,
    REDIS_URL: infra.redisUrl,
    KAFKA_BROKERS: infra.kafkaBrokers.join(','),
    HUB_API_KEYS: `${tenant}:${sha256(QUERY_KEY)}:read`,
    PORT: '0',
    LOG_LEVEL: 'info',
    NBA_DEBOUNCE_MS: '100',
    ...Object.assign({}, ...CHANNEL_TEST_SETUPS.whatsapp.map((s) => s.env)),
    OUTBOUND_CHANNELS: 'whatsapp',
    OUTBOUND_FROM_BEGINNING: 'true',
    WHATSAPP_API_BASE_URL: whatsapp.url,
    WHATSAPP_PHONE_NUMBER_ID: TEST_WHATSAPP_METADATA.phone_number_id,
    WHATSAPP_ACCESS_TOKEN: ACCESS_TOKEN,
  };
  apps = await Promise.all([
    startAppProcess('ingest-whatsapp', env, { logSuffix: `-${tenant}`, timeoutMs: 90_000 }),
    startAppProcess('timeline-projector', env, { logSuffix: `-${tenant}` }),
    startAppProcess('nba-worker', env, { logSuffix: `-${tenant}` }),
    startAppProcess('outbound', env, { logSuffix: `-${tenant}` }),
    startAppProcess('query-api', env, { logSuffix: `-${tenant}` }),
  ]);
  ingestUrl = apps[0]!.url!;
  queryUrl = apps[4]!.url!;
  decideQueue = new Queue(hubNames(tenant).queues.nbaDecide, { connection: { url: infra.redisUrl } });
}, 180_000);

afterAll(async () => {
  await decideQueue?.close();
  await Promise.all(apps.map((a) => a.stop()));
  await whatsapp?.close();
  await database?.drop();
});

type Json = Record<string, unknown>;
interface Decision {
  decisionId: string;
  action: { code: string; channel?: string };
  basedOnEventId: string;
  outcome: { outcome: string; source: string } | null;
  sends: { channel: string; state: string; provider: string; providerMessageId?: string; delivery?: { status: string } }[];
}

/** A signed WhatsApp webhook into ingest-whatsapp: the event id it was recorded under. */
async function webhook(payload: Json): Promise<string> {
  const signed = metaWebhookRequest({ appSecret: META_TEST_APP_SECRET, url: `${ingestUrl}/webhooks/whatsapp`, payload });
  const res = await fetch(`${ingestUrl}/webhooks/whatsapp`, {
    method: 'POST',
    headers: signed.headers as Record<string, string>,
    body: signed.rawBody,
  });
  expect(res.status).toBe(202);
  const [eventId] = ((await res.json()) as { eventIds: string[] }).eventIds;
  return eventId!;
}

const now = (): number => Math.floor(Date.now() / 1000);
const asks = (waId: string, text: string): Promise<string> =>
  webhook(whatsappTextPayload({ from: waId, text, timestamp: now(), seed: randomBytes(4).toString('hex') }));

async function query(path: string): Promise<{ status: number; body: Json }> {
  const res = await fetch(`${queryUrl}/tenants/${tenant}${path}`, { headers: { authorization: `Bearer ${QUERY_KEY}` } });
  return { status: res.status, body: (await res.json()) as Json };
}

/** The customer the phone belongs to, once recorded. */
const customerOf = (waId: string): Promise<string> =>
  eventually(
    async () => {
      const r = await query(`/customers?identity=${encodeURIComponent(`phone:+${waId}`)}`);
      return r.status === 200 ? (r.body['customerId'] as string) : undefined;
    },
    { what: `the customer of +${waId}` },
  );

/** The customer's decisions, latest first, once `until` holds of them. */
const decisionsOf = (customerId: string, until: (ds: Decision[]) => boolean, what: string): Promise<Decision[]> =>
  eventually(
    async () => {
      const r = await query(`/customers/${customerId}/next-best-actions`);
      const history = (r.body['history'] ?? []) as Decision[];
      return r.status === 200 && until(history) ? history : undefined;
    },
    { what, timeoutMs: 60_000 },
  );

/** The messages the WhatsApp stand-in received for `waId`. */
const sentTo = (waId: string): FakeWhatsAppRequest[] => whatsapp.requests.filter((r) => r.body['to'] === waId);

/** The one message with reply buttons sent to `waId`: its buttons and the `wamid` the stand-in answered with. */
async function menuSentTo(waId: string): Promise<{ request: FakeWhatsAppRequest; buttons: { id: string; title: string }[] }> {
  const request = await eventually(async () => sentTo(waId).find((r) => r.body['type'] === 'interactive'), {
    what: `the WhatsApp menu sent to ${waId}`,
    timeoutMs: 60_000,
  });
  const interactive = request.body['interactive'] as { action: { buttons: { reply: { id: string; title: string } }[] } };
  return { request, buttons: interactive.action.buttons.map((b) => b.reply) };
}

/** The `wamid` our send got back, which the customer's tap names as its context. */
const wamidOf = (request: FakeWhatsAppRequest): string => whatsapp.wamidOf(request)!;

describe('a WhatsApp customer offered a menu, whose choice is the outcome', () => {
  it('accepting: the menu sent once with the decision’s buttons, the tap recorded as accepted on that decision', async () => {
    const waId = `1650555${randomInt(1000, 9999)}`;
    const asked = await asks(waId, 'Do you have a bigger plan?');
    const customerId = await customerOf(waId);
    const [offer] = await decisionsOf(customerId, (ds) => ds.some((d) => d.basedOnEventId === asked), 'the decision on the question');
    expect(offer!.action).toEqual(expect.objectContaining({ code: 'offer_upgrade', channel: 'whatsapp' }));

    const { request, buttons } = await menuSentTo(waId);
    expect(request.path).toBe(`/v21.0/${TEST_WHATSAPP_METADATA.phone_number_id}/messages`);
    expect(request.authorization).toBe(`Bearer ${ACCESS_TOKEN}`);
    expect(buttons).toEqual([
      { id: `nba:${offer!.decisionId}:accept`, title: 'Upgrade' },
      { id: `nba:${offer!.decisionId}:decline`, title: 'Not now' },
    ]);

    const tapped = await webhook(
      whatsappButtonReplyPayload({
        from: waId,
        buttonId: buttons[0]!.id,
        title: buttons[0]!.title,
        contextId: wamidOf(request),
        timestamp: now(),
      }),
    );
    const answered = await decisionsOf(
      customerId,
      (ds) => ds.some((d) => d.decisionId === offer!.decisionId && d.outcome !== null),
      'the tap recorded as the outcome',
    );
    const answeredOffer = answered.find((d) => d.decisionId === offer!.decisionId)!;
    expect(answeredOffer.outcome).toEqual(expect.objectContaining({ outcome: 'accepted', source: 'reply' }));
    // The decision names what the sender did with it: sent once, under the id the provider gave.
    expect(answeredOffer.sends).toEqual([
      expect.objectContaining({ channel: 'whatsapp', state: 'sent', provider: 'whatsapp-cloud', providerMessageId: wamidOf(request) }),
    ]);

    // WhatsApp says the message was read (then, late, that it was delivered): the send shows the furthest status.
    for (const status of ['read', 'delivered'] as const)
      await webhook(whatsappStatusPayload({ id: wamidOf(request), status, recipientId: waId, timestamp: now() }));
    await decisionsOf(
      customerId,
      (ds) => ds.find((d) => d.decisionId === offer!.decisionId)?.sends[0]?.delivery?.status === 'read',
      'the send linked to its read status',
    );

    // The tap is the offer's answer, not a new question: no decision of its own (one would read
    // "Upgrade" as buying intent and send the menu again). The worker queued whatever it would decide
    // on the tap when it routed it, before the tap's outcome could be recorded: once the customer has
    // no decide job left, any decision on the tap is in their stream.
    await eventually(
      async () =>
        (await decideQueue.getJobs(['waiting', 'delayed', 'active', 'prioritized'])).some((j) => j.data.customerId === customerId)
          ? undefined
          : true,
      { what: 'no decide job left for the customer' },
    );
    expect((await decisionsOf(customerId, () => true, 'the decisions')).map((d) => d.basedOnEventId)).toEqual([asked]);
    const later = await asks(waId, 'Where is my order?');
    const decisions = await decisionsOf(customerId, (ds) => ds.some((d) => d.basedOnEventId === later), 'the decision on the next message');
    expect(decisions.map((d) => d.basedOnEventId)).toEqual([later, asked]);
    expect(decisions.map((d) => d.basedOnEventId)).not.toContain(tapped);
    // At most one send per decision and channel: the offer went out once.
    expect(sentTo(waId).filter((r) => r.body['type'] === 'interactive')).toHaveLength(1);
  });

  it('declining: recorded as declined, and asked again the customer is not offered the upgrade again', async () => {
    const waId = `1650556${randomInt(1000, 9999)}`;
    const asked = await asks(waId, 'Do you have a bigger plan?');
    const customerId = await customerOf(waId);
    const [offer] = await decisionsOf(customerId, (ds) => ds.some((d) => d.basedOnEventId === asked), 'the decision on the question');
    expect(offer!.action.code).toBe('offer_upgrade');
    const { request, buttons } = await menuSentTo(waId);
    const decline = buttons.find((b) => b.id === `nba:${offer!.decisionId}:decline`)!;

    await webhook(
      whatsappButtonReplyPayload({ from: waId, buttonId: decline.id, title: decline.title, contextId: wamidOf(request), timestamp: now() }),
    );
    await decisionsOf(
      customerId,
      (ds) => ds.find((d) => d.decisionId === offer!.decisionId)?.outcome?.outcome === 'declined',
      'the tap recorded as declined',
    );

    const again = await asks(waId, 'Do you have a bigger plan?');
    const [next] = await decisionsOf(
      customerId,
      (ds) => ds.some((d) => d.basedOnEventId === again),
      'the decision on the question asked again',
    );
    expect(next!.action.code).not.toBe('offer_upgrade');
    const menu = await query(`/customers/${customerId}/next-best-actions/menu`);
    const upgrade = (menu.body['candidates'] as { actionId: string; rejectedBy: string[] }[]).find((c) => c.actionId === 'offer_upgrade');
    // Held back: the customer who said "no" and asks again is a repeated contact now (a churn signal,
    // which the offer's suitability refuses), and the offer is in its 30-day cooldown after a decline.
    expect(upgrade!.rejectedBy).not.toEqual([]);
    expect(sentTo(waId).filter((r) => r.body['type'] === 'interactive')).toHaveLength(1);
  });
});
