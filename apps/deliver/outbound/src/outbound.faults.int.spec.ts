import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { Pool } from 'pg';
import { hubNames } from '@hub/contracts';
import type { InteractionRecorded, NbaDecisionMessageV2 } from '@hub/customer';
import { consentChanged, phone, registered, TENANT } from '@hub/customer/testing';
import { createCustomerStores, type CustomerStores } from '@hub/customer-records';
import { PostgresSendLedger, sendIdOf, type SendKey, type SendRecord } from '@hub/deliver-outbound';
import { FakeTwilio } from '@hub/deliver-outbound/testing';
import {
  eventually,
  freshDatabase,
  freshId,
  sampleValue,
  startAppProcess,
  testInfra,
  TEST_IDENTITY_NAMING,
  type AppProcess,
} from '@hub/testing';

/**
 * The outbound app as its own process, against the real Kafka and PostgreSQL and a local fake
 * Twilio (node:http) that records every request and can hold an answer back: a decision message in
 * → one provider call → the ledger's `sent` → the outbound interaction in the customer's stream; a
 * redelivered decision calls nothing; an opt-out recorded after the decision wins; and a SIGKILL
 * while the provider call is in flight — after Twilio took the message, or with the request lost —
 * leaves the send in doubt, which the next instance settles by a lookup, never by sending blind.
 */
jest.setTimeout(180_000);

const infra = testInfra();
const namespace = freshId('outb').toLowerCase();
const names = hubNames(namespace);
let db: { url: string; drop(): Promise<void> };
let pool: Pool;
let stores: CustomerStores;
let ledger: PostgresSendLedger;
let twilio: FakeTwilio;
let producer: Producer;
let env: Record<string, string>;
let app: AppProcess | undefined;
const running: AppProcess[] = [];

const ACCOUNT = 'AC0123456789abcdef0123456789abcdef';
const FROM = '+14155550000';

beforeAll(async () => {
  db = await freshDatabase('outbound');
  pool = new Pool({ connectionString: db.url, max: 4 });
  pool.on('error', () => undefined); // the database is dropped WITH (FORCE) at the end
  stores = await createCustomerStores(pool, { identityNaming: TEST_IDENTITY_NAMING });
  ledger = new PostgresSendLedger(pool);
  twilio = await FakeTwilio.start({ accountSid: ACCOUNT, authToken: 'test-auth-token' });
  producer = new Kafka({ clientId: freshId('outbound-spec'), brokers: infra.kafkaBrokers, logLevel: logLevel.NOTHING }).producer();
  await producer.connect();
  env = {
    DATABASE_URL: db.url,
    KAFKA_BROKERS: infra.kafkaBrokers.join(','),
    HUB_NAMESPACE: namespace,
    LOG_LEVEL: 'info',
    OUTBOUND_FROM_BEGINNING: 'true',
    OUTBOUND_KAFKA_SESSION_TIMEOUT_MS: '6000',
    OUTBOUND_PROVIDER_TIMEOUT_MS: '60000',
    OUTBOUND_IN_DOUBT_GRACE_MS: '1500',
    TWILIO_API_BASE_URL: twilio.url,
    TWILIO_ACCOUNT_SID: ACCOUNT,
    TWILIO_AUTH_TOKEN: 'test-auth-token',
    TWILIO_FROM: FROM,
  };
  app = await start('a');
}, 120_000);

afterAll(async () => {
  await Promise.all(running.map((a) => a.stop()));
  await producer?.disconnect();
  await twilio?.close();
  await pool?.end();
  await db?.drop();
});

async function start(suffix: string): Promise<AppProcess> {
  const started = await startAppProcess('outbound', env, { logSuffix: `-${namespace}-${suffix}` });
  running.push(started);
  return started;
}

/** The probe server's URL (HEALTH_PORT=0: a free port), from the app's `outbound.health.listening` log line. */
async function metricsUrl(a: AppProcess): Promise<string> {
  return eventually(async () => {
    const line = readFileSync(a.logFile, 'utf8')
      .split('\n')
      .find((l) => l.includes('outbound.health.listening'));
    return line ? (JSON.parse(line) as { url: string }).url : undefined;
  });
}

async function kill(victim: AppProcess): Promise<void> {
  victim.child.kill('SIGKILL');
  if (victim.child.exitCode === null && victim.child.signalCode === null) await new Promise((r) => victim.child.once('exit', r));
}

/** A registered customer with a phone of their own. */
async function customer(): Promise<{ customerId: string; phone: string }> {
  const customerId = freshId('c');
  const number = `+1415${String(Math.floor(Math.random() * 10_000_000)).padStart(7, '0')}`;
  const at = new Date(Date.now() - 60_000).toISOString();
  await stores.customers.append(TENANT, customerId, [{ ...registered(customerId, at, phone(number)), metadata: meta(at, 'sms') }]);
  return { customerId, phone: number };
}

const meta = (at: string, channel: 'sms' | 'system' = 'system') => {
  const eventId = randomUUID();
  return {
    eventId,
    correlationId: eventId,
    causationId: eventId,
    occurredAt: at,
    recordedAt: at,
    schemaVersion: 1,
    tenantId: TENANT,
    channel,
  };
};

function decision(c: { customerId: string; phone: string }, code = 'kb_password_reset'): NbaDecisionMessageV2 {
  const decisionId = randomUUID();
  return {
    kind: 'action',
    decisionId,
    tenantId: TENANT,
    customerId: c.customerId,
    action: { kind: 'service', code, channel: 'sms', detail: 'Send the self-service password reset link' },
    contactMode: 'reply',
    address: { channel: 'sms', kind: 'phone', value: c.phone },
    explanation: { ruleId: code, reason: 'asked how to reset a password' },
    strategyVersion: 'nba-engine-v2',
    catalogVersion: '2',
    decidedAt: new Date().toISOString(),
    basedOnEventId: randomUUID(),
    basedOnRevision: '0',
    streamRevision: '1',
    globalPosition: '1',
    correlationId: `corr-${decisionId}`,
  };
}

async function publish(d: NbaDecisionMessageV2): Promise<void> {
  await producer.send({
    topic: names.topics.nbaDecisionsV2,
    messages: [{ key: d.customerId, value: JSON.stringify(d), headers: { 'hub-event-id': d.decisionId } }],
  });
}

const keyOf = (d: NbaDecisionMessageV2): SendKey => ({ tenantId: d.tenantId, decisionId: d.decisionId, channel: 'sms' });

/** The ledger row once it is in one of `states`. */
const rowIn = (d: NbaDecisionMessageV2, ...states: SendRecord['state'][]): Promise<SendRecord> =>
  eventually(
    async () => {
      const row = await ledger.find(keyOf(d));
      return row && states.includes(row.state) ? row : undefined;
    },
    { timeoutMs: 60_000, what: `the send of ${d.decisionId} in ${states.join(' or ')}` },
  );

const postsTo = (number: string) => twilio.posts.filter((r) => r.form['To'] === number);
const lookupsOf = (number: string) => twilio.requests.filter((r) => r.method === 'GET' && r.query['To'] === number);
const messagesTo = (number: string) => twilio.messages.filter((m) => m.to === number);

async function outboundInteractions(customerId: string): Promise<InteractionRecorded[]> {
  const { events } = await stores.customers.history(TENANT, customerId);
  return events.filter((e): e is InteractionRecorded => e.type === 'InteractionRecorded' && e.data.direction === 'outbound');
}

describe('the outbound app', () => {
  describe('when a decision to text the customer arrives', () => {
    it('makes one Twilio call, records the send as sent and appends the outbound interaction to the stream', async () => {
      const c = await customer();
      const d = decision(c);
      await publish(d);

      const row = await rowIn(d, 'sent');
      const posts = postsTo(c.phone);
      expect(posts).toHaveLength(1);
      expect(posts[0]!.path).toBe(`/2010-04-01/Accounts/${ACCOUNT}/Messages.json`);
      expect(posts[0]!.authorization).toBe(`Basic ${Buffer.from(`${ACCOUNT}:test-auth-token`).toString('base64')}`);
      expect(posts[0]!.form).toMatchObject({ From: FROM, To: c.phone, Body: expect.stringContaining('reset your password') });
      expect(row).toMatchObject({ attempts: 1, providerMessageId: messagesTo(c.phone)[0]!.sid, sendId: sendIdOf(keyOf(d)) });

      const recorded = await eventually(async () => {
        const found = await outboundInteractions(c.customerId);
        return found.length > 0 ? found : undefined;
      });
      expect(recorded).toHaveLength(1);
      expect(recorded[0]!.metadata).toMatchObject({
        eventId: row.sendId,
        causationId: d.decisionId,
        correlationId: d.correlationId,
        channel: 'sms',
      });
      const scraped = await eventually(async () => {
        const t = await (await fetch(`${await metricsUrl(app!)}/metrics`)).text();
        return sampleValue(t, 'hub_outbound_sends_total', { channel: 'sms', result: 'sent' }) >= 1 ? t : undefined;
      });
      expect(sampleValue(scraped, 'hub_outbound_sends_total', { channel: 'sms', result: 'sent' })).toBeGreaterThanOrEqual(1);
      expect(recorded[0]!.data).toMatchObject({
        direction: 'outbound',
        kind: 'message',
        channel: 'sms',
        identities: [{ kind: 'phone', value: c.phone }],
        content: { text: posts[0]!.form['Body'] },
        provider: { name: 'twilio', messageId: row.providerMessageId },
        endpoint: FROM,
      });
    });
  });

  describe('when the same decision is delivered again', () => {
    it('calls nothing: the next decision of the customer is the only other send', async () => {
      const c = await customer();
      const first = decision(c);
      await publish(first);
      await rowIn(first, 'sent');
      await publish(first);
      // The customer's messages share a partition: once the next decision is sent, the redelivery was handled before it.
      const next = decision(c, 'kb_opening_hours');
      await publish(next);
      await rowIn(next, 'sent');

      expect(postsTo(c.phone)).toHaveLength(2);
      expect((await ledger.find(keyOf(first)))!.attempts).toBe(1);
      expect((await outboundInteractions(c.customerId)).map((e) => e.metadata.causationId)).toEqual([first.decisionId, next.decisionId]);
    });
  });

  describe('when the customer opted out after the decision', () => {
    it('sends nothing and records the send as skipped, with the reason', async () => {
      const c = await customer();
      const d = decision(c);
      const at = new Date().toISOString();
      await stores.customers.append(TENANT, c.customerId, [{ ...consentChanged(randomUUID(), at, 'opted_out'), metadata: meta(at) }]);
      await publish(d);

      const row = await rowIn(d, 'skipped');
      expect(row.skipReason).toBe('opted_out');
      expect(postsTo(c.phone)).toHaveLength(0);
      expect(await outboundInteractions(c.customerId)).toEqual([]);
    });
  });

  describe('when the app is killed after Twilio took the message but before its answer was recorded', () => {
    it('the next instance finds the message by a lookup: no second call, the send sent, its interaction recorded', async () => {
      const c = await customer();
      const d = decision(c);
      twilio.next({ kind: 'hold', create: true });
      await publish(d);
      await eventually(async () => (twilio.heldCount === 1 ? true : undefined), { what: 'the held Twilio call' });
      expect((await ledger.find(keyOf(d)))!.state).toBe('intent');
      await kill(app!);
      twilio.release();

      app = await start('b');
      const row = await rowIn(d, 'sent');
      expect(row).toMatchObject({ resolution: 'lookup', attempts: 1, providerMessageId: messagesTo(c.phone)[0]!.sid });
      expect(postsTo(c.phone)).toHaveLength(1);
      expect(messagesTo(c.phone)).toHaveLength(1);
      expect(lookupsOf(c.phone).length).toBeGreaterThan(0);
      const recorded = await eventually(async () => {
        const found = await outboundInteractions(c.customerId);
        return found.length > 0 ? found : undefined;
      });
      expect(recorded.map((e) => e.data.provider.messageId)).toEqual([row.providerMessageId]);
    });
  });

  describe('when the app is killed with its Twilio request in flight and the request never reached Twilio', () => {
    it('the next instance looks first, and sends once only after the lookup proved there is no message', async () => {
      const c = await customer();
      const d = decision(c);
      twilio.next({ kind: 'hold', create: false });
      await publish(d);
      await eventually(async () => (twilio.heldCount === 1 ? true : undefined), { what: 'the held Twilio call' });
      expect((await ledger.find(keyOf(d)))!.state).toBe('intent');
      await kill(app!);
      twilio.release();

      app = await start('c');
      const row = await rowIn(d, 'sent');
      expect(row.attempts).toBe(2);
      expect(messagesTo(c.phone)).toHaveLength(1);
      expect(row.providerMessageId).toBe(messagesTo(c.phone)[0]!.sid);
      // The second call came only after a lookup found nothing.
      const forThisNumber = twilio.requests.filter((r) => r.form['To'] === c.phone || r.query['To'] === c.phone);
      const secondPost = forThisNumber.map((r) => r.method).lastIndexOf('POST');
      expect(forThisNumber.slice(1, secondPost).some((r) => r.method === 'GET')).toBe(true);
      expect(postsTo(c.phone)).toHaveLength(2);
      expect((await outboundInteractions(c.customerId)).map((e) => e.data.provider.messageId)).toEqual([row.providerMessageId]);
    });
  });
});
