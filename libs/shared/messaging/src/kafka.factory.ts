import type { ConnectionOptions } from 'node:tls';
import { Kafka, logLevel, type KafkaConfig, type LogEntry, type SASLOptions } from 'kafkajs';
import { applyKafkajsIdleFix } from './kafkajs-idle-fix';

export interface KafkaConnection {
  brokers: string[];
  clientId: string;
  /** Per-request timeout; kept short so a dead broker is noticed in seconds, not minutes. */
  requestTimeoutMs?: number;
  connectionTimeoutMs?: number;
  /** TLS to the brokers (`kafkaConnection` of @hub/config builds it from KAFKA_SSL_*). */
  ssl?: ConnectionOptions;
  /** SASL authentication (KAFKA_SASL_*). */
  sasl?: SASLOptions;
}

type Logger = { warn(obj: object, msg: string): void; error(obj: object, msg: string): void };

/** A kafkajs client with the hub's settings (and kafkajs's idle loop fixed: `applyKafkajsIdleFix`). */
export function createKafka(c: KafkaConnection, logger?: Logger): Kafka {
  applyKafkajsIdleFix();
  const config: KafkaConfig = {
    clientId: c.clientId,
    brokers: c.brokers,
    ...(c.ssl !== undefined && { ssl: c.ssl }),
    ...(c.sasl !== undefined && { sasl: c.sasl }),
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
