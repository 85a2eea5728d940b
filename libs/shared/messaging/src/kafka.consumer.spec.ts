import { EventEmitter } from 'node:events';
import type { Consumer, Kafka } from 'kafkajs';
import { startConsumer } from './kafka.consumer';

/**
 * kafkajs's consumer, as far as startConsumer drives it: calls are counted and CRASH is emitted by
 * the test, as kafkajs emits it (`restart: false` when it will not restart the consumer itself).
 */
function fakeKafka() {
  const emitter = new EventEmitter();
  const calls = { connect: 0, subscribe: 0, run: 0, disconnect: 0 };
  const events = { CRASH: 'consumer.crash', GROUP_JOIN: 'consumer.group_join', REBALANCING: 'consumer.rebalancing' };
  const consumer = {
    events,
    on: (event: string, listener: (e: unknown) => void) => emitter.on(event, listener),
    connect: async () => void calls.connect++,
    subscribe: async () => void calls.subscribe++,
    run: async () => void calls.run++,
    disconnect: async () => void calls.disconnect++,
    commitOffsets: async () => undefined,
  };
  const kafka = { consumer: () => consumer as unknown as Consumer } as unknown as Kafka;
  const crash = (restart: boolean) =>
    emitter.emit(events.CRASH, { payload: { error: new Error('Broker not connected'), groupId: 'g', restart } });
  return { kafka, calls, crash };
}

const logs: string[] = [];
const logger = {
  info: (_: object, m: string) => void logs.push(m),
  warn: (_: object, m: string) => void logs.push(m),
  error: (_: object, m: string) => void logs.push(m),
};
const options = {
  groupId: 'g',
  topics: ['t'],
  deadLetter: { publisher: { publish: async () => undefined, ready: true, close: async () => undefined }, topic: 'dlq' },
  logger,
  handle: async () => undefined,
};

describe('startConsumer, when kafkajs gives up on a crashed consumer', () => {
  beforeEach(() => {
    jest.useFakeTimers();
    logs.length = 0;
  });
  afterEach(() => jest.useRealTimers());

  it('connects, subscribes and runs it again after a pause', async () => {
    const { kafka, calls, crash } = fakeKafka();
    const running = await startConsumer(kafka, options);
    expect(calls).toMatchObject({ connect: 1, subscribe: 1, run: 1 });

    crash(false);
    await jest.advanceTimersByTimeAsync(1_000);

    expect(calls).toMatchObject({ connect: 2, subscribe: 2, run: 2 });
    expect(logs).toEqual(['consumer.crashed.restarting', 'consumer.restarted']);
    await running.stop();
  });

  it('leaves a crash kafkajs restarts itself alone', async () => {
    const { kafka, calls, crash } = fakeKafka();
    const running = await startConsumer(kafka, options);

    crash(true);
    await jest.advanceTimersByTimeAsync(60_000);

    expect(calls.run).toBe(1);
    await running.stop();
  });

  it('does not restart a consumer stopped meanwhile', async () => {
    const { kafka, calls, crash } = fakeKafka();
    const running = await startConsumer(kafka, options);

    crash(false);
    await running.stop();
    await jest.advanceTimersByTimeAsync(60_000);

    expect(calls.run).toBe(1);
  });
});
