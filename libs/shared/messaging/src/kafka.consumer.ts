import type { Consumer, ConsumerRunConfig, Kafka, KafkaMessage } from 'kafkajs';
import { HeaderNames, HubError, isPermanentError } from '@hub/contracts';
import type { EventPublisher } from './event-publisher.port';
import { hubMetrics } from '@hub/metrics';
import { deadLetterBody, deadLetterReference } from './dead-letter-body';
import { consumerSpan } from './message-tracing';

/**
 * A message that can never be processed, whatever the retries: it goes to the dead-letter topic.
 * For a consumer's own reasons (not JSON, a field missing); any other `HubError` with
 * `retryable: false` is dead-lettered the same way. `deadLetterHeaders`: what the dead letter adds
 * to its own headers (the tenant a message named, say), for operators to select it by.
 */
export class PermanentMessageError extends HubError {
  readonly retryable = false;
  constructor(
    readonly code: string,
    message: string,
    readonly deadLetterHeaders: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = 'PermanentMessageError';
  }
}

/**
 * Where a consumer's dead letters go, and what they keep of the message. `copy` (the default): the
 * value (bounded: `deadLetterBody`), the key and the headers. `reference`: none of them — the
 * value's size and SHA-256 and the source coordinates only (`deadLetterReference`), for a topic
 * whose messages must not be copied in clear onto the shared dead-letter topic (every tenant's
 * operators read it); the message stays on its own topic for its retention, where
 * `redriveDeadLetters` finds it again.
 */
export interface DeadLetterOptions {
  publisher: EventPublisher;
  topic: string;
  keep?: 'copy' | 'reference';
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

interface ConsumerOptionsBase {
  groupId: string;
  topics: string[];
  fromBeginning?: boolean;
  /** Partitions handled in parallel; order is kept within a partition (one customer's events). */
  partitionsConsumedConcurrently?: number;
  deadLetter: DeadLetterOptions;
  logger: ConsumerLogger;
  /** The group's session timeout: a member silent this long is dropped and its partitions reassigned. Default 30 s. */
  sessionTimeoutMs?: number;
  /**
   * How long a handled offset may wait before it is committed, shared with the offsets handled
   * meanwhile (one OffsetCommit for every partition of the consumer). Default 100 ms; 0 commits
   * after every run. See `OffsetCommitter`.
   */
  commitIntervalMs?: number;
  /**
   * How long a fetch may wait on the broker for more messages unless `FETCH_GATHER_MIN_BYTES` are
   * there sooner (Kafka's `fetch.max.wait.ms` with `fetch.min.bytes`): at low rates a turn then
   * carries the messages of that many milliseconds instead of one, for at most that much latency.
   * Default 0: a fetch returns as soon as any message is there (and waits up to 5 s when none is).
   */
  fetchWaitMs?: number;
}

export interface MessageConsumerOptions extends ConsumerOptionsBase {
  /** One message at a time; an error with `retryable: false` (a `HubError`) dead-letters it, any other error retries it. */
  handle(message: ConsumedMessage): Promise<void>;
}

export interface BatchConsumerOptions extends ConsumerOptionsBase {
  /**
   * A run of consecutive messages of one partition (at most `maxBatchSize`), in offset order — or,
   * with `gatherPartitions`, such runs of several partitions one after another. Resolves
   * to one entry per message: `undefined` when it was handled, a `HubError` with `retryable: false`
   * (a `PermanentMessageError`, say) to dead-letter it. Throwing — or returning a retryable error —
   * retries the whole run after a backoff, its partition paused meanwhile and the others
   * going on (so the handler is idempotent, as it must be for redelivery anyway);
   * throwing a permanent error hands the run's messages over one at a time, to find the one at fault.
   */
  handleBatch(messages: readonly ConsumedMessage[]): Promise<readonly (HubError | undefined)[]>;
  /** Largest run of one partition handed to `handleBatch`. Default 500. */
  maxBatchSize?: number;
  /**
   * Hand the runs of different partitions that are ready at the same time (one fetch's batches,
   * `partitionsConsumedConcurrently` of them) to `handleBatch` as one run, each partition's messages
   * contiguous and in offset order, and one run at a time: the next gathers every run that came
   * meanwhile. For handlers whose cost is per call more than per message (a few round trips for the
   * whole run): at low rates a partition's run is often one message. Default false.
   */
  gatherPartitions?: boolean;
}

export type ConsumerOptions = MessageConsumerOptions | BatchConsumerOptions;

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
 * was dead-lettered). What happens to a failed message is decided from the error alone: a `HubError`
 * with `retryable: false` is dead-lettered (its `code` and message in the headers); anything else,
 * errors that are not `HubError`s included, is retryable: one message (`handle`) is thrown back to
 * kafkajs, which backs off and re-reads from the last committed offset; a run (`handleBatch`) is
 * retried on its own partition, paused for a backoff while the others go on. Handlers are
 * therefore idempotent.
 */
const HEARTBEAT_INTERVAL_MS = 3_000;
/** With `fetchWaitMs`, a fetch returns early once this much is there: a busy partition set is not slowed. */
export const FETCH_GATHER_MIN_BYTES = 64 * 1024;
/** Backoff of a partition whose run failed retryably (and of kafkajs's own retries): 300 ms, doubling, at most 10 s. */
const RETRY_INITIAL_MS = 300;
const RETRY_MAX_MS = 10_000;

export async function startConsumer(kafka: Kafka, o: ConsumerOptions): Promise<RunningConsumer> {
  const consumer = kafka.consumer({
    groupId: o.groupId,
    sessionTimeout: o.sessionTimeoutMs ?? 30_000,
    heartbeatInterval: HEARTBEAT_INTERVAL_MS,
    allowAutoTopicCreation: false,
    ...(o.fetchWaitMs ? { minBytes: FETCH_GATHER_MIN_BYTES, maxWaitTimeInMs: o.fetchWaitMs } : {}),
    retry: { retries: 8, initialRetryTime: RETRY_INITIAL_MS, maxRetryTime: RETRY_MAX_MS },
  });
  const committer = new OffsetCommitter(consumer, o.commitIntervalMs ?? DEFAULT_COMMIT_INTERVAL_MS, o.logger);
  // Runs that started before a stop was asked for; a run starting after it hands nothing (its
  // messages stay uncommitted for the group's next member).
  const inFlight = new Set<Promise<unknown>>();
  let stopping = false;
  const tracked = <T>(work: () => Promise<T>): Promise<T> => {
    const p = work();
    inFlight.add(p);
    const done = () => void inFlight.delete(p);
    p.then(done, done);
    return p;
  };
  const deadLetter = async (topic: string, partition: number, message: KafkaMessage, consumed: ConsumedMessage, err: HubError) => {
    o.logger.warn({ topic, partition, offset: message.offset, code: err.code, reason: err.message }, 'consumer.message.dead_lettered');
    await o.deadLetter.publisher.publish(o.deadLetter.topic, [deadLetterOf(topic, partition, message, consumed, err, o.deadLetter.keep)]);
    hubMetrics.deadLetters().inc({ topic, code: err.code });
  };
  // Partitions paused after a failed run, each resumed by its own timer (batch mode).
  const retries = new PartitionRetries();
  let runConfig: ConsumerRunConfig;
  if ('handleBatch' in o) {
    const maxBatchSize = o.maxBatchSize ?? 500;
    const gathered = o.gatherPartitions ? new RunGatherer((run) => handleRun(o, run)) : undefined;
    runConfig = {
      autoCommit: false,
      partitionsConsumedConcurrently: o.partitionsConsumedConcurrently ?? 3,
      eachBatchAutoResolve: false,
      eachBatch: ({ batch, resolveOffset, heartbeat, isRunning, isStale, pause }) =>
        tracked(async () => {
          const { topic, partition } = batch;
          /**
           * A run that failed retryably is retried on its own partition, which is paused for a backoff
           * while the others go on: kafkajs fetches again only once every batch of its last fetch was
           * handled, so throwing (kafkajs's retry: all fetching stopped, backed off, restarted, and the
           * consumer restarted after 8 failures in a row) held every partition of the consumer back
           * for as long as one customer's appends kept failing (issue #15, F3: a row lock held past the
           * session timeout stalled every customer's recording). Nothing is resolved, so after the
           * resume kafkajs fetches the partition again from the run's first message.
           */
          const retryLater = (offset: string, messages: number, err: unknown, code?: string) => {
            const delayMs = retries.failed(topic, partition);
            o.logger.warn(
              { topic, partition, offset, messages, ...(code !== undefined ? { code } : {}), retryInMs: delayMs, err: String(err) },
              'consumer.batch.retry',
            );
            retries.resumeAfter(delayMs, pause());
          };
          for (let start = 0; start < batch.messages.length; start += maxBatchSize) {
            if (stopping || !isRunning() || isStale()) return;
            const run = batch.messages.slice(start, start + maxBatchSize);
            const consumed = run.map((message) => consumedOf(topic, partition, message));
            let outcomes: readonly (HubError | undefined)[];
            // A long run must not cost the group membership: heartbeat while it is handled. kafkajs sends
            // one only when heartbeatInterval has passed since the last, so ticking at that same period
            // could space them nearly two intervals apart; a tick a third as long keeps them at most
            // a third late.
            const beat = setInterval(() => void heartbeat().catch(() => undefined), HEARTBEAT_INTERVAL_MS / 3);
            try {
              outcomes = gathered ? await gathered.run(consumed) : await handleRun(o, consumed);
            } catch (err) {
              retryLater(run[0]!.offset, run.length, err);
              return;
            } finally {
              clearInterval(beat);
            }
            if (outcomes.length !== run.length)
              throw new Error(`handleBatch returned ${outcomes.length} outcomes for ${run.length} messages`);
            const retry = outcomes.find((failed) => failed?.retryable === true);
            if (retry) {
              retryLater(run[0]!.offset, run.length, retry, retry.code);
              return;
            }
            retries.succeeded(topic, partition);
            for (let i = 0; i < run.length; i++) {
              const failed = outcomes[i];
              if (failed) await deadLetter(topic, partition, run[i]!, consumed[i]!, failed);
            }
            resolveOffset(run.at(-1)!.offset);
            committer.handled(topic, partition, run.at(-1)!.offset);
            await heartbeat();
          }
        }),
    };
  } else {
    const handle = o.handle;
    runConfig = {
      autoCommit: false,
      partitionsConsumedConcurrently: o.partitionsConsumedConcurrently ?? 3,
      eachMessage: ({ topic, partition, message }) =>
        tracked(async () => {
          // Not handled, so never committed: the group's next member reads it.
          if (stopping) return;
          const consumed = consumedOf(topic, partition, message);
          try {
            await consumerSpan(topic, [consumed.headers], () => handle(consumed));
          } catch (err) {
            if (!isPermanentError(err)) {
              o.logger.warn({ topic, partition, offset: message.offset, err: String(err) }, 'consumer.message.retry');
              throw err;
            }
            await deadLetter(topic, partition, message, consumed, err);
          }
          committer.handled(topic, partition, message.offset);
        }),
    };
  }
  const begin = async (): Promise<void> => {
    await consumer.connect();
    for (const topic of o.topics) await consumer.subscribe({ topic, fromBeginning: o.fromBeginning ?? true });
    await consumer.run(runConfig);
  };
  // kafkajs restarts a crashed consumer only when it deems the error retriable; any other crash —
  // a plain `Error('Broker not connected')` while the broker is paused past the request timeout
  // (F4 of issue #15), a connection refused mid-join — leaves it disconnected for good and the app
  // reads nothing more until it is restarted. Such a crash is restarted here, with a growing pause,
  // until stop() is asked for.
  let restartTimer: NodeJS.Timeout | undefined;
  let crashesInARow = 0;
  const restartLater = (): void => {
    const delayMs = Math.min(CRASH_RESTART_MAX_MS, CRASH_RESTART_MIN_MS * 2 ** Math.min(crashesInARow++, 8));
    restartTimer = setTimeout(() => {
      restartTimer = undefined;
      if (stopping) return;
      begin().then(
        () => o.logger.info({ groupId: o.groupId }, 'consumer.restarted'),
        (err: unknown) => {
          o.logger.error({ groupId: o.groupId, err: String(err) }, 'consumer.restart.failed');
          if (!stopping) restartLater();
        },
      );
    }, delayMs);
  };
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    if (payload.restart || stopping) return;
    o.logger.error({ groupId: o.groupId, err: String(payload.error) }, 'consumer.crashed.restarting');
    if (!restartTimer) restartLater();
  });
  // `consumer.run` resolves before the group is joined: this line says when the member is in and reading
  // (after each rebalance too), which the app's ready line cannot (bench/processes times it).
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    crashesInARow = 0;
    o.logger.info(
      { groupId: o.groupId, memberId: payload.memberId, partitions: Object.values(payload.memberAssignment).flat().length },
      'consumer.joined',
    );
  });
  // Lag per partition after each batch kafkajs fetched (its high watermark - 1 - the batch's last offset).
  const lag = hubMetrics.kafkaConsumerLag();
  consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) =>
    lag.set({ group: o.groupId, topic: payload.topic, partition: String(payload.partition) }, Math.max(0, Number(payload.offsetLag))),
  );
  await begin();
  return {
    consumer,
    stop: async () => {
      // Handled offsets are committed before the group is left: stop taking runs, let the ones
      // under way finish, commit, then leave.
      stopping = true;
      retries.clear();
      if (restartTimer) clearTimeout(restartTimer);
      await Promise.allSettled([...inFlight]);
      await committer.close();
      await consumer.disconnect();
    },
  };
}

const DEFAULT_COMMIT_INTERVAL_MS = 100;
/** Pause before restarting a consumer kafkajs gave up on, doubling per crash in a row up to the max. */
const CRASH_RESTART_MIN_MS = 1_000;
const CRASH_RESTART_MAX_MS = 30_000;

/** Per partition: how many runs failed in a row (the backoff doubles with each), and the timers that resume paused partitions. */
class PartitionRetries {
  private readonly failures = new Map<string, number>();
  private readonly timers = new Set<NodeJS.Timeout>();

  /** One more failure of the partition's run: how long to wait before it is tried again. */
  failed(topic: string, partition: number): number {
    const key = `${topic}\u0000${partition}`;
    const n = (this.failures.get(key) ?? 0) + 1;
    this.failures.set(key, n);
    return Math.min(RETRY_MAX_MS, RETRY_INITIAL_MS * 2 ** Math.min(n - 1, 16));
  }

  succeeded(topic: string, partition: number): void {
    this.failures.delete(`${topic}\u0000${partition}`);
  }

  resumeAfter(ms: number, resume: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      resume();
    }, ms);
    this.timers.add(timer);
  }

  /** On stop: nothing is resumed any more (the consumer leaves the group; the next member reads from the committed offset). */
  clear(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}

/**
 * Commits handled offsets in the background, at most one OffsetCommit per interval for all of the
 * consumer's partitions, instead of one per run and partition (kafkajs's auto-commit): at low rates
 * a run is often one message, and its commit was a broker round trip the next fetch waited for.
 * What is committed is only ever an offset handled before; waiting for the commit changes nothing
 * for at-least-once delivery — a crash re-reads at most an interval's worth more, which the
 * handlers take idempotently as they take any redelivery. The pending offsets are committed before
 * a rebalance (kafkajs's `REBALANCING`) and on stop; those of partitions the group then assigned
 * elsewhere are dropped (a late commit of them could only move the new owner back, never forward
 * past what it has not handled).
 */
export class OffsetCommitter {
  private readonly pending = new Map<string, { topic: string; partition: number; offset: string }>();
  private timer: NodeJS.Timeout | undefined;
  private committing: Promise<void> | undefined;

  constructor(
    private readonly consumer: Consumer,
    private readonly intervalMs: number,
    private readonly logger: ConsumerLogger,
  ) {
    consumer.on(consumer.events.REBALANCING, () => void this.flush());
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      const assigned = payload.memberAssignment;
      for (const [key, { topic, partition }] of this.pending) if (!assigned[topic]?.includes(partition)) this.pending.delete(key);
    });
  }

  /** `offset` of `topic`/`partition` is handled: the group's next read starts after it. */
  handled(topic: string, partition: number, offset: string): void {
    this.pending.set(`${topic}\u0000${partition}`, { topic, partition, offset: (BigInt(offset) + 1n).toString() });
    if (this.intervalMs === 0) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), this.intervalMs);
  }

  /** Commits what is pending (one request for every partition); one commit at a time, later offsets wait for the next. */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.committing) return this.committing.then(() => this.flush());
    if (this.pending.size === 0) return Promise.resolve();
    const offsets = [...this.pending.values()];
    this.pending.clear();
    this.committing = this.consumer
      .commitOffsets(offsets)
      .catch((err: unknown) => {
        // Kept for the next commit unless a newer offset came meanwhile (a rebalance drops the ones reassigned).
        for (const o of offsets) {
          const key = `${o.topic}\u0000${o.partition}`;
          if (!this.pending.has(key)) this.pending.set(key, o);
        }
        this.logger.warn({ partitions: offsets.length, err: String(err) }, 'consumer.commit.retry');
        this.timer ??= setTimeout(() => void this.flush(), Math.max(this.intervalMs, 100));
      })
      .finally(() => {
        this.committing = undefined;
      });
    return this.committing;
  }

  /** Commits what is pending, once (a failure here is a redelivery after the restart, not a loss). */
  async close(): Promise<void> {
    await this.flush();
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}

/**
 * Runs handed in while none is being handled wait for the end of the current turn of the event loop
 * (the other partitions' runs of the same fetch arrive within it) and are handled as one; runs
 * handed in while one is handled are handled together right after it. Each caller gets its own
 * run's outcomes; when the call for several throws, each run is handled again on its own, so an
 * error reaches only the runs it belongs to.
 */
export class RunGatherer {
  private waiting: {
    run: readonly ConsumedMessage[];
    resolve: (o: readonly (HubError | undefined)[]) => void;
    reject: (err: unknown) => void;
  }[] = [];
  private busy = false;
  private scheduled = false;

  constructor(private readonly handle: (run: readonly ConsumedMessage[]) => Promise<readonly (HubError | undefined)[]>) {}

  run(messages: readonly ConsumedMessage[]): Promise<readonly (HubError | undefined)[]> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ run: messages, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.busy || this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.flush();
    });
  }

  private async flush(): Promise<void> {
    const group = this.waiting;
    this.waiting = [];
    if (group.length === 0) return;
    this.busy = true;
    try {
      const all = group.flatMap((g) => g.run);
      const outcomes = await this.handle(all);
      if (outcomes.length !== all.length) throw new Error(`handleBatch returned ${outcomes.length} outcomes for ${all.length} messages`);
      let at = 0;
      for (const g of group) {
        g.resolve(outcomes.slice(at, at + g.run.length));
        at += g.run.length;
      }
    } catch (err) {
      if (group.length === 1) group[0]!.reject(err);
      // One partition's trouble (a customer's stream locked, say) must not fail the others' runs:
      // each is handled again on its own (idempotently), and only those that fail again are
      // retried on their own paused partitions (issue #15, F3).
      else await Promise.all(group.map((g) => this.handle(g.run).then(g.resolve, g.reject)));
    } finally {
      this.busy = false;
      if (this.waiting.length > 0) this.schedule();
    }
  }
}

/**
 * `handleBatch` over a run; when it throws a permanent error (`retryable: false`) for the run as a
 * whole, the message at fault cannot be told from the rest, so each message is handled alone, in
 * order: the one that throws it again is dead-lettered, the others are handled (idempotently: some
 * may have been before the throw). A run that only ever failed that way used to be retried forever.
 */
async function handleRun(o: BatchConsumerOptions, run: readonly ConsumedMessage[]): Promise<readonly (HubError | undefined)[]> {
  try {
    return await consumerSpan(
      run[0]?.topic ?? '',
      run.map((m) => m.headers),
      () => o.handleBatch(run),
    );
  } catch (err) {
    if (!isPermanentError(err)) throw err;
    if (run.length === 1) return [err];
    const first = run[0]!;
    o.logger.warn(
      { topic: first.topic, partition: first.partition, offset: first.offset, messages: run.length, code: err.code, err: String(err) },
      'consumer.batch.split',
    );
    const outcomes: (HubError | undefined)[] = [];
    for (const message of run) outcomes.push(...(await handleRun(o, [message])));
    return outcomes;
  }
}

function consumedOf(topic: string, partition: number, message: KafkaMessage): ConsumedMessage {
  return { topic, partition, offset: message.offset, key: message.key?.toString(), value: message.value, headers: headersOf(message) };
}

function deadLetterOf(
  topic: string,
  partition: number,
  message: KafkaMessage,
  consumed: ConsumedMessage,
  err: HubError,
  keep: DeadLetterOptions['keep'] = 'copy',
) {
  const coordinates = `${topic}:${partition}:${message.offset}`;
  const byReference = keep === 'reference';
  return {
    key: byReference ? coordinates : (consumed.key ?? coordinates),
    // Bounded: the poison may be near the message limit, and a dead letter that does not fit would stall the partition.
    value: byReference
      ? deadLetterReference(topic, partition, message.offset, message.value)
      : message.value
        ? deadLetterBody(message.value)
        : { raw: null },
    headers: {
      // The sender's headers are its message's: a reference keeps none of them.
      ...(byReference ? {} : consumed.headers),
      ...(err instanceof PermanentMessageError ? err.deadLetterHeaders : {}),
      [HeaderNames.dlqCode]: err.code,
      [HeaderNames.dlqReason]: err.message.slice(0, 2_000),
      [HeaderNames.dlqSourceTopic]: topic,
      [HeaderNames.dlqSourcePartition]: String(partition),
      [HeaderNames.dlqSourceOffset]: message.offset,
    },
  };
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
