import type { Consumer, KafkaMessage } from 'kafkajs';
import { HeaderNames, hubNames } from '@hub/contracts';
import {
  createKafka,
  deadLetterBody,
  ensureTopics,
  hubTopicSpecs,
  KafkaEventPublisher,
  REDRIVEN_FROM_HEADER,
  type DeadLetter,
} from '@hub/messaging';
import { eventually, freshId, testInfra } from '@hub/testing';
import { runCli, TEST_KEK } from './testing/cli-harness';

/**
 * `hub dead-letters list|redrive` on the real Kafka, under a namespace of its own: the same functions
 * as the query API's operator routes (their int spec covers the filters and the cases in depth).
 */
jest.setTimeout(60_000);

const namespace = freshId('cli-dl');
const names = hubNames(namespace);
const infra = testInfra();
const env = {
  DATABASE_URL: infra.databaseUrl,
  KAFKA_BROKERS: infra.kafkaBrokers.join(','),
  HUB_NAMESPACE: namespace,
  HUB_KEK: TEST_KEK,
  LOG_LEVEL: 'error',
};
const kafka = createKafka({ brokers: infra.kafkaBrokers, clientId: freshId('cli-dl') });
let publisher: KafkaEventPublisher;
let consumer: Consumer;
const seen: KafkaMessage[] = [];

beforeAll(async () => {
  await ensureTopics(kafka, hubTopicSpecs(names));
  publisher = new KafkaEventPublisher(kafka);
  await publisher.start();
  consumer = kafka.consumer({ groupId: freshId('cli-dl-reader') });
  await consumer.connect();
  await consumer.subscribe({ topic: names.topics.interactions, fromBeginning: true });
  await consumer.run({ eachMessage: async ({ message }) => void seen.push(message) });
});

afterAll(async () => {
  await consumer?.disconnect();
  await publisher?.close();
});

describe('hub dead-letters', () => {
  it('given a dead letter, then list shows it with its reason and redrive puts the message back on its topic', async () => {
    const marker = freshId('m');
    const raw = Buffer.from(JSON.stringify({ marker }));
    await publisher.publish(names.topics.deadLetter, [
      {
        key: 'k-cli',
        value: deadLetterBody(raw),
        headers: {
          [HeaderNames.dlqCode]: 'INVALID_EVENT',
          [HeaderNames.dlqReason]: `${marker} is not an interaction`,
          [HeaderNames.dlqSourceTopic]: names.topics.interactions,
          [HeaderNames.dlqSourcePartition]: '2',
          [HeaderNames.dlqSourceOffset]: '17',
        },
      },
    ]);
    const listed = await runCli(['dead-letters', 'list', '--topic', names.topics.interactions, '--reason', marker], env);
    expect(listed).toMatchObject({ code: 0, stderr: '' });
    const page = JSON.parse(listed.stdout) as { topic: string; deadLetters: DeadLetter[] };
    expect(page.topic).toBe(names.topics.deadLetter);
    expect(page.deadLetters).toHaveLength(1);
    const [dead] = page.deadLetters;
    expect(dead).toMatchObject({ code: 'INVALID_EVENT', key: 'k-cli', redrive: { possible: true, from: 'dead-letter' } });

    const redriven = await runCli(['dead-letters', 'redrive', '--partition', String(dead!.partition), '--offset', dead!.offset], env);
    expect(redriven.code).toBe(0);
    expect(JSON.parse(redriven.stdout)).toEqual({
      redriven: [{ partition: dead!.partition, offset: dead!.offset, topic: names.topics.interactions }],
      skipped: [],
    });
    const back = await eventually(async () => seen.find((m) => m.value?.toString() === raw.toString()), {
      what: 'the message back on its topic',
    });
    expect(back.key?.toString()).toBe('k-cli');
    expect(back.headers?.[REDRIVEN_FROM_HEADER]?.toString()).toBe(`${names.topics.deadLetter}:${dead!.partition}:${dead!.offset}`);
  });

  it('given bad arguments, then usage (exit 2) before anything connects', async () => {
    expect((await runCli(['dead-letters', 'redrive'], env)).code).toBe(2);
    expect((await runCli(['dead-letters', 'list', '--offset', '3'], env)).code).toBe(2);
    expect((await runCli(['dead-letters', 'redrive', '--topic', 't', '--partition', '0', '--offset', '1'], env)).code).toBe(2);
    expect((await runCli(['dead-letters', 'drop'], env)).code).toBe(2);
  });
});
