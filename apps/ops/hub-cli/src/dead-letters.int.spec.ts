import pino from 'pino';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { HeaderNames, hubNames } from '@hub/contracts';
import {
  ensureTopics,
  hubTopicSpecs,
  KafkaEventPublisher,
  PermanentMessageError,
  startConsumer,
  type DeadLetter,
  type RunningConsumer,
} from '@hub/messaging';
import { eventually, freshId, testInfra } from '@hub/testing';
import { runCli, TEST_KEK } from './testing/cli-harness';

/**
 * `hub dead-letters redrive` against the real Kafka: a consumer dead-letters by reference (as
 * ingest-api's raw consumer does), and the CLI produces the message to its topic again, read back at
 * its coordinates, once the cause is gone. Topics of its own (a fresh HUB_NAMESPACE); no database.
 */
const infra = testInfra();
const namespace = freshId('dl');
const names = hubNames(namespace);
const kafka = new Kafka({ clientId: freshId('dl-test'), brokers: infra.kafkaBrokers, logLevel: logLevel.NOTHING });
const env = { KAFKA_BROKERS: infra.kafkaBrokers.join(','), HUB_KEK: TEST_KEK, HUB_NAMESPACE: namespace, LOG_LEVEL: 'error' };
const allowed = new Set<string>(['acme']);
const taken: { value: string; headers: Record<string, string> }[] = [];

let publisher: KafkaEventPublisher;
let consumer: RunningConsumer;
let copying: RunningConsumer;
let producer: Producer;

beforeAll(async () => {
  await ensureTopics(kafka, hubTopicSpecs(names));
  publisher = new KafkaEventPublisher(kafka, {});
  await publisher.start();
  // A consumer of the raw topic that refuses the tenants it does not know yet, dead-lettering them by reference.
  consumer = await startConsumer(kafka, {
    groupId: freshId('dl-raw'),
    topics: [names.topics.rawInteractions],
    deadLetter: { publisher, topic: names.topics.deadLetter, keep: 'reference' },
    logger: pino({ level: 'silent' }),
    handle: async (message) => {
      const { tenantId } = JSON.parse(message.value!.toString()) as { tenantId: string };
      if (!allowed.has(tenantId))
        throw new PermanentMessageError('TENANT_NOT_ALLOWED', 'tenantId: tenant_not_allowed', { [HeaderNames.tenantId]: tenantId });
      taken.push({ value: message.value!.toString(), headers: message.headers });
    },
  });
  // The same on `interactions`, dead-lettering by copy (the default): the message itself is in the letter.
  copying = await startConsumer(kafka, {
    groupId: freshId('dl-interactions'),
    topics: [names.topics.interactions],
    deadLetter: { publisher, topic: names.topics.deadLetter },
    logger: pino({ level: 'silent' }),
    handle: async (message) => {
      const { tenantId } = JSON.parse(message.value!.toString()) as { tenantId: string };
      if (!allowed.has(tenantId))
        throw new PermanentMessageError('TENANT_NOT_ALLOWED', 'tenantId: tenant_not_allowed', { [HeaderNames.tenantId]: tenantId });
      taken.push({ value: message.value!.toString(), headers: message.headers });
    },
  });
  producer = kafka.producer();
  await producer.connect();
}, 60_000);

afterAll(async () => {
  await producer?.disconnect();
  await consumer?.stop();
  await copying?.stop();
  await publisher?.close();
});

const deadLetterCount = async () => {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return (await admin.fetchTopicOffsets(names.topics.deadLetter)).reduce((n, p) => n + Number(p.high), 0);
  } finally {
    await admin.disconnect();
  }
};

describe('hub dead-letters redrive', () => {
  it('produces the referenced messages of the tenant asked for to their topic again, once the tenant is allowed', async () => {
    const marker = freshId('m');
    const [sent] = await producer.send({
      topic: names.topics.rawInteractions,
      acks: -1,
      messages: [{ key: 'k1', value: JSON.stringify({ tenantId: 'globex', marker }), headers: { 'x-sender': 'crm' } }],
    });
    await producer.send({
      topic: names.topics.rawInteractions,
      acks: -1,
      messages: [{ key: 'k2', value: JSON.stringify({ tenantId: 'initech', marker }) }],
    });
    await eventually(async () => ((await deadLetterCount()) === 2 ? true : undefined), { what: 'two dead letters' });

    const usage = await runCli(['dead-letters', 'redrive', '--source', 'nowhere'], env);
    expect(usage.code).toBe(2);
    const elsewhere = await runCli(['dead-letters', 'redrive', '--source', 'raw-interactions'], { ...env, HUB_NAMESPACE: freshId('none') });
    expect(elsewhere.code).toBe(1);
    expect(elsewhere.stderr).toMatch(/Kafka has no topic .*hub\.dead-letter\.v1/);

    allowed.add('globex');
    const dry = await runCli(['dead-letters', 'redrive', '--source', 'raw-interactions', '--tenant', 'globex', '--dry-run'], env);
    expect(dry.stderr).toBe('');
    expect(JSON.parse(dry.stdout)).toEqual(
      expect.objectContaining({ selected: 1, redriven: [expect.objectContaining({ topic: names.topics.rawInteractions })], dryRun: true }),
    );
    expect(taken).toEqual([]);

    const real = await runCli(
      ['dead-letters', 'redrive', '--source', 'raw-interactions', '--tenant', 'globex', '--code', 'TENANT_NOT_ALLOWED'],
      env,
    );
    expect(real.code).toBe(0);
    const report = JSON.parse(real.stdout) as {
      redriven: { partition: number; offset: string }[];
      gone: unknown[];
      nextOffsets: Record<string, string>;
    };
    expect(report.gone).toEqual([]);
    expect(report.redriven).toEqual([{ topic: names.topics.rawInteractions, partition: sent!.partition, offset: sent!.baseOffset }]);
    const [again] = await eventually(async () => (taken.length > 0 ? taken : undefined), { what: 'the re-driven message taken' });
    expect(JSON.parse(again!.value)).toEqual({ tenantId: 'globex', marker });
    expect(again!.headers['x-sender']).toBe('crm');
    expect(again!.headers[HeaderNames.redrivenFrom]).toBe(`${names.topics.rawInteractions}:${sent!.partition}:${sent!.baseOffset}`);
    // initech is still refused: not selected, not re-driven.
    expect(taken.filter((t) => t.value.includes('initech'))).toEqual([]);
  }, 90_000);

  it('produces a dead letter kept by copy from the copy itself: key, value and the sender’s headers as they were', async () => {
    const marker = freshId('c');
    const [sent] = await producer.send({
      topic: names.topics.interactions,
      acks: -1,
      messages: [{ key: 'k3', value: JSON.stringify({ tenantId: 'umbrella', marker }), headers: { 'x-sender': 'shop' } }],
    });
    await eventually(async () => ((await deadLetterCount()) === 3 ? true : undefined), { what: 'the third dead letter' });
    allowed.add('umbrella');
    const run = await runCli(['dead-letters', 'redrive', '--source', 'interactions', '--tenant', 'umbrella'], env);
    expect(run.code).toBe(0);
    expect((JSON.parse(run.stdout) as { redriven: unknown[] }).redriven).toEqual([
      { topic: names.topics.interactions, partition: sent!.partition, offset: sent!.baseOffset },
    ]);
    const again = await eventually(async () => taken.find((t) => t.value.includes(marker)), { what: 'the re-driven copy taken' });
    expect(JSON.parse(again.value)).toEqual({ tenantId: 'umbrella', marker });
    expect(again.headers['x-sender']).toBe('shop');
    expect(again.headers[HeaderNames.dlqCode]).toBeUndefined();
  }, 90_000);
});

describe('hub dead-letters list', () => {
  it('lists the dead letters newest first, filtered, as they hold them: a reference shows no payload, and says it re-drives from its source', async () => {
    const run = await runCli(
      ['dead-letters', 'list', '--source', 'raw-interactions', '--tenant', 'initech', '--reason', 'not_allowed'],
      env,
    );
    expect(run).toMatchObject({ code: 0, stderr: '' });
    const page = JSON.parse(run.stdout) as { topic: string; deadLetters: DeadLetter[]; nextBefore: string | null };
    expect(page.topic).toBe(names.topics.deadLetter);
    expect(page.deadLetters).toHaveLength(1);
    const [letter] = page.deadLetters;
    expect(letter).toMatchObject({
      code: 'TENANT_NOT_ALLOWED',
      tenantId: 'initech',
      source: { topic: names.topics.rawInteractions },
      redrive: { possible: true, from: 'source' },
    });
    expect(JSON.stringify(letter!.body)).not.toContain('initech');

    const newest = await runCli(['dead-letters', 'list', '--limit', '1'], env);
    const first = JSON.parse(newest.stdout) as { deadLetters: DeadLetter[]; nextBefore: string };
    expect(first.deadLetters).toHaveLength(1);
    const older = JSON.parse((await runCli(['dead-letters', 'list', '--limit', '1', '--before', first.nextBefore], env)).stdout) as {
      deadLetters: DeadLetter[];
    };
    expect(BigInt(older.deadLetters[0]!.offset)).toBeLessThan(BigInt(first.deadLetters[0]!.offset));

    expect((await runCli(['dead-letters', 'list', '--dry-run'], env)).code).toBe(2);
    expect((await runCli(['dead-letters', 'redrive', '--source', 'interactions', '--limit', '3'], env)).code).toBe(2);
  }, 60_000);
});
