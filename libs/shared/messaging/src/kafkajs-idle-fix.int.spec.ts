import { eventually, freshId, testInfra } from '@hub/testing';
import { createKafka } from './kafka.factory';
import { applyKafkajsIdleFix, kafkajsIdleFix } from './kafkajs-idle-fix';
import { ensureTopics } from './topics';

interface QueuedRequest {
  entry: { correlationId: number; apiKey: number; apiName: string; apiVersion: number; resolve(): void; reject(): void };
  expectResponse: boolean;
  sendRequest(): void;
}
interface RequestQueue {
  pending: unknown[];
  throttleCheckTimeoutId: unknown;
  maybeThrottle(ms: number): void;
  push(request: QueuedRequest): void;
  checkPendingRequests(): void;
}
type RequestQueueClass = { new (options: object): RequestQueue; prototype: RequestQueue };
const RequestQueue = require('kafkajs/src/network/requestQueue') as RequestQueueClass;

const quietLogger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
const queue = (): RequestQueue =>
  new RequestQueue({
    instrumentationEmitter: null,
    maxInFlightRequests: null,
    requestTimeout: 5_000,
    enforceRequestTimeout: false,
    clientId: 'idle-fix-spec',
    broker: 'localhost:0',
    logger: quietLogger,
  });
const request = (correlationId: number, sendRequest: () => void): QueuedRequest => ({
  entry: { correlationId, apiKey: 0, apiName: 'Produce', apiVersion: 3, resolve: () => undefined, reject: () => undefined },
  expectResponse: false,
  sendRequest,
});

describe("kafkajs's request queue with the idle fix (createKafka applies it)", () => {
  beforeAll(() => {
    createKafka({ clientId: 'idle-fix-spec', brokers: testInfra().kafkaBrokers });
  });

  it('is applied to the pinned kafkajs', () => {
    expect(kafkajsIdleFix()).toEqual({ applied: true });
    expect(applyKafkajsIdleFix()).toEqual({ applied: true });
  });

  it('an open, idle producer connection checks its queue only when something happens (it spun at ~1 kHz per connection)', async () => {
    const kafka = createKafka({ clientId: freshId('idle-fix'), brokers: testInfra().kafkaBrokers });
    const topic = freshId('idle-fix');
    await ensureTopics(kafka, [{ topic, numPartitions: 1 }]);
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, messages: [{ value: 'opens the connection to the leader' }] });
    const original = RequestQueue.prototype.checkPendingRequests;
    let checks = 0;
    RequestQueue.prototype.checkPendingRequests = function (this: RequestQueue) {
      checks++;
      original.call(this);
    };
    try {
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    } finally {
      RequestQueue.prototype.checkPendingRequests = original;
      await producer.disconnect();
    }
    // Idle for a second: no request, so no check (a metadata refresh or two at most).
    expect(checks).toBeLessThanOrEqual(5);
  });

  it('a request queued while the broker throttles is sent once the throttle ends, and nothing is left scheduled', async () => {
    const q = queue();
    q.maybeThrottle(60);
    let sent = 0;
    q.push(request(1, () => sent++));
    expect(sent).toBe(0);
    expect(q.pending).toHaveLength(1);
    await eventually(async () => (sent === 1 ? true : undefined), { what: 'the throttled request sent', timeoutMs: 5_000 });
    expect(q.pending).toHaveLength(0);
    await eventually(async () => (q.throttleCheckTimeoutId === null ? true : undefined), { what: 'no check left scheduled' });
  });

  it('an unthrottled queue sends at once and schedules nothing', () => {
    const q = queue();
    let sent = 0;
    q.push(request(1, () => sent++));
    expect(sent).toBe(1);
    expect(q.throttleCheckTimeoutId).toBeNull();
    q.checkPendingRequests();
    expect(q.throttleCheckTimeoutId).toBeNull();
  });
});
