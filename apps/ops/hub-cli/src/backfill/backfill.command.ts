import { randomUUID } from 'node:crypto';
import { customerStream } from '@hub/contracts';
import { customerEventMessage } from '@hub/customer';
import { PostgresCheckpointStore, runCheckpointedSubscription, type RecordedEvent, type Subscription } from '@hub/event-store';
import { ensureTopics, KafkaEventPublisher, type OutgoingMessage } from '@hub/messaging';
import { customerList, isoInstant, noPositionals, positiveInt, positiveNumber, requiredOption, stringOption, tenantId } from '../cli.args';
import { toJson, write } from '../cli-io';
import { CliFailure, ExitCode, InterruptedError, UsageError } from '../cli.errors';
import type { CliContext } from '../cli-context';
import type { Command } from '../command';
import { grouped, ProgressLine } from '../progress-line';
import { TokenBucket } from '../token-bucket';

export interface BackfillOptions {
  topic: string;
  tenantId?: string;
  customers?: string[];
  /** metadata.recordedAt >= from */
  from?: string;
  /** metadata.recordedAt < to */
  to?: string;
  /** Events per second; none: as fast as Kafka acknowledges. */
  rate?: number;
  resumeId: string;
  /** Stop after publishing this many events in this run (resume later with the same id). */
  max?: number;
  partitions: number;
  batchSize: number;
}

/** Where a backfill's progress is kept in `hub_checkpoints` (one row per resume id). */
export const backfillCheckpointId = (resumeId: string): string => `backfill.${resumeId}`;

/** Topic names Kafka accepts. */
const TOPIC = /^[A-Za-z0-9._-]{1,249}$/;
const RESUME_ID = /^[A-Za-z0-9._-]{1,100}$/;

export interface BackfillResult {
  topic: string;
  resumeId: string;
  checkpoint: string;
  published: number;
  /** The global position the backfill has handled up to (saved as its checkpoint). */
  position: bigint;
  /** The head of the log when this run started: the run ends there. */
  head: bigint;
  /** True when everything selected up to `head` is published; false when stopped by --max. */
  complete: boolean;
  resumedFrom: bigint | null;
  seconds: number;
}

/**
 * Re-publishes customer events from the store (decrypted, as the relay publishes them) to a Kafka
 * topic, in global order — so each customer's events in stream order, on one partition by key.
 *
 * Resumable: after every batch Kafka acknowledged, the position of its last event is saved under
 * `backfill.<resume id>`; a run with the same id starts after it. A crash between the
 * acknowledgement and that save republishes that one batch (at-least-once, like the relay;
 * consumers dedupe by event id). Ends at the head of the log as it was when the run started.
 */
export async function backfill(ctx: CliContext, o: BackfillOptions): Promise<BackfillResult> {
  const started = Date.now();
  const { store } = await ctx.stores();
  const checkpoints = await PostgresCheckpointStore.create({ pool: ctx.pool });
  const checkpointId = backfillCheckpointId(o.resumeId);
  const resumedFrom = (await checkpoints.load(checkpointId)) ?? null;
  const head = await store.headPosition();

  await ensureTopics(ctx.kafka, [{ topic: o.topic, numPartitions: o.partitions }]);
  const publisher = new KafkaEventPublisher(ctx.kafka, { sendTimeoutMs: 30_000, maxBatchMessages: o.batchSize });
  ctx.onClose(() => publisher.close());
  if (!(await publisher.start()))
    throw new CliFailure('CLI_KAFKA_UNAVAILABLE', `cannot connect to Kafka at ${ctx.config.KAFKA_BROKERS.join(',')}`);

  // Exact selection in memory; the prefixes only narrow what the store scans in SQL.
  const wanted = o.customers && o.tenantId ? new Set(o.customers.map((c) => customerStream(o.tenantId!, c))) : undefined;
  const prefixes = wanted ? [...wanted] : [o.tenantId ? customerStream(o.tenantId, '') : 'customer-'];
  const from = o.from ? Date.parse(o.from) : undefined;
  const to = o.to ? Date.parse(o.to) : undefined;
  const selected = (e: RecordedEvent): boolean => {
    if (wanted && !wanted.has(e.streamName)) return false;
    if (from === undefined && to === undefined) return true;
    const recordedAt = Date.parse(String((e.metadata as { recordedAt?: unknown }).recordedAt ?? ''));
    if (Number.isNaN(recordedAt)) return false;
    return (from === undefined || recordedAt >= from) && (to === undefined || recordedAt < to);
  };

  // Small chunks at low rates, so the rate holds within the second and not only on average.
  const chunk = o.rate ? Math.max(1, Math.min(o.batchSize, Math.floor(o.rate / 10))) : o.batchSize;
  const bucket = o.rate ? new TokenBucket(o.rate, chunk) : undefined;
  let published = 0;
  let position = resumedFrom ?? 0n;
  let outcome: 'complete' | 'limit' | undefined;
  let failure: unknown;
  let subscription: Subscription | undefined;
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  /** The first reason to stop wins (caught up after a stop at --max is still a stop at --max). */
  const stopWith = (reason: 'complete' | 'limit'): void => {
    outcome ??= reason;
    finish();
  };
  const stopped = (): boolean => outcome !== undefined || failure !== undefined || ctx.io.signal?.aborted === true;

  const onEvents = async (events: RecordedEvent[]): Promise<void> => {
    let pending: { message: OutgoingMessage; position: bigint }[] = [];
    const flush = async (): Promise<void> => {
      if (pending.length === 0) return;
      if (bucket) await bucket.take(pending.length, ctx.io.signal);
      if (ctx.io.signal?.aborted) return;
      await publisher.publish(
        o.topic,
        pending.map((p) => p.message),
      );
      position = pending[pending.length - 1]!.position;
      published += pending.length;
      pending = [];
      await checkpoints.save(checkpointId, position);
    };
    for (const e of events) {
      if (e.globalPosition > head) {
        await flush();
        return stopWith('complete');
      }
      const message = selected(e) ? customerEventMessage(e) : undefined;
      if (!message) continue;
      pending.push({ message, position: e.globalPosition });
      if (o.max !== undefined && published + pending.length >= o.max) {
        await flush();
        return stopWith('limit');
      }
      if (pending.length >= chunk) await flush();
      if (stopped()) return;
    }
    await flush();
    if (stopped()) return;
    // Filtered-out events at the end of the batch need not be looked at again by a resumed run.
    const last = events[events.length - 1]!.globalPosition;
    if (last > position) {
      position = last;
      await checkpoints.save(checkpointId, position);
    }
    if (position >= head) stopWith('complete');
  };

  const progress = new ProgressLine(ctx.io.stderr, `backfill ${o.topic}`);
  try {
    subscription = await runCheckpointedSubscription(store, checkpoints, checkpointId, {
      checkpoint: 'in-handler',
      filter: { streamPrefixes: prefixes },
      batchSize: Math.max(chunk, Math.min(1_000, o.batchSize)),
      ...(resumedFrom === null ? { fromWhenNoCheckpoint: 0n } : {}),
      // A batch is handed over once: a failure ends the run (resume it), it is not retried here.
      onEvents: async (events) => {
        if (!stopped()) {
          await onEvents(events).catch((err: unknown) => {
            failure ??= err;
            finish();
          });
        }
        if (stopped()) void subscription?.stop();
      },
      onError: (err) => ctx.logger.warn({ err: String(err) }, 'cli.backfill.retrying'),
    });
    // Caught up counts only if the handler took every batch whole: the subscription also calls a
    // batch delivered when the handler returned early (at --max, interrupted, failed).
    void subscription.caughtUp.then(
      () => {
        if (!stopped()) stopWith('complete');
      },
      () => undefined,
    );
    const onAbort = (): void => finish();
    ctx.io.signal?.addEventListener('abort', onAbort, { once: true });
    progress.start(async () => ({ done: published, position, head }));
    await finished;
    ctx.io.signal?.removeEventListener('abort', onAbort);
    await subscription.stop();
  } finally {
    progress.stop();
  }
  if (failure !== undefined) {
    throw new CliFailure(
      'CLI_BACKFILL_FAILED',
      `backfill stopped at position ${position} after ${published} events (resume with --resume-id ${o.resumeId}): ${failure instanceof Error ? failure.message : String(failure)}`,
    );
  }
  const complete = outcome === 'complete';
  const result: BackfillResult = {
    topic: o.topic,
    resumeId: o.resumeId,
    checkpoint: checkpointId,
    published,
    position,
    head,
    complete,
    resumedFrom,
    seconds: (Date.now() - started) / 1000,
  };
  if (ctx.io.signal?.aborted && !complete)
    throw new InterruptedError(`backfill stopped at position ${position} after ${published} events; resume with --resume-id ${o.resumeId}`);
  return result;
}

export const backfillCommand: Command = {
  name: 'backfill',
  summary: 're-publish customer events from the store to a Kafka topic (rate-limited, resumable)',
  usage: 'hub backfill --topic <name> [--tenant t] [--customers a,b] [--from ISO] [--to ISO] [--rate N] [--resume-id ID] [--max N]',
  help: `Publishes the selected customer events, as the relay does (value CustomerEventMessage, key the
customer id, hub-* headers, decrypted), to a topic, in log order: each customer's events in stream
order. Creates the topic when missing. Ends at the head of the log as of the start of the run.

  --topic name       required; e.g. a fresh topic for a new consumer to read history from
  --tenant t         only this tenant's customers
  --customers a,b    only these customers (needs --tenant)
  --from ISO         metadata.recordedAt >= from  (recordedAt: when the hub accepted the event, so
  --to ISO           metadata.recordedAt < to      a re-run selects the same events; an event that
                                                   happened earlier but arrived later is in the
                                                   window it arrived in)
  --rate N           at most N events per second (token bucket); default: as fast as acknowledged
  --resume-id ID     progress is saved under hub_checkpoints 'backfill.<ID>' after every batch Kafka
                     acknowledged; running again with the same ID continues after it. Keep the
                     other flags the same when resuming. Default: a new id, printed on stderr.
  --max N            stop after publishing N events in this run (exit 0, "complete": false)
  --partitions N     partitions when the topic is created (default 6)
  --batch N          events per Kafka request (default 500)

Prints { topic, resumeId, published, position, head, complete, … } as JSON. A crash between an
acknowledgement and the checkpoint republishes that one batch (at-least-once, as the relay).`,
  options: {
    topic: { type: 'string' },
    tenant: { type: 'string' },
    customers: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    rate: { type: 'string' },
    'resume-id': { type: 'string' },
    max: { type: 'string' },
    partitions: { type: 'string' },
    batch: { type: 'string' },
  },
  prepare(values, positionals) {
    noPositionals(positionals);
    const topic = requiredOption(values, 'topic');
    if (!TOPIC.test(topic)) throw new UsageError(`--topic must be 1–249 of A-Z a-z 0-9 . _ -, not ${JSON.stringify(topic)}`);
    const tenant = stringOption(values, 'tenant');
    const customers = stringOption(values, 'customers');
    if (customers !== undefined && tenant === undefined) throw new UsageError('--customers needs --tenant (customer ids are per tenant)');
    const from = stringOption(values, 'from');
    const to = stringOption(values, 'to');
    const rate = stringOption(values, 'rate');
    const max = stringOption(values, 'max');
    const resumeId = stringOption(values, 'resume-id');
    if (resumeId !== undefined && !RESUME_ID.test(resumeId))
      throw new UsageError(`--resume-id must be 1–100 of A-Z a-z 0-9 . _ -, not ${JSON.stringify(resumeId)}`);
    const partitions = stringOption(values, 'partitions');
    const batch = stringOption(values, 'batch');
    const o: BackfillOptions = {
      topic,
      resumeId: resumeId ?? `${new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '')}-${randomUUID().slice(0, 8)}`,
      partitions: partitions === undefined ? 6 : positiveInt(partitions, '--partitions', { max: 1_000 }),
      batchSize: batch === undefined ? 500 : positiveInt(batch, '--batch', { max: 10_000 }),
      ...(tenant !== undefined ? { tenantId: tenantId(tenant) } : {}),
      ...(customers !== undefined ? { customers: customerList(customers) } : {}),
      ...(from !== undefined ? { from: isoInstant(from, '--from') } : {}),
      ...(to !== undefined ? { to: isoInstant(to, '--to') } : {}),
      ...(rate !== undefined ? { rate: positiveNumber(rate, '--rate') } : {}),
      ...(max !== undefined ? { max: positiveInt(max, '--max') } : {}),
    };
    if (o.from && o.to && o.from >= o.to) throw new UsageError('--from must be before --to');
    return async (ctx) => {
      if (resumeId === undefined)
        ctx.io.stderr.write(`backfill: resume id ${o.resumeId} (pass --resume-id ${o.resumeId} to continue this backfill)\n`);
      const result = await backfill(ctx, o);
      ctx.io.stderr.write(
        `backfill: ${grouped(result.published)} events published to ${o.topic}${result.complete ? '' : ` — stopped at --max; resume with --resume-id ${o.resumeId}`}\n`,
      );
      await write(ctx.io.stdout, `${toJson(result, 2)}\n`);
      return ExitCode.ok;
    };
  },
};
