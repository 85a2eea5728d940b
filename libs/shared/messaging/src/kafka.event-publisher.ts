import { Partitioners, type Kafka, type Message, type Producer } from 'kafkajs';
import { PublishUnavailableError, PublisherSaturatedError, type EventPublisher, type OutgoingMessage } from './event-publisher.port';
import { producerSpan, traceHeaders } from './message-tracing';

export interface KafkaPublisherOptions {
  /** Refuse new publishes beyond this many in flight (no unbounded buffering). */
  maxInFlight?: number;
  /** Give up on one publish after this long and report the bus unavailable. */
  sendTimeoutMs?: number;
  retryAfterSeconds?: number;
  /** Upper bound of messages sent in one request by the group-commit loop. */
  maxBatchMessages?: number;
  /**
   * Upper bound of the bytes (keys, values, headers) sent in one request. The broker refuses a
   * partition's batch above `message.max.bytes` (1 MiB by default), and a refused batch retried as it
   * was would be refused forever: a publish larger than this goes out in several requests, in order.
   * Default 512 KiB.
   */
  maxBatchBytes?: number;
  /**
   * Upper bound of the bytes waiting to be sent (queued behind the request in flight). Beyond it a
   * publish is refused at once (`PublisherSaturatedError`: 429/503 upstream) instead of growing
   * memory while the broker is slow or paused. Default 64 MiB.
   */
  maxQueuedBytes?: number;
  /**
   * While the last connection attempt failed (the broker refused or did not answer), refuse a
   * publish at once (`PublishUnavailableError`) and reconnect in the background, instead of making
   * each caller wait out kafkajs's connection retries (seconds). For the HTTP edges, whose callers
   * retry after `Retry-After`; consumers' publishers wait and retry as before. Default false.
   */
  failFastWhileUnreachable?: boolean;
}

interface PendingPublish {
  topic: string;
  messages: Message[];
  bytes: number;
  resolve(): void;
  reject(err: Error): void;
}

/**
 * Idempotent, acks=all producer. `publish` resolves only after the broker acknowledged; on a dead
 * broker it fails within `sendTimeoutMs` with `PublishUnavailableError` and reconnects in the
 * background, so callers can answer 503 instead of hanging.
 */
export class KafkaEventPublisher implements EventPublisher {
  private producer: Producer;
  /** Set by a failed or unanswered request: the next one goes through a new producer (see `flush`). */
  private stale = false;
  private producerGeneration = 1;
  private connected = false;
  /** False after a failed publish until the next one succeeds: kafkajs reports no broker loss by itself. */
  private healthy = true;
  private connecting: Promise<void> | undefined;
  /** The last connection attempt failed, and none succeeded since. */
  private unreachable = false;
  private readonly failFastWhileUnreachable: boolean;
  private inFlight = 0;
  private pending: PendingPublish[] = [];
  private pendingBytes = 0;
  private readonly maxQueuedBytes: number;
  private flushing = false;
  private readonly maxBatchMessages: number;
  private readonly maxBatchBytes: number;
  private closed = false;
  private readonly maxInFlight: number;
  private readonly sendTimeoutMs: number;
  private readonly retryAfterSeconds: number;

  constructor(
    private readonly kafka: Kafka,
    options: KafkaPublisherOptions = {},
  ) {
    this.maxInFlight = options.maxInFlight ?? 1_000;
    this.maxBatchMessages = options.maxBatchMessages ?? 500;
    this.maxBatchBytes = options.maxBatchBytes ?? 512 * 1024;
    this.maxQueuedBytes = options.maxQueuedBytes ?? 64 * 1024 * 1024;
    this.sendTimeoutMs = options.sendTimeoutMs ?? 10_000;
    this.retryAfterSeconds = options.retryAfterSeconds ?? 5;
    this.failFastWhileUnreachable = options.failFastWhileUnreachable ?? false;
    this.producer = this.newProducer();
  }

  private newProducer(): Producer {
    const producer = this.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      // murmur2, as the Java client: a key lands on the same partition whichever client produced it.
      createPartitioner: Partitioners.DefaultPartitioner,
      retry: { retries: 3, initialRetryTime: 200, maxRetryTime: 2_000 },
    });
    producer.on(producer.events.DISCONNECT, () => {
      if (producer === this.producer) this.connected = false;
    });
    return producer;
  }

  /**
   * After a request failed or went unanswered, the idempotent producer's id and sequence numbers
   * may no longer match the broker's: the next batch could be dropped as a duplicate while callers
   * are told it was sent, or fail with OUT_OF_ORDER_SEQUENCE_NUMBER forever (kafkajs #598). So the
   * next request goes through a new producer (a new producer id, sequences from zero); what the old
   * one may still deliver is a duplicate downstream deduplicates by event id.
   */
  private async renewIfStale(): Promise<void> {
    if (!this.stale) return;
    this.stale = false;
    const old = this.producer;
    this.producer = this.newProducer();
    this.producerGeneration++;
    this.connected = false;
    this.connecting = undefined;
    await old.disconnect().catch(() => undefined);
  }

  /** How many producers this publisher has used (a new one after each failed request). */
  get generation(): number {
    return this.producerGeneration;
  }

  /** Bytes queued behind the request in flight, not sent yet. */
  get queuedBytes(): number {
    return this.pendingBytes;
  }

  get queue(): { bytes: number; maxBytes: number } {
    return { bytes: this.pendingBytes, maxBytes: this.maxQueuedBytes };
  }

  get ready(): boolean {
    return this.connected && this.healthy && this.inFlight < this.maxInFlight;
  }

  /** Connect now; on failure keep trying in the background. Never throws. */
  async start(): Promise<boolean> {
    try {
      await this.connect();
      return true;
    } catch {
      return false;
    }
  }

  /** One connection attempt in the background (shared with any under way), through a new producer if the last one failed. */
  private async reconnect(): Promise<void> {
    try {
      await this.renewIfStale();
      await this.connect();
    } catch {
      // still unreachable: the next publish tries again
    }
  }

  private connect(): Promise<void> {
    if (this.connected) return Promise.resolve();
    if (!this.connecting) {
      // A producer renewed meanwhile (renewIfStale) must not be marked connected by the old one's attempt.
      const producer = this.producer;
      const attempt: Promise<void> = producer
        .connect()
        .then(
          () => {
            if (producer === this.producer) this.connected = true;
            this.unreachable = false;
          },
          (err: unknown) => {
            this.unreachable = true;
            throw err;
          },
        )
        .finally(() => {
          if (this.connecting === attempt) this.connecting = undefined;
        });
      this.connecting = attempt;
    }
    return this.connecting;
  }

  /** A PRODUCER span per publish (child of the caller's span), its trace context in every message's headers. */
  publish(topic: string, messages: readonly OutgoingMessage[]): Promise<void> {
    return producerSpan(topic, messages.length, () => this.send(topic, messages));
  }

  private async send(topic: string, messages: readonly OutgoingMessage[]): Promise<void> {
    if (this.closed) throw new PublishUnavailableError('publisher closed', this.retryAfterSeconds);
    if (this.inFlight >= this.maxInFlight) throw new PublisherSaturatedError(this.inFlight, 1);
    if (this.failFastWhileUnreachable && this.unreachable && !this.connected) {
      void this.reconnect();
      throw new PublishUnavailableError('kafka is unreachable (the last connection attempt failed); reconnecting', this.retryAfterSeconds);
    }
    // Parts of at most maxBatchBytes, queued in order: the one request in flight keeps them in order,
    // and the caller resolves once every part is acknowledged.
    // The publish's PRODUCER span context, the same for every message (none without a tracing SDK).
    const traced = traceHeaders();
    const encoded = messages.map((m): Message => {
      const headers = traced ? { ...m.headers, ...traced } : m.headers;
      return { key: m.key, value: JSON.stringify(m.value), ...(headers ? { headers } : {}) };
    });
    const parts = splitBySize(encoded, this.maxBatchBytes);
    const bytes = parts.reduce((sum, p) => sum + p.bytes, 0);
    if (this.pendingBytes > 0 && this.pendingBytes + bytes > this.maxQueuedBytes)
      throw new PublisherSaturatedError(this.inFlight, this.retryAfterSeconds);
    this.inFlight++;
    let timer: NodeJS.Timeout | undefined;
    const queued: PendingPublish[] = [];
    try {
      const send = Promise.all(
        parts.map(
          (part) =>
            new Promise<void>((resolve, reject) => {
              const entry = { topic, messages: part.messages, bytes: part.bytes, resolve, reject };
              queued.push(entry);
              this.pending.push(entry);
              this.pendingBytes += part.bytes;
            }),
        ),
      ).then(() => undefined);
      void this.flush();
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no acknowledgement within ${this.sendTimeoutMs} ms`)), this.sendTimeoutMs);
      });
      send.catch(() => undefined); // a late failure after the timeout must not become an unhandled rejection
      await Promise.race([send, timeout]);
      this.healthy = true;
    } catch (err) {
      this.healthy = false;
      // What was not taken by a request yet is dropped: the caller is told it failed (and retries),
      // so sending it later would only duplicate it — and, with the broker paused, pile up memory.
      this.unqueue(queued);
      throw new PublishUnavailableError(`kafka did not acknowledge: ${(err as Error).message}`, this.retryAfterSeconds, err);
    } finally {
      if (timer) clearTimeout(timer);
      this.inFlight--;
    }
  }

  /**
   * Group-commit: the idempotent producer allows one request in flight, so publishes that arrive
   * while a request is out are sent together in the next one (one sendBatch per round trip, up to
   * `maxBatchMessages`). Throughput then scales with load instead of being capped at one message
   * per broker round trip; a caller still resolves only when its own messages are acknowledged.
   */
  private async flush(): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    try {
      while (this.pending.length > 0) {
        const batch: PendingPublish[] = [];
        let count = 0;
        let bytes = 0;
        while (
          this.pending.length > 0 &&
          (batch.length === 0 ||
            (count + this.pending[0]!.messages.length <= this.maxBatchMessages && bytes + this.pending[0]!.bytes <= this.maxBatchBytes))
        ) {
          const next = this.pending.shift()!;
          this.pendingBytes -= next.bytes;
          count += next.messages.length;
          bytes += next.bytes;
          batch.push(next);
        }
        const byTopic = new Map<string, Message[]>();
        for (const p of batch) byTopic.set(p.topic, [...(byTopic.get(p.topic) ?? []), ...p.messages]);
        try {
          await this.renewIfStale();
          await this.connect();
          await this.producer.sendBatch({ acks: -1, topicMessages: [...byTopic].map(([topic, msgs]) => ({ topic, messages: msgs })) });
          for (const p of batch) p.resolve();
        } catch (err) {
          this.stale = true;
          for (const p of batch) p.reject(err instanceof Error ? err : new Error(String(err)));
        }
      }
    } finally {
      this.flushing = false;
    }
  }

  private unqueue(entries: readonly PendingPublish[]): void {
    const dropped = new Set(entries.filter((e) => this.pending.includes(e)));
    if (dropped.size === 0) return;
    this.pending = this.pending.filter((e) => !dropped.has(e));
    for (const e of dropped) this.pendingBytes -= e.bytes;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.producer.disconnect().catch(() => undefined);
  }
}

/** About what a message costs on the wire: its key, value and headers. */
function sizeOf(m: Message): number {
  let n = 64 + (m.key ? Buffer.byteLength(m.key as string | Buffer) : 0) + (m.value ? Buffer.byteLength(m.value as string | Buffer) : 0);
  for (const [k, v] of Object.entries(m.headers ?? {})) n += k.length + (v === undefined ? 0 : Buffer.byteLength(String(v)));
  return n;
}

/** Consecutive parts of at most `maxBytes` each (a single larger message is a part of its own). */
export function splitBySize(messages: readonly Message[], maxBytes: number): { messages: Message[]; bytes: number }[] {
  const parts: { messages: Message[]; bytes: number }[] = [];
  let current: { messages: Message[]; bytes: number } = { messages: [], bytes: 0 };
  for (const m of messages) {
    const size = sizeOf(m);
    if (current.messages.length > 0 && current.bytes + size > maxBytes) {
      parts.push(current);
      current = { messages: [], bytes: 0 };
    }
    current.messages.push(m);
    current.bytes += size;
  }
  if (current.messages.length > 0 || parts.length === 0) parts.push(current);
  return parts;
}
