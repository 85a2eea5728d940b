import type { Consumer, Kafka, KafkaMessage } from 'kafkajs';
import { HeaderNames } from '@hub/contracts';
import type { EventPublisher } from './event-publisher.port';

/** A message that can never be processed, whatever the retries: it goes to the dead-letter topic. */
export class PermanentMessageError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'PermanentMessageError';
  }
}

export interface ConsumedMessage {
  topic: string;
  partition: number;
  offset: string;
  key: string | undefined;
  value: Buffer | null;
  headers: Record<string, string>;
}

export interface ConsumerLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface ConsumerOptions {
  groupId: string;
  topics: string[];
  fromBeginning?: boolean;
  /** Partitions handled in parallel; order is kept within a partition (one customer's events). */
  partitionsConsumedConcurrently?: number;
  deadLetter: { publisher: EventPublisher; topic: string };
  logger: ConsumerLogger;
  handle(message: ConsumedMessage): Promise<void>;
}

export interface RunningConsumer {
  stop(): Promise<void>;
  consumer: Consumer;
}

export function headersOf(message: KafkaMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(message.headers ?? {})) {
    if (v === undefined) continue;
    out[k] = Array.isArray(v) ? String(v[0]) : String(v);
  }
  return out;
}

/**
 * At-least-once consumption: an offset is committed only after `handle` resolved (or the message
 * was dead-lettered). A retryable failure is thrown back to kafkajs, which backs off and re-reads
 * from the last committed offset; handlers are therefore idempotent.
 */
export async function startConsumer(kafka: Kafka, o: ConsumerOptions): Promise<RunningConsumer> {
  const consumer = kafka.consumer({
    groupId: o.groupId,
    sessionTimeout: 30_000,
    heartbeatInterval: 3_000,
    allowAutoTopicCreation: false,
    retry: { retries: 8, initialRetryTime: 300, maxRetryTime: 10_000 },
  });
  await consumer.connect();
  for (const topic of o.topics) await consumer.subscribe({ topic, fromBeginning: o.fromBeginning ?? true });
  await consumer.run({
    partitionsConsumedConcurrently: o.partitionsConsumedConcurrently ?? 3,
    eachMessage: async ({ topic, partition, message }) => {
      const consumed: ConsumedMessage = {
        topic,
        partition,
        offset: message.offset,
        key: message.key?.toString(),
        value: message.value,
        headers: headersOf(message),
      };
      try {
        await o.handle(consumed);
      } catch (err) {
        if (!(err instanceof PermanentMessageError)) {
          o.logger.warn({ topic, partition, offset: message.offset, err: String(err) }, 'consumer.message.retry');
          throw err;
        }
        o.logger.warn({ topic, partition, offset: message.offset, code: err.code, reason: err.message }, 'consumer.message.dead_lettered');
        await o.deadLetter.publisher.publish(o.deadLetter.topic, [
          {
            key: consumed.key ?? `${topic}:${partition}:${message.offset}`,
            value: { raw: message.value?.toString('utf8') ?? null },
            headers: {
              ...consumed.headers,
              [HeaderNames.dlqCode]: err.code,
              [HeaderNames.dlqReason]: err.message.slice(0, 2_000),
              [HeaderNames.dlqSourceTopic]: topic,
              [HeaderNames.dlqSourcePartition]: String(partition),
              [HeaderNames.dlqSourceOffset]: message.offset,
            },
          },
        ]);
      }
    },
  });
  return { consumer, stop: () => consumer.disconnect() };
}

/** Parse a JSON message value, or fail permanently with the reason. */
export function parseJsonValue(message: ConsumedMessage): unknown {
  if (!message.value) throw new PermanentMessageError('EMPTY_VALUE', 'message has no value');
  try {
    return JSON.parse(message.value.toString('utf8')) as unknown;
  } catch (err) {
    throw new PermanentMessageError('INVALID_JSON', `value is not JSON: ${(err as Error).message}`);
  }
}
