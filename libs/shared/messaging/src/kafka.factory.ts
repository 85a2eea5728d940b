import { Kafka, logLevel, type KafkaConfig, type LogEntry } from 'kafkajs';

export interface KafkaConnection {
  brokers: string[];
  clientId: string;
  /** Per-request timeout; kept short so a dead broker is noticed in seconds, not minutes. */
  requestTimeoutMs?: number;
  connectionTimeoutMs?: number;
}

type Logger = { warn(obj: object, msg: string): void; error(obj: object, msg: string): void };

export function createKafka(c: KafkaConnection, logger?: Logger): Kafka {
  const config: KafkaConfig = {
    clientId: c.clientId,
    brokers: c.brokers,
    requestTimeout: c.requestTimeoutMs ?? 5_000,
    connectionTimeout: c.connectionTimeoutMs ?? 2_000,
    retry: { initialRetryTime: 200, retries: 5, maxRetryTime: 5_000 },
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ level, log }: LogEntry) => {
        const { message, ...rest } = log;
        if (!logger) return;
        if (level === logLevel.ERROR) logger.error({ kafka: rest }, `kafka.${message}`);
        else if (level === logLevel.WARN) logger.warn({ kafka: rest }, `kafka.${message}`);
      },
  };
  return new Kafka(config);
}
