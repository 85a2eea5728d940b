/*
 * The bare reference pipeline of bench/pipeline: the same input and output as the hub with no
 * framework and no hub code, three processes as the hub has three stages. BARE_ROLE picks one:
 *
 * - `ingest`: a bare Fastify app. POST /webhooks/twilio verifies the Twilio signature with Twilio's
 *   own validator (as ingest-sms does), POST /webhooks/webchat the web chat HMAC over timestamp and
 *   raw body; each maps the request to one JSON event and answers 202 `{eventIds}` once Kafka
 *   acknowledged it: idempotent producer, acks=all, one request in flight, group commit (the settings
 *   of libs/shared/messaging's KafkaEventPublisher).
 * - `recorder`: a plain kafkajs consumer of those events, one multi-row INSERT per batch into
 *   `bare_events` (created_at = clock_timestamp()), then the batch produced on to the customer-events
 *   topic (the hub's store → relay).
 * - `decider`: a plain kafkajs consumer of the customer events doing, per event, one read (the
 *   customer's event count), one insert (`bare_decisions`) and one produce (the decision); one
 *   customer's events in order, BARE_DECIDER_CONCURRENCY (32, as NBA_CONCURRENCY) customers at once.
 *
 * Prints `{"msg":"ready", …}` once serving. Started and stopped by pipeline.bench.ts.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import Fastify from 'fastify';
import formbody from '@fastify/formbody';
import { Kafka, logLevel, Partitioners, type Message, type Producer } from 'kafkajs';
import { Pool } from 'pg';
import { validateRequest } from 'twilio/lib/webhooks/webhooks';
import { applyKafkajsIdleFix } from '@hub/messaging';

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`bare pipeline: ${name} is required`);
  return value;
};
const ROLE = env('BARE_ROLE');
const BROKERS = env('KAFKA_BROKERS').split(',');
const TOPIC_IN = env('BARE_TOPIC_INTERACTIONS');
const TOPIC_EVENTS = env('BARE_TOPIC_CUSTOMER_EVENTS');
const TOPIC_DECISIONS = env('BARE_TOPIC_DECISIONS');
const DECIDER_CONCURRENCY = Number(process.env['BARE_DECIDER_CONCURRENCY'] ?? '32');
// The same kafkajs fix the hub runs with (its request queues spin at ~1 kHz per idle connection without it): the reference measures the machine, not that bug.
applyKafkajsIdleFix();
const kafka = new Kafka({
  clientId: `bare-${ROLE}`,
  brokers: BROKERS,
  logLevel: logLevel.NOTHING,
});

interface BareEvent {
  eventId: string;
  customerKey: string;
  channel: 'sms' | 'webchat';
  text: string;
  occurredAt: string;
}

const uuidOf = (...parts: string[]): string => {
  const h = createHash('sha1').update(parts.join('|')).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
};

/** Group commit over an idempotent acks=all producer: what arrives while a request is out goes in the next one. */
class GroupCommitProducer {
  private readonly pending: {
    topic: string;
    messages: Message[];
    resolve(): void;
    reject(e: unknown): void;
  }[] = [];
  private flushing = false;
  constructor(private readonly producer: Producer) {}

  send(topic: string, messages: Message[]): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ topic, messages, resolve, reject });
      void this.flush();
    });
  }

  private async flush(): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0, 500);
      const byTopic = new Map<string, Message[]>();
      for (const p of batch) byTopic.set(p.topic, [...(byTopic.get(p.topic) ?? []), ...p.messages]);
      try {
        await this.producer.sendBatch({
          acks: -1,
          topicMessages: [...byTopic].map(([topic, messages]) => ({
            topic,
            messages,
          })),
        });
        for (const p of batch) p.resolve();
      } catch (err) {
        for (const p of batch) p.reject(err);
      }
    }
    this.flushing = false;
  }
}

async function producer(): Promise<GroupCommitProducer> {
  const p = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await p.connect();
  return new GroupCommitProducer(p);
}

async function ingest(): Promise<() => Promise<void>> {
  const authToken = env('TWILIO_AUTH_TOKEN');
  const webchatSecret = env('WEBCHAT_SIGNING_SECRET');
  const out = await producer();
  const app = Fastify({ logger: false, bodyLimit: 64 * 1024 });
  await app.register(formbody);
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  const publish = async (events: BareEvent[]) => {
    await out.send(
      TOPIC_IN,
      events.map((e) => ({ key: e.customerKey, value: JSON.stringify(e) })),
    );
    return { status: 'accepted', eventIds: events.map((e) => e.eventId) };
  };
  app.post('/webhooks/twilio', async (req, reply) => {
    const params = req.body as Record<string, string>;
    const url = `http://${req.headers.host ?? ''}${req.url}`;
    const signature = req.headers['x-twilio-signature'];
    if (typeof signature !== 'string' || !validateRequest(authToken, signature, url, params))
      return reply.code(401).send({ error: 'unauthorized' });
    const messageSid = params['MessageSid'];
    const from = params['From'];
    if (!messageSid || !from) return reply.code(400).send({ error: 'validation_failed' });
    const at = new Date().toISOString();
    return reply.code(202).send(
      await publish([
        {
          eventId: uuidOf('twilio', messageSid),
          customerKey: `phone|${from}`,
          channel: 'sms',
          text: params['Body'] ?? '',
          occurredAt: at,
        },
      ]),
    );
  });
  app.post('/webhooks/webchat', async (req, reply) => {
    const raw = req.body as Buffer;
    const ts = req.headers['x-webchat-timestamp'];
    const sig = req.headers['x-webchat-signature'];
    if (typeof ts !== 'string' || typeof sig !== 'string' || Math.abs(Date.now() / 1000 - Number(ts)) > 300)
      return reply.code(401).send({ error: 'unauthorized' });
    const expected = Buffer.from(`v1=${createHmac('sha256', webchatSecret).update(`${ts}.`).update(raw).digest('hex')}`);
    const given = Buffer.from(sig);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return reply.code(401).send({ error: 'unauthorized' });
    const p = JSON.parse(raw.toString('utf8')) as {
      sessionId: string;
      visitor: { id: string; phone?: string };
      messages: { id: string; sentAt: string; text?: string }[];
    };
    const key = p.visitor.phone ? `phone|${p.visitor.phone}` : `handle|webchat|${p.visitor.id}`;
    const events = p.messages.map((m) => ({
      eventId: uuidOf('webchat', p.sessionId, m.id),
      customerKey: key,
      channel: 'webchat' as const,
      text: m.text ?? '',
      occurredAt: m.sentAt,
    }));
    return reply.code(202).send(await publish(events));
  });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  console.log(JSON.stringify({ msg: 'ready', url }));
  return () => app.close();
}

async function recorder(pool: Pool): Promise<() => Promise<void>> {
  await pool.query(`create table if not exists bare_events (
    event_id uuid primary key, customer_key text not null, channel text not null, data jsonb not null,
    created_at timestamptz not null default clock_timestamp())`);
  await pool.query('create index if not exists bare_events_customer on bare_events (customer_key)');
  const out = await producer();
  const consumer = kafka.consumer({
    groupId: env('BARE_GROUP'),
    maxWaitTimeInMs: 20,
  });
  await consumer.connect();
  await consumer.subscribe({ topic: TOPIC_IN, fromBeginning: true });
  await consumer.run({
    partitionsConsumedConcurrently: 3,
    eachBatch: async ({ batch }) => {
      const events = batch.messages.map((m) => JSON.parse(m.value!.toString()) as BareEvent);
      if (events.length === 0) return;
      const values: string[] = [];
      const params: unknown[] = [];
      for (const e of events) {
        values.push(`($${params.length + 1}, $${params.length + 2}, $${params.length + 3}, $${params.length + 4})`);
        params.push(e.eventId, e.customerKey, e.channel, JSON.stringify(e));
      }
      await pool.query(
        `insert into bare_events (event_id, customer_key, channel, data) values ${values.join(', ')} on conflict (event_id) do nothing`,
        params,
      );
      await out.send(
        TOPIC_EVENTS,
        events.map((e) => ({ key: e.customerKey, value: JSON.stringify(e) })),
      );
    },
  });
  console.log(JSON.stringify({ msg: 'ready' }));
  return () => consumer.disconnect();
}

async function decider(pool: Pool): Promise<() => Promise<void>> {
  await pool.query(`create table if not exists bare_decisions (
    decision_id uuid primary key, customer_key text not null, based_on_event_id uuid not null, created_at timestamptz not null default clock_timestamp())`);
  const out = await producer();
  const consumer = kafka.consumer({
    groupId: env('BARE_GROUP'),
    maxWaitTimeInMs: 20,
  });
  await consumer.connect();
  await consumer.subscribe({ topic: TOPIC_EVENTS, fromBeginning: true });
  const decideOne = async (e: BareEvent) => {
    const seen = await pool.query<{ n: number }>('select count(*)::int as n from bare_events where customer_key = $1', [e.customerKey]);
    const decisionId = uuidOf('decision', e.eventId);
    await pool.query(
      'insert into bare_decisions (decision_id, customer_key, based_on_event_id) values ($1, $2, $3) on conflict do nothing',
      [decisionId, e.customerKey, e.eventId],
    );
    const value = {
      type: 'NextBestActionDecided',
      customerId: e.customerKey,
      data: { decisionId, basedOnEventId: e.eventId, interactionsSeen: seen.rows[0]?.n ?? 0 },
    };
    await out.send(TOPIC_DECISIONS, [{ key: e.customerKey, value: JSON.stringify(value) }]);
  };
  await consumer.run({
    partitionsConsumedConcurrently: 3,
    // One customer's events one after the other, up to DECIDER_CONCURRENCY customers at once (the nba-worker runs NBA_CONCURRENCY, 32, jobs at once).
    eachBatch: async ({ batch, heartbeat }) => {
      const byCustomer = new Map<string, BareEvent[]>();
      for (const m of batch.messages) {
        const e = JSON.parse(m.value!.toString()) as BareEvent;
        byCustomer.set(e.customerKey, [...(byCustomer.get(e.customerKey) ?? []), e]);
      }
      const queues = [...byCustomer.values()];
      await Promise.all(
        Array.from({ length: Math.min(DECIDER_CONCURRENCY, queues.length) }, async () => {
          for (let q = queues.shift(); q; q = queues.shift()) for (const e of q) await decideOne(e);
        }),
      );
      await heartbeat();
    },
  });
  console.log(JSON.stringify({ msg: 'ready' }));
  return () => consumer.disconnect();
}

async function main(): Promise<void> {
  const pool = new Pool({ connectionString: env('DATABASE_URL'), max: 20 });
  pool.on('error', () => undefined); // the database is dropped WITH (FORCE) at the end of the bench
  const stop =
    ROLE === 'ingest' ? await ingest() : ROLE === 'recorder' ? await recorder(pool) : ROLE === 'decider' ? await decider(pool) : undefined;
  if (!stop) throw new Error(`bare pipeline: unknown BARE_ROLE ${ROLE}`);
  const shutdown = () => void stop().finally(() => pool.end().finally(() => process.exit(0)));
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
