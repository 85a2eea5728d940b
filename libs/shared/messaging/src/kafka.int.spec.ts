import { createServer, type Socket } from 'node:net';
import { Kafka, logLevel } from 'kafkajs';
import { HeaderNames, HubError } from '@hub/contracts';
import { eventually, freshId, testInfra } from '@hub/testing';
import { createKafka } from './kafka.factory';
import { KafkaEventPublisher } from './kafka.event-publisher';
import { PermanentMessageError, startConsumer, type ConsumedMessage, type RunningConsumer } from './kafka.consumer';
import { PublisherSaturatedError, PublishUnavailableError } from './event-publisher.port';
import { ensureTopics } from './topics';
import { DEAD_LETTER_RAW_LIMIT_BYTES } from './dead-letter-body';

const brokers = testInfra().kafkaBrokers;
const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** A hub error that is not a `PermanentMessageError`: the consumer decides from `retryable` alone. */
class TestHubError extends HubError {
  constructor(
    readonly code: string,
    readonly retryable: boolean,
    message: string,
  ) {
    super(message);
  }
}

describe('kafkajs 2.2.4 against the pinned broker', () => {
  it('creates a topic, produces idempotently, consumes in a group and commits offsets', async () => {
    const kafka = new Kafka({ clientId: freshId('smoke'), brokers, logLevel: logLevel.NOTHING });
    const topic = freshId('smoke-topic');
    const groupId = freshId('smoke-group');
    await ensureTopics(kafka, [{ topic, numPartitions: 3 }]);
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const keys = Array.from({ length: 12 }, (_, i) => `customer-${i}`);
    await producer.send({ topic, acks: -1, messages: keys.flatMap((k) => [0, 1].map((n) => ({ key: k, value: `${k}:${n}` }))) });
    await producer.disconnect();

    const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 200 });
    const byKey = new Map<string, string[]>();
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        const k = message.key!.toString();
        byKey.set(k, [...(byKey.get(k) ?? []), message.value!.toString()]);
        await consumer.commitOffsets([{ topic, partition, offset: (BigInt(message.offset) + 1n).toString() }]);
      },
    });
    await eventually(async () => ([...byKey.values()].flat().length === 24 ? true : undefined), { what: '24 messages' });
    await consumer.disconnect();
    // Per-key order is kept: one key always lands on one partition.
    for (const k of keys) expect(byKey.get(k)).toEqual([`${k}:0`, `${k}:1`]);

    const admin = kafka.admin();
    await admin.connect();
    const committed = await admin.fetchOffsets({ groupId, topics: [topic] });
    const high = await admin.fetchTopicOffsets(topic);
    const committedTotal = committed[0]!.partitions.reduce((n, p) => n + Number(p.offset), 0);
    expect(committedTotal).toBe(high.reduce((n, p) => n + Number(p.high), 0));
    expect(committedTotal).toBe(24);
    await admin.disconnect();
  });
});

describe('ensureTopics', () => {
  it('returns once every partition of every new topic has a leader, and is a no-op for existing ones', async () => {
    const kafka = new Kafka({ clientId: freshId('topics'), brokers, logLevel: logLevel.NOTHING });
    // Many at once: a KRaft broker answers UNKNOWN_TOPIC_OR_PARTITION for a moment after creating each.
    const specs = Array.from({ length: 12 }, () => ({ topic: freshId('settle'), numPartitions: 6 }));
    await Promise.all([ensureTopics(kafka, specs.slice(0, 6)), ensureTopics(kafka, specs.slice(3))]);
    const admin = kafka.admin();
    await admin.connect();
    try {
      const { topics } = await admin.fetchTopicMetadata({ topics: specs.map((s) => s.topic) });
      expect(topics).toHaveLength(12);
      for (const t of topics) {
        expect(t.partitions).toHaveLength(6);
        expect(t.partitions.every((p) => p.leader >= 0)).toBe(true);
      }
      await ensureTopics(kafka, specs);
    } finally {
      await admin.disconnect();
    }
  });

  it('creates only the missing ones: a topic that exists is left as it is, whatever its partitions', async () => {
    const kafka = new Kafka({ clientId: freshId('topics'), brokers, logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    try {
      // An operator created one with fewer partitions than the hub would (their choice): it stays so.
      const theirs = { topic: freshId('theirs'), numPartitions: 6 };
      await ensureTopics(kafka, [{ ...theirs, numPartitions: 2 }]);
      const ours = { topic: freshId('ours'), numPartitions: 3 };
      await ensureTopics(kafka, [theirs, ours]);
      const { topics } = await admin.fetchTopicMetadata({ topics: [theirs.topic, ours.topic] });
      expect(Object.fromEntries(topics.map((t) => [t.name, t.partitions.length]))).toEqual({ [theirs.topic]: 2, [ours.topic]: 3 });
    } finally {
      await admin.disconnect();
    }
  });
});

describe('the hub consumer', () => {
  let consumer: RunningConsumer | undefined;
  let dlqConsumer: RunningConsumer | undefined;
  let publisher: KafkaEventPublisher;
  const kafka = createKafka({ brokers, clientId: freshId('consumer-test') });

  beforeAll(async () => {
    await ensureTopics(kafka);
    publisher = new KafkaEventPublisher(kafka);
    await publisher.start();
  });
  afterEach(async () => {
    await consumer?.stop();
    await dlqConsumer?.stop();
  });
  afterAll(() => publisher.close());

  it('dead-letters a permanent failure with its reason and source, and goes on with the next message', async () => {
    const topic = freshId('in');
    const dlq = freshId('dlq');
    await ensureTopics(kafka, [
      { topic, numPartitions: 1 },
      { topic: dlq, numPartitions: 1 },
    ]);
    const handled: string[] = [];
    consumer = await startConsumer(kafka, {
      groupId: freshId('g'),
      topics: [topic],
      deadLetter: { publisher, topic: dlq },
      logger: quiet,
      handle: async (m: ConsumedMessage) => {
        const v = m.value!.toString();
        if (v.includes('poison')) throw new PermanentMessageError('POISON', 'this message can never be processed');
        handled.push(v);
      },
    });
    const dead: ConsumedMessage[] = [];
    dlqConsumer = await startConsumer(kafka, {
      groupId: freshId('g'),
      topics: [dlq],
      deadLetter: { publisher, topic: dlq },
      logger: quiet,
      handle: async (m) => void dead.push(m),
    });
    await publisher.publish(topic, [
      { key: 'k', value: { n: 1 } },
      { key: 'k', value: { n: 'poison' } },
      { key: 'k', value: { n: 3 } },
    ]);
    await eventually(async () => (handled.length === 2 && dead.length === 1 ? true : undefined), {
      what: 'two handled, one dead-lettered',
    });
    expect(handled).toEqual(['{"n":1}', '{"n":3}']);
    expect(dead[0]!.headers[HeaderNames.dlqCode]).toBe('POISON');
    expect(dead[0]!.headers[HeaderNames.dlqReason]).toBe('this message can never be processed');
    expect(dead[0]!.headers[HeaderNames.dlqSourceTopic]).toBe(topic);
    expect(dead[0]!.headers[HeaderNames.dlqSourceOffset]).toBe('1');
    expect(JSON.parse(dead[0]!.value!.toString())).toEqual({
      raw: '{"n":"poison"}',
      rawBytes: 14,
      rawSha256: expect.stringMatching(/^[0-9a-f]{64}$/),
      truncated: false,
    });
  });

  it('redelivers a message whose handler failed transiently, so nothing is lost', async () => {
    const topic = freshId('in');
    await ensureTopics(kafka, [{ topic, numPartitions: 1 }]);
    let attempts = 0;
    const handled: string[] = [];
    consumer = await startConsumer(kafka, {
      groupId: freshId('g'),
      topics: [topic],
      deadLetter: { publisher, topic: freshId('unused') },
      logger: quiet,
      handle: async (m) => {
        if (++attempts <= 2) throw new Error('database briefly unavailable');
        handled.push(m.value!.toString());
      },
    });
    await publisher.publish(topic, [{ key: 'k', value: 'payload' }]);
    await eventually(async () => (handled.length > 0 ? true : undefined), { what: 'redelivery' });
    expect(handled).toEqual(['"payload"']);
    expect(attempts).toBe(3);
  });

  it('dead-letters any HubError with retryable false, not only PermanentMessageError, with its code and message', async () => {
    const topic = freshId('in');
    const dlq = freshId('dlq');
    await ensureTopics(kafka, [
      { topic, numPartitions: 1 },
      { topic: dlq, numPartitions: 1 },
    ]);
    const handled: string[] = [];
    consumer = await startConsumer(kafka, {
      groupId: freshId('g'),
      topics: [topic],
      deadLetter: { publisher, topic: dlq },
      logger: quiet,
      handle: async (m: ConsumedMessage) => {
        const v = m.value!.toString();
        if (v.includes('refused')) throw new TestHubError('TEST_REFUSED', false, 'the store refused it for good');
        handled.push(v);
      },
    });
    const dead: ConsumedMessage[] = [];
    dlqConsumer = await startConsumer(kafka, {
      groupId: freshId('g'),
      topics: [dlq],
      deadLetter: { publisher, topic: dlq },
      logger: quiet,
      handle: async (m) => void dead.push(m),
    });
    await publisher.publish(topic, [
      { key: 'k', value: { n: 'refused' } },
      { key: 'k', value: { n: 2 } },
    ]);
    await eventually(async () => (handled.length === 1 && dead.length === 1 ? true : undefined), {
      what: 'one handled, one dead-lettered',
    });
    expect(handled).toEqual(['{"n":2}']);
    expect(dead[0]!.headers[HeaderNames.dlqCode]).toBe('TEST_REFUSED');
    expect(dead[0]!.headers[HeaderNames.dlqReason]).toBe('the store refused it for good');
    expect(dead[0]!.headers[HeaderNames.dlqSourceOffset]).toBe('0');
  });

  it('retries a HubError with retryable true instead of dead-lettering it', async () => {
    const topic = freshId('in');
    await ensureTopics(kafka, [{ topic, numPartitions: 1 }]);
    let attempts = 0;
    const handled: string[] = [];
    consumer = await startConsumer(kafka, {
      groupId: freshId('g'),
      topics: [topic],
      deadLetter: { publisher, topic: freshId('unused') },
      logger: quiet,
      handle: async (m) => {
        if (++attempts <= 2) throw new TestHubError('TEST_UNAVAILABLE', true, 'store briefly unavailable');
        handled.push(m.value!.toString());
      },
    });
    await publisher.publish(topic, [{ key: 'k', value: 'payload' }]);
    await eventually(async () => (handled.length > 0 ? true : undefined), { what: 'redelivery' });
    expect(handled).toEqual(['"payload"']);
    expect(attempts).toBe(3);
  });
});

describe('the hub consumer in batch mode', () => {
  let consumer: RunningConsumer | undefined;
  let dlqConsumer: RunningConsumer | undefined;
  let publisher: KafkaEventPublisher;
  const kafka = createKafka({ brokers, clientId: freshId('batch-consumer-test') });
  /** The group's committed offsets of `topic`'s partitions, summed (a partition without a commit counts 0), and each. */
  async function committedOf(
    groupId: string,
    topic: string,
  ): Promise<{ total: number; partitions: { partition: number; offset: string }[] }> {
    const admin = kafka.admin();
    await admin.connect();
    try {
      const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
      const partitions = committed!.partitions;
      return { total: partitions.reduce((n, p) => n + Math.max(0, Number(p.offset)), 0), partitions };
    } finally {
      await admin.disconnect();
    }
  }

  beforeAll(async () => {
    publisher = new KafkaEventPublisher(kafka);
    await publisher.start();
  });
  afterEach(async () => {
    await consumer?.stop();
    await dlqConsumer?.stop();
  });
  afterAll(() => publisher.close());

  it('hands runs of one partition in offset order, at most maxBatchSize, dead-letters what it marks permanent, commits the rest', async () => {
    const topic = freshId('in');
    const dlq = freshId('dlq');
    const groupId = freshId('g');
    await ensureTopics(kafka, [
      { topic, numPartitions: 1 },
      { topic: dlq, numPartitions: 1 },
    ]);
    // Published before the consumer starts, so its first fetch finds a backlog to hand over in runs.
    await publisher.publish(
      topic,
      Array.from({ length: 25 }, (_, n) => ({ key: 'k', value: { n, poison: n === 7 } })),
    );
    const runs: number[][] = [];
    consumer = await startConsumer(kafka, {
      groupId,
      topics: [topic],
      deadLetter: { publisher, topic: dlq },
      logger: quiet,
      maxBatchSize: 10,
      handleBatch: async (messages) => {
        const values = messages.map((m) => JSON.parse(m.value!.toString()) as { n: number; poison: boolean });
        runs.push(values.map((v) => v.n));
        return values.map((v) => (v.poison ? new PermanentMessageError('POISON', `message ${v.n} can never be processed`) : undefined));
      },
    });
    const dead: ConsumedMessage[] = [];
    dlqConsumer = await startConsumer(kafka, {
      groupId: freshId('g'),
      topics: [dlq],
      deadLetter: { publisher, topic: dlq },
      logger: quiet,
      handle: async (m) => void dead.push(m),
    });

    await eventually(async () => (runs.flat().length === 25 && dead.length === 1 ? true : undefined), {
      what: '25 handled, one dead-lettered',
    });
    expect(runs.flat()).toEqual(Array.from({ length: 25 }, (_, n) => n));
    expect(Math.max(...runs.map((r) => r.length))).toBeLessThanOrEqual(10);
    expect(runs.some((r) => r.length > 1)).toBe(true);
    expect(dead[0]!.headers[HeaderNames.dlqCode]).toBe('POISON');
    expect(dead[0]!.headers[HeaderNames.dlqSourceOffset]).toBe('7');

    await consumer.stop();
    consumer = undefined;
    expect((await committedOf(groupId, topic)).partitions[0]!.offset).toBe('25');
  });

  it('commits handled offsets in the background, several runs and partitions in one OffsetCommit, without a stop', async () => {
    const topic = freshId('in');
    const groupId = freshId('g');
    await ensureTopics(kafka, [{ topic, numPartitions: 4 }]);
    let runs = 0;
    let handled = 0;
    consumer = await startConsumer(kafka, {
      groupId,
      topics: [topic],
      deadLetter: { publisher, topic },
      logger: quiet,
      partitionsConsumedConcurrently: 4,
      maxBatchSize: 1,
      commitIntervalMs: 400,
      handleBatch: async (messages) => {
        runs++;
        handled += messages.length;
        return messages.map(() => undefined);
      },
    });
    let commits = 0;
    consumer.consumer.on(consumer.consumer.events.REQUEST, ({ payload }) => {
      if (payload.apiName === 'OffsetCommit') commits++;
    });
    // Twenty messages over four partitions, each its own run (maxBatchSize 1).
    await publisher.publish(
      topic,
      Array.from({ length: 20 }, (_, n) => ({ key: `k${n}`, value: { n } })),
    );
    await eventually(async () => (handled === 20 ? true : undefined), { what: 'twenty handled' });
    // Committed while the consumer runs on (no stop), every partition up to its end (20 in all).
    await eventually(async () => ((await committedOf(groupId, topic)).total === 20 ? true : undefined), { what: 'all twenty committed' });
    expect(runs).toBe(20);
    // kafkajs's auto-commit sent one per run; shared, they are a handful.
    expect(commits).toBeGreaterThan(0);
    expect(commits).toBeLessThan(runs / 2);
  });

  it('gathers the runs of several partitions into one handleBatch call, each partition in order, and dead-letters and commits per message', async () => {
    const topic = freshId('in');
    const dlq = freshId('dlq');
    const groupId = freshId('g');
    await ensureTopics(kafka, [
      { topic, numPartitions: 4 },
      { topic: dlq, numPartitions: 1 },
    ]);
    // Published before the consumer starts: its first fetch holds runs of every partition.
    await publisher.publish(
      topic,
      Array.from({ length: 40 }, (_, n) => ({ key: `k${n % 20}`, value: { n, key: `k${n % 20}`, poison: n === 13 } })),
    );
    const calls: { partition: number; n: number; key: string }[][] = [];
    consumer = await startConsumer(kafka, {
      groupId,
      topics: [topic],
      deadLetter: { publisher, topic: dlq },
      logger: quiet,
      partitionsConsumedConcurrently: 4,
      gatherPartitions: true,
      handleBatch: async (messages) => {
        const values = messages.map((m) => ({
          partition: m.partition,
          ...(JSON.parse(m.value!.toString()) as { n: number; key: string; poison: boolean }),
        }));
        calls.push(values);
        return values.map((v) => (v.poison ? new PermanentMessageError('POISON', `message ${v.n} can never be processed`) : undefined));
      },
    });
    const dead: ConsumedMessage[] = [];
    dlqConsumer = await startConsumer(kafka, {
      groupId: freshId('g'),
      topics: [dlq],
      deadLetter: { publisher, topic: dlq },
      logger: quiet,
      handle: async (m) => void dead.push(m),
    });
    await eventually(async () => (calls.flat().length === 40 && dead.length === 1 ? true : undefined), {
      what: '40 handled, one dead-lettered',
    });

    // One call held several partitions' runs (the first fetch found all four ready).
    expect(Math.max(...calls.map((c) => new Set(c.map((v) => v.partition)).size))).toBeGreaterThan(1);
    expect(calls.length).toBeLessThan(4);
    // Every message once; each key (so each partition) in the order it was published.
    expect(
      calls
        .flat()
        .map((v) => v.n)
        .sort((a, b) => a - b),
    ).toEqual(Array.from({ length: 40 }, (_, n) => n));
    expect(new Set(calls.flat().map((v) => v.partition)).size).toBeGreaterThan(2);
    for (let k = 0; k < 20; k++) {
      const ns = calls
        .flat()
        .filter((v) => v.key === `k${k}`)
        .map((v) => v.n);
      expect(ns).toEqual([...ns].sort((a, b) => a - b));
    }
    expect(dead[0]!.headers[HeaderNames.dlqCode]).toBe('POISON');

    await consumer.stop();
    consumer = undefined;
    expect((await committedOf(groupId, topic)).total).toBe(40);
  });

  it('with fetchWaitMs, messages published one at a time within the wait reach the handler together, not one run each', async () => {
    const topic = freshId('in');
    const groupId = freshId('g');
    await ensureTopics(kafka, [{ topic, numPartitions: 1 }]);
    const calls: number[][] = [];
    consumer = await startConsumer(kafka, {
      groupId,
      topics: [topic],
      deadLetter: { publisher, topic },
      logger: quiet,
      fetchWaitMs: 3_000,
      handleBatch: async (messages) => {
        calls.push(messages.map((m) => (JSON.parse(m.value!.toString()) as { n: number }).n));
        return messages.map(() => undefined);
      },
    });
    // A first message, handled: the consumer is in its group and fetching from here on.
    await publisher.publish(topic, [{ key: 'k', value: { n: 0 } }]);
    await eventually(async () => (calls.flat().includes(0) ? true : undefined), { what: 'the first message handled' });
    const before = calls.length;
    // Twelve messages, each its own acknowledged publish: with a fetch answered at the first byte,
    // each would be a turn of its own (and a handler call); held for more, they come together.
    for (let n = 1; n <= 12; n++) await publisher.publish(topic, [{ key: 'k', value: { n } }]);
    await eventually(async () => (calls.flat().length === 13 ? true : undefined), { what: '13 handled' });
    expect(calls.flat()).toEqual(Array.from({ length: 13 }, (_, n) => n));
    expect(calls.length - before).toBeLessThanOrEqual(2);
  });

  it('gathering, a run that keeps failing holds back only its own partition: the others are handled meanwhile', async () => {
    const topic = freshId('in');
    const groupId = freshId('g');
    await ensureTopics(kafka, [{ topic, numPartitions: 4 }]);
    await publisher.publish(
      topic,
      Array.from({ length: 24 }, (_, n) => ({ key: `k${n % 12}`, value: { n, blocked: n === 5 } })),
    );
    let blocked = true;
    const handled = new Set<number>();
    const partitionOf = new Map<number, number>();
    consumer = await startConsumer(kafka, {
      groupId,
      topics: [topic],
      deadLetter: { publisher, topic },
      logger: quiet,
      partitionsConsumedConcurrently: 4,
      gatherPartitions: true,
      handleBatch: async (messages) => {
        const values = messages.map((m) => ({
          partition: m.partition,
          ...(JSON.parse(m.value!.toString()) as { n: number; blocked: boolean }),
        }));
        for (const v of values) partitionOf.set(v.n, v.partition);
        // A customer whose stream stays locked: the whole call fails while it is in it.
        if (blocked && values.some((v) => v.blocked)) throw new Error('lock timeout');
        for (const v of values) handled.add(v.n);
        return values.map(() => undefined);
      },
    });
    // Every message outside message 5's partition is handled while 5 keeps failing.
    await eventually(
      async () => {
        if (partitionOf.size < 24) return undefined;
        const others = [...partitionOf].filter(([, p]) => p !== partitionOf.get(5)).map(([n]) => n);
        return others.length > 0 && others.every((n) => handled.has(n)) ? true : undefined;
      },
      { what: 'the other partitions handled while 5 fails' },
    );
    expect(handled.has(5)).toBe(false);
    blocked = false;
    await eventually(async () => (handled.size === 24 ? true : undefined), { what: 'all 24 once unblocked' });
  });

  it('keeps its place in the group through a run longer than the session timeout: nothing is handed twice', async () => {
    const topic = freshId('in');
    await ensureTopics(kafka, [{ topic, numPartitions: 1 }]);
    await publisher.publish(
      topic,
      Array.from({ length: 4 }, (_, n) => ({ key: 'k', value: n })),
    );
    const handled: number[] = [];
    consumer = await startConsumer(kafka, {
      groupId: freshId('g'),
      topics: [topic],
      deadLetter: { publisher, topic: freshId('unused') },
      logger: quiet,
      sessionTimeoutMs: 10_000,
      maxBatchSize: 2,
      handleBatch: async (messages) => {
        const values = messages.map((m) => Number(m.value!.toString()));
        // One and a half session timeouts: without heartbeats during the run the member is dropped.
        if (values.includes(0)) await new Promise((r) => setTimeout(r, 15_000));
        handled.push(...values);
        return values.map(() => undefined);
      },
    });
    await eventually(async () => (handled.includes(3) ? true : undefined), { what: 'every message', timeoutMs: 60_000 });
    await new Promise((r) => setTimeout(r, 2_000));
    expect(handled).toEqual([0, 1, 2, 3]);
  }, 90_000);

  it('hands a run again after its handler failed transiently, from its first message', async () => {
    const topic = freshId('in');
    await ensureTopics(kafka, [{ topic, numPartitions: 1 }]);
    await publisher.publish(
      topic,
      Array.from({ length: 6 }, (_, n) => ({ key: 'k', value: n })),
    );
    let failures = 0;
    const handled: number[] = [];
    consumer = await startConsumer(kafka, {
      groupId: freshId('g'),
      topics: [topic],
      deadLetter: { publisher, topic: freshId('unused') },
      logger: quiet,
      maxBatchSize: 3,
      handleBatch: async (messages) => {
        const values = messages.map((m) => Number(m.value!.toString()));
        if (values.includes(4) && failures++ < 2) throw new Error('database briefly unavailable');
        handled.push(...values);
        return values.map(() => undefined);
      },
    });
    await eventually(async () => (handled.includes(5) ? true : undefined), { what: 'every message after the retries' });
    expect(failures).toBe(3);
    // Nothing lost, nothing of the failed run taken as handled: 0-2 once, then 3-5 once after the retries.
    expect(handled).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('retries a run that keeps failing on its own partition, paused, without restarting the consumer, while the other partitions go on', async () => {
    // Partition 0's runs fail ten times in a row (a customer's stream lock held by another writer);
    // partition 1 gets messages meanwhile. Thrown back to kafkajs, the failures stopped all fetching
    // for each backoff, and after 8 in a row kafkajs restarted the consumer: it left and rejoined its
    // group, a rebalance for every member. Now the partition is paused between attempts instead.
    const topic = freshId('in');
    await ensureTopics(kafka, [{ topic, numPartitions: 2 }]);
    const producer = kafka.producer();
    await producer.connect();
    try {
      await producer.send({ topic, messages: [0, 1, 2].map((n) => ({ partition: 0, value: String(n) })) });
      let p0Attempts = 0;
      const p0Handled: number[] = [];
      const p1Handled: number[] = [];
      consumer = await startConsumer(kafka, {
        groupId: freshId('g'),
        topics: [topic],
        deadLetter: { publisher, topic: freshId('unused') },
        logger: quiet,
        handleBatch: async (messages) => {
          const values = messages.map((m) => Number(m.value!.toString()));
          if (messages[0]!.partition === 1) p1Handled.push(...values);
          else if (++p0Attempts <= 10) throw new Error('canceling statement due to lock timeout');
          else p0Handled.push(...values);
          return values.map(() => undefined);
        },
      });
      let joins = 0;
      consumer.consumer.on(consumer.consumer.events.GROUP_JOIN, () => void joins++);
      await eventually(async () => (p0Attempts >= 1 ? true : undefined), { what: 'a first attempt on partition 0' });
      for (let n = 0; n < 10; n++) {
        await producer.send({ topic, messages: [{ partition: 1, value: String(100 + n) }] });
        await new Promise((r) => setTimeout(r, 500));
      }
      await eventually(async () => (p1Handled.includes(109) ? true : undefined), {
        what: 'partition 1 handled while partition 0 fails',
        timeoutMs: 60_000,
      });
      await eventually(async () => (p0Handled.length === 3 ? true : undefined), {
        what: 'partition 0 after its tenth failure',
        timeoutMs: 100_000,
      });
      expect(p0Handled).toEqual([0, 1, 2]);
      expect(p0Attempts).toBe(11);
      expect([...new Set(p1Handled)].sort((a, b) => a - b)).toEqual(Array.from({ length: 10 }, (_, n) => 100 + n));
      // Joined once, at the start (the listener came after it): never left and rejoined.
      expect(joins).toBe(0);
    } finally {
      await producer.disconnect();
    }
  }, 180_000);

  it('dead-letters a returned non-retryable HubError, and hands the run again when one returned says retrying may help', async () => {
    const topic = freshId('in');
    const dlq = freshId('dlq');
    await ensureTopics(kafka, [
      { topic, numPartitions: 1 },
      { topic: dlq, numPartitions: 1 },
    ]);
    await publisher.publish(
      topic,
      Array.from({ length: 4 }, (_, n) => ({ key: 'k', value: n })),
    );
    let busy = 2;
    const handled: number[] = [];
    consumer = await startConsumer(kafka, {
      groupId: freshId('g'),
      topics: [topic],
      deadLetter: { publisher, topic: dlq },
      logger: quiet,
      maxBatchSize: 4,
      handleBatch: async (messages) => {
        const values = messages.map((m) => Number(m.value!.toString()));
        const retry = values.includes(2) && busy-- > 0;
        const outcomes = values.map((v) =>
          v === 1
            ? new TestHubError('TEST_REFUSED', false, `message ${v} refused`)
            : v === 2 && retry
              ? new TestHubError('TEST_BUSY', true, 'briefly busy')
              : undefined,
        );
        if (!retry) handled.push(...values.filter((v) => v !== 1));
        return outcomes;
      },
    });
    const dead: ConsumedMessage[] = [];
    dlqConsumer = await startConsumer(kafka, {
      groupId: freshId('g'),
      topics: [dlq],
      deadLetter: { publisher, topic: dlq },
      logger: quiet,
      handle: async (m) => void dead.push(m),
    });
    await eventually(async () => (handled.includes(3) && dead.length === 1 ? true : undefined), {
      what: 'every message after the retries',
    });
    expect(busy).toBeLessThan(1);
    // The retried runs were not taken as handled, and the refused message is dead-lettered once, after the retries.
    expect(handled).toEqual([0, 2, 3]);
    expect(dead.map((m) => m.headers[HeaderNames.dlqCode])).toEqual(['TEST_REFUSED']);
    expect(dead[0]!.headers[HeaderNames.dlqSourceOffset]).toBe('1');
  });
  it('hands a run that throws a permanent error over one message at a time: the one at fault is dead-lettered (cut when large), the rest handled, and the partition flows on', async () => {
    const topic = freshId('in');
    const dlq = freshId('dlq');
    await ensureTopics(kafka, [
      { topic, numPartitions: 1 },
      { topic: dlq, numPartitions: 1 },
    ]);
    // Message 3 is poison and large: the handler throws for any run holding it (it cannot say which message is at fault).
    const big = 'x'.repeat(DEAD_LETTER_RAW_LIMIT_BYTES + 10_000);
    await publisher.publish(
      topic,
      Array.from({ length: 6 }, (_, n) => ({ key: 'k', value: n === 3 ? { n, big } : { n } })),
    );
    const runs: number[][] = [];
    const handled: number[] = [];
    consumer = await startConsumer(kafka, {
      groupId: freshId('g'),
      topics: [topic],
      deadLetter: { publisher, topic: dlq },
      logger: quiet,
      maxBatchSize: 6,
      handleBatch: async (messages) => {
        const values = messages.map((m) => (JSON.parse(m.value!.toString()) as { n: number }).n);
        runs.push(values);
        if (values.includes(3)) throw new PermanentMessageError('POISON_RUN', 'this run can never be handled');
        handled.push(...values);
        return values.map(() => undefined);
      },
    });
    const dead: ConsumedMessage[] = [];
    dlqConsumer = await startConsumer(kafka, {
      groupId: freshId('g'),
      topics: [dlq],
      deadLetter: { publisher, topic: dlq },
      logger: quiet,
      handle: async (m) => void dead.push(m),
    });
    await eventually(async () => (handled.includes(5) && dead.length === 1 ? true : undefined), {
      what: 'every message handled or dead-lettered',
    });
    expect(runs.filter((r) => r.length > 1 && r.includes(3)).length).toBeGreaterThan(0);
    expect([...new Set(handled)].sort()).toEqual([0, 1, 2, 4, 5]);
    expect(dead[0]!.headers[HeaderNames.dlqCode]).toBe('POISON_RUN');
    expect(dead[0]!.headers[HeaderNames.dlqSourceOffset]).toBe('3');
    const body = JSON.parse(dead[0]!.value!.toString()) as { raw: string; truncated: boolean; rawBytes: number };
    expect(body).toMatchObject({ truncated: true, rawBytes: Buffer.byteLength(JSON.stringify({ n: 3, big })) });
    expect(body.raw.length).toBe(DEAD_LETTER_RAW_LIMIT_BYTES);
  });
});

describe('the publisher with a publish larger than the broker takes in one request', () => {
  it('sends it in parts, in order, and resolves once every part is acknowledged', async () => {
    const kafka = createKafka({ brokers, clientId: freshId('large-publish') });
    const topic = freshId('large');
    await ensureTopics(kafka, [{ topic, numPartitions: 1 }]);
    const publisher = new KafkaEventPublisher(kafka);
    await publisher.start();
    // 300 × 8 KiB = 2.4 MB for one partition: one request would exceed the broker's 1 MiB batch limit.
    const padding = 'x'.repeat(8 * 1024);
    await publisher.publish(
      topic,
      Array.from({ length: 300 }, (_, n) => ({ key: 'one-customer', value: { n, padding } })),
    );
    await publisher.close();

    const seen: number[] = [];
    const consumer = kafka.consumer({ groupId: freshId('g'), maxWaitTimeInMs: 200 });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void seen.push((JSON.parse(message.value!.toString()) as { n: number }).n) });
    try {
      await eventually(async () => (seen.length >= 300 ? true : undefined), { what: '300 messages' });
    } finally {
      await consumer.disconnect();
    }
    expect(seen).toEqual(Array.from({ length: 300 }, (_, n) => n));
  });
});

describe('the publisher with no broker listening', () => {
  it('fails with PublishUnavailableError instead of hanging or buffering', async () => {
    const dead = createKafka({ brokers: ['127.0.0.1:1'], clientId: 'nobody', connectionTimeoutMs: 300, requestTimeoutMs: 500 });
    const publisher = new KafkaEventPublisher(dead, { sendTimeoutMs: 2_000, retryAfterSeconds: 7 });
    expect(await publisher.start()).toBe(false);
    expect(publisher.ready).toBe(false);
    const err = await publisher.publish('any', [{ key: 'k', value: 1 }]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PublishUnavailableError);
    expect((err as PublishUnavailableError).retryAfterSeconds).toBe(7);
    await publisher.close();
  });
});

describe('the publisher with a broker that accepts connections and never answers', () => {
  it('drops what timed out before it was sent, and refuses at once what would queue beyond maxQueuedBytes', async () => {
    const sockets: Socket[] = [];
    const server = createServer((socket) => void sockets.push(socket)); // takes the connection, never answers
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    const hung = createKafka({ brokers: [`127.0.0.1:${port}`], clientId: 'hung', connectionTimeoutMs: 300, requestTimeoutMs: 10_000 });
    const publisher = new KafkaEventPublisher(hung, { sendTimeoutMs: 400, maxQueuedBytes: 8 * 1024 });
    const value = 'x'.repeat(1_000);
    try {
      const first = publisher.publish('t', [{ key: 'k', value }]); // taken by the request that hangs
      const queued = Array.from({ length: 5 }, (_, i) => publisher.publish('t', [{ key: `q${i}`, value }]));
      expect(publisher.queuedBytes).toBeGreaterThan(5_000);
      const started = Date.now();
      const more = Array.from({ length: 5 }, (_, i) =>
        publisher.publish('t', [{ key: `m${i}`, value }]).then(
          () => ({ error: undefined as unknown, afterMs: Date.now() - started }),
          (error: unknown) => ({ error, afterMs: Date.now() - started }),
        ),
      );
      // Beyond 8 KiB queued, a publish is refused at once (well before the 400 ms send timeout) rather than buffered.
      const saturated = (await Promise.all(more)).filter((o) => o.error instanceof PublisherSaturatedError);
      expect(saturated.length).toBeGreaterThan(0);
      expect(saturated.every((o) => o.afterMs < 200)).toBe(true);
      const timedOut = await Promise.allSettled([first, ...queued]);
      expect(timedOut.every((o) => o.status === 'rejected' && o.reason instanceof PublishUnavailableError)).toBe(true);
      // Nothing the callers were told failed is still waiting to be sent (it would only duplicate their retry).
      expect(publisher.queuedBytes).toBe(0);
    } finally {
      await Promise.race([publisher.close(), new Promise((r) => setTimeout(r, 2_000))]);
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('the publisher after a request that failed', () => {
  it('sends the next one through a new producer (new id, sequences from zero), and it is delivered', async () => {
    const kafka = createKafka({ brokers, clientId: freshId('renew') });
    const topic = freshId('renew');
    await ensureTopics(kafka, [{ topic, numPartitions: 1 }]);
    const publisher = new KafkaEventPublisher(kafka, { sendTimeoutMs: 30_000 });
    await publisher.start();
    await publisher.publish(topic, [{ key: 'a', value: { n: 1 } }]);
    expect(publisher.generation).toBe(1);

    // A topic the broker does not have (and will not create): the request fails after its retries.
    await expect(publisher.publish(freshId('missing'), [{ key: 'a', value: { n: 0 } }])).rejects.toBeInstanceOf(PublishUnavailableError);
    await publisher.publish(topic, [{ key: 'a', value: { n: 2 } }]);
    expect(publisher.generation).toBe(2);
    await publisher.publish(topic, [{ key: 'a', value: { n: 3 } }]);
    expect(publisher.generation).toBe(2);
    await publisher.close();

    const seen: number[] = [];
    const consumer = kafka.consumer({ groupId: freshId('g'), maxWaitTimeInMs: 200 });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void seen.push((JSON.parse(message.value!.toString()) as { n: number }).n) });
    try {
      await eventually(async () => (seen.length >= 3 ? true : undefined), { what: '3 messages' });
    } finally {
      await consumer.disconnect();
    }
    expect(seen).toEqual([1, 2, 3]);
  }, 60_000);
});
