import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { Pool } from 'pg';
import { Webhook } from 'standardwebhooks';
import { hubNames, type CustomerEventMessage } from '@hub/contracts';
import type { NbaDecisionMessageV2 } from '@hub/customer';
import { eventually, freshDatabase, freshId, testInfra } from '@hub/testing';
import { PostgresWebhookStore, type DeliveryAttempt } from '@hub/webhook-deliveries';
import { generateWebhookSecret, type WebhookSubscription } from '@hub/webhooks';
import type { StartedWorkerApp } from '@hub/platform';
import { startOutgoingWebhooks } from './main';

/** Polls (every 50 ms, at most 30 s) until `probe` gives a value, or fails naming what it waited for. */
const until = <T>(what: string, probe: () => Promise<T | undefined> | T | undefined): Promise<T> =>
  eventually(async () => probe(), { what, intervalMs: 50 });

/**
 * The app against the real Kafka, PostgreSQL and Redis, delivering to a receiver of the spec's own
 * (node:http on 127.0.0.1) that checks every delivery with the `standardwebhooks` library. A short
 * schedule (one retry after 200 ms) and a disable rule of one message given up.
 */
const infra = testInfra();

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** Answers each path's requests with its list of statuses in turn (the last one repeated); 204 by default. */
class Receiver {
  readonly received: Received[] = [];
  private readonly answers = new Map<string, number[]>();
  private server!: Server;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const path = req.url ?? '/';
        this.received.push({ path, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        const statuses = this.answers.get(path) ?? [204];
        res.statusCode = statuses.length > 1 ? statuses.shift()! : statuses[0]!;
        res.end();
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  answer(path: string, statuses: number[]): void {
    this.answers.set(path, [...statuses]);
  }

  at(path: string): Received[] {
    return this.received.filter((r) => r.path === path);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** What the receiver got, verified by the independent library under the subscription's secret (it throws otherwise). */
function verified(s: WebhookSubscription, r: Received): { type: string; tenantId: string; data: Record<string, unknown> } {
  const headers = {
    'webhook-id': String(r.headers['webhook-id']),
    'webhook-timestamp': String(r.headers['webhook-timestamp']),
    'webhook-signature': String(r.headers['webhook-signature']),
  };
  return new Webhook(s.secret).verify(r.body, headers) as { type: string; tenantId: string; data: Record<string, unknown> };
}

describe('outgoing webhooks', () => {
  const namespace = freshId('ow');
  const names = hubNames(namespace);
  const receiver = new Receiver();
  let db: { url: string; drop(): Promise<void> };
  let pool: Pool;
  let store: PostgresWebhookStore;
  let started: StartedWorkerApp;
  let producer: Producer;

  const subscribe = (tenantId: string, path: string, eventTypes: string[]) =>
    store.create({ tenantId, url: `${receiver.url}${path}`, eventTypes, secret: generateWebhookSecret(), description: null }, new Date());

  const customerEvent = (tenantId: string, customerId: string, type: string, data: unknown, eventId = freshId('ev')) => {
    const value: CustomerEventMessage = {
      type,
      tenantId,
      customerId,
      streamRevision: '1',
      globalPosition: '1',
      data,
      metadata: {
        eventId,
        correlationId: eventId,
        causationId: eventId,
        occurredAt: '2026-12-07T10:00:00.000Z',
        recordedAt: '2026-12-07T10:00:00.000Z',
        schemaVersion: 1,
        tenantId,
        channel: 'system',
      } as CustomerEventMessage['metadata'],
    };
    return {
      eventId,
      send: () => producer.send({ topic: names.topics.customerEvents, messages: [{ key: customerId, value: JSON.stringify(value) }] }),
    };
  };

  const decision = (tenantId: string, customerId: string): NbaDecisionMessageV2 => ({
    decisionId: freshId('d'),
    kind: 'no-action',
    tenantId,
    customerId,
    action: { kind: 'none', code: 'none', detail: 'nothing to do' },
    contactMode: 'none',
    noAction: { reason: 'no_eligible_action' },
    explanation: { ruleId: 'none', reason: 'no action passed' },
    strategyVersion: 'v1',
    catalogVersion: null,
    decidedAt: '2026-12-07T10:00:00.000Z',
    basedOnEventId: 'e-0',
    basedOnRevision: '0',
    streamRevision: '2',
    globalPosition: '2',
    correlationId: 'c-0',
  });

  const deliveries = async (s: WebhookSubscription, n: number): Promise<DeliveryAttempt[] | undefined> => {
    const rows = await store.deliveries(s.tenantId, s.subscriptionId, 50);
    return rows.length >= n ? rows.reverse() : undefined;
  };

  beforeAll(async () => {
    await receiver.start();
    db = await freshDatabase('webhooks_app');
    started = await startOutgoingWebhooks({
      DATABASE_URL: db.url,
      REDIS_URL: infra.redisUrl,
      KAFKA_BROKERS: infra.kafkaBrokers.join(','),
      HUB_NAMESPACE: namespace,
      LOG_LEVEL: 'silent',
      NODE_ENV: 'test',
      HEALTH_PORT: 'off',
      WEBHOOKS_START: 'beginning',
      WEBHOOK_ALLOW_LOOPBACK_HTTP: 'on',
      WEBHOOK_RETRY_SCHEDULE_MS: '200',
      WEBHOOK_DISABLE_AFTER_MESSAGES: '1',
      WEBHOOK_TIMEOUT_MS: '5000',
    });
    pool = new Pool({ connectionString: db.url, max: 2 });
    store = new PostgresWebhookStore(pool);
    producer = new Kafka({ clientId: freshId('webhooks-test'), brokers: infra.kafkaBrokers, logLevel: logLevel.NOTHING }).producer();
    await producer.connect();
  }, 90_000);

  afterAll(async () => {
    await producer?.disconnect();
    await started?.app.close();
    await pool?.end();
    await db?.drop();
    await receiver.close();
  });

  describe('when a tenant subscribes to decisions, work items, or everything', () => {
    it('delivers each event once to each matching subscription, signed as Standard Webhooks says', async () => {
      const tenantId = freshId('t');
      const decisions = await subscribe(tenantId, '/decisions', ['decision.made']);
      const workItems = await subscribe(tenantId, '/work-items', ['work_item.*']);
      const everything = await subscribe(tenantId, '/everything', ['*']);
      const d = decision(tenantId, 'cust-1');
      await producer.send({ topic: names.topics.nbaDecisionsV2, messages: [{ key: 'cust-1', value: JSON.stringify(d) }] });
      // An interaction is not delivered; it precedes the work item on the customer's partition.
      await customerEvent(tenantId, 'cust-1', 'InteractionRecorded', { text: 'hello' }).send();
      const opened = customerEvent(tenantId, 'cust-1', 'WorkItemOpened', {
        workItemId: 'wi-1',
        decisionId: d.decisionId,
        actionId: 'escalate_specialist',
        queue: 'escalate_specialist',
        priority: 'high',
        dueAt: '2026-12-07T10:30:00.000Z',
      });
      await opened.send();

      const [toDecisions] = await until('the decision at /decisions', () => receiver.at('/decisions')[0] && receiver.at('/decisions'));
      expect(verified(decisions, toDecisions!)).toEqual({ type: 'decision.made', timestamp: d.decidedAt, tenantId, data: d });
      expect(toDecisions!.headers['webhook-id']).toBe(d.decisionId);
      expect(toDecisions!.headers['content-type']).toBe('application/json');

      const [toWorkItems] = await until('the work item at /work-items', () => receiver.at('/work-items')[0] && receiver.at('/work-items'));
      expect(verified(workItems, toWorkItems!)).toMatchObject({
        type: 'work_item.opened',
        tenantId,
        data: { customerId: 'cust-1', workItemId: 'wi-1', queue: 'escalate_specialist', priority: 'high' },
      });
      expect(toWorkItems!.headers['webhook-id']).toBe(opened.eventId);

      // A wrong secret makes the verifier throw: the check above can fail.
      expect(() => verified({ ...workItems, secret: generateWebhookSecret() }, toWorkItems!)).toThrow();

      // The same message again (a Kafka redelivery), then a marker behind it on the same partition.
      await opened.send();
      const marker = customerEvent(tenantId, 'cust-1', 'TraitsUpdated', { traits: { tier: 'gold' } });
      await marker.send();
      await until('the marker at /everything', () => receiver.at('/everything').find((r) => r.headers['webhook-id'] === marker.eventId));
      const ids = receiver.at('/everything').map((r) => String(r.headers['webhook-id']));
      expect(ids.sort()).toEqual([d.decisionId, opened.eventId, marker.eventId].sort());
      expect(
        receiver
          .at('/everything')
          .map((r) => verified(everything, r).type)
          .sort(),
      ).toEqual(['customer.traits_updated', 'decision.made', 'work_item.opened']);
      expect(verified(everything, receiver.at('/everything').find((r) => r.headers['webhook-id'] === marker.eventId)!).data).toEqual({
        customerId: 'cust-1',
        traits: ['tier'],
        eventType: 'TraitsUpdated',
      });
      expect(receiver.at('/work-items')).toHaveLength(1);

      const log = await until('the log of /decisions', () => deliveries(decisions, 1));
      expect(log).toEqual([
        expect.objectContaining({
          messageId: d.decisionId,
          eventType: 'decision.made',
          attempt: 1,
          outcome: 'succeeded',
          statusCode: 204,
          error: null,
          nextAttemptAt: null,
        }),
      ]);
    });
  });

  describe('when the endpoint fails once', () => {
    it('is tried again after the schedule’s delay, with the same id and a valid signature, and both attempts are logged', async () => {
      const tenantId = freshId('t');
      receiver.answer('/flaky', [500, 200]);
      const s = await subscribe(tenantId, '/flaky', ['customer.*']);
      const consent = customerEvent(tenantId, 'cust-2', 'ConsentChanged', { channel: 'sms', consent: 'opted_out', source: 'keyword' });
      await consent.send();

      const log = await until('two attempts logged', () => deliveries(s, 2));
      expect(log).toEqual([
        expect.objectContaining({ attempt: 1, outcome: 'failed', statusCode: 500, error: 'HTTP 500', nextAttemptAt: expect.any(String) }),
        expect.objectContaining({ attempt: 2, outcome: 'succeeded', statusCode: 200, error: null, nextAttemptAt: null }),
      ]);
      expect(Date.parse(log[0]!.nextAttemptAt!)).toBeGreaterThan(Date.parse(log[0]!.attemptedAt));
      const requests = receiver.at('/flaky');
      expect(requests.map((r) => r.headers['webhook-id'])).toEqual([consent.eventId, consent.eventId]);
      for (const r of requests)
        expect(verified(s, r)).toMatchObject({ type: 'customer.consent_changed', data: { channel: 'sms', consent: 'opted_out' } });
      expect(await store.find(tenantId, s.subscriptionId)).toMatchObject({
        status: 'enabled',
        failingSince: null,
        exhaustedSinceSuccess: 0,
      });
    });
  });

  describe('when the endpoint keeps failing', () => {
    it('gives the message up after the last attempt, disables the subscription, and delivers again once it is enabled', async () => {
      const tenantId = freshId('t');
      receiver.answer('/down', [503]);
      const s = await subscribe(tenantId, '/down', ['customer.erased']);
      const erased = customerEvent(tenantId, 'cust-3', 'CustomerErased', { customerId: 'cust-3', reason: 'T-1', requestedBy: 'ops' });
      await erased.send();

      const disabled = await until('the subscription disabled', async () => {
        const found = await store.find(tenantId, s.subscriptionId);
        return found?.status === 'disabled' ? found : undefined;
      });
      expect(disabled).toMatchObject({ disabledReason: 'failing', exhaustedSinceSuccess: 1, failingSince: expect.any(String) });
      expect(await deliveries(s, 2)).toEqual([
        expect.objectContaining({ attempt: 1, outcome: 'failed', statusCode: 503, nextAttemptAt: expect.any(String) }),
        expect.objectContaining({ attempt: 2, outcome: 'failed', statusCode: 503, nextAttemptAt: null }),
      ]);

      receiver.answer('/down', [204]);
      await store.enable(tenantId, s.subscriptionId, new Date());
      const again = customerEvent(tenantId, 'cust-4', 'CustomerErased', { customerId: 'cust-4', reason: 'T-2', requestedBy: 'ops' });
      await again.send();
      const delivered = await until('the next erasure delivered', () =>
        receiver.at('/down').find((r) => r.headers['webhook-id'] === again.eventId),
      );
      expect(verified(s, delivered)).toMatchObject({ type: 'customer.erased', data: { customerId: 'cust-4' } });
      expect(receiver.at('/down').filter((r) => r.headers['webhook-id'] === erased.eventId)).toHaveLength(2);
    });
  });
});
