import { randomUUID } from 'node:crypto';
import type { IHeaders, Kafka, KafkaMessage } from 'kafkajs';
import { HeaderNames } from '@hub/contracts';

/**
 * Reading the dead-letter topic (`hub.dead-letter.v1`), for operators: the admin API's
 * `/admin/v1/dead-letters`, the console's Operations page and `hub dead-letters list`
 * (docs/operations.md, "Dead letters, lag and queues"); re-driving is `redriveDeadLetters`
 * (dead-letter-redrive.ts), for every caller too.
 *
 * A dead letter is what the consumer (`kafka.consumer.ts`) or an ingestion app wrote: the headers
 * say why (`hub-dlq-code`, `hub-dlq-reason`) and, for a consumed message, where it came from
 * (`hub-dlq-source-topic`/`-partition`/`-offset`); the value is whatever the writer put there (the
 * bounded raw body, `deadLetterBody`, or a reference to it). It is shown as it is: nothing is
 * decoded or fetched beyond what the dead letter already holds.
 */

export interface DeadLetter {
  partition: number;
  offset: string;
  /** When the dead letter was written (the broker's timestamp), ISO 8601. */
  at: string;
  key: string | null;
  code: string | null;
  reason: string | null;
  tenantId: string | null;
  channel: string | null;
  eventType: string | null;
  eventId: string | null;
  /** Where the message was consumed from; null for a webhook delivery no channel could map (it never was on a topic). */
  source: { topic: string; partition: number | null; offset: string | null } | null;
  /** The dead letter's value as it holds it (JSON when it is JSON, else `{ text }`). */
  body: unknown;
  /**
   * Whether `redriveDeadLetters` (dead-letter-redrive.ts) can put it back on its topic (`from`: the
   * message the dead letter holds, or the source topic's message at its offset, while that topic's
   * retention keeps it); else why not.
   */
  redrive: { possible: true; from: 'dead-letter' | 'source' } | { possible: false; why: string };
}

export interface DeadLetterFilter {
  /** Only those consumed from this topic. */
  sourceTopic?: string;
  /** Only those whose code or reason contains this (case-insensitive). */
  reason?: string;
  tenantId?: string;
}

export interface ReadDeadLettersOptions extends DeadLetterFilter {
  /** At most this many, newest first. */
  limit: number;
  /** Only those at an offset below this one (paging: the previous page's `nextBefore`); in every partition. */
  before?: bigint;
  /** How many dead letters per partition are looked at, at most, to find `limit` matches (bounds the read). */
  scanLimit?: number;
  timeoutMs?: number;
}

export interface DeadLetterPage {
  deadLetters: DeadLetter[];
  /** The `before` of the next (older) page; null when nothing older is left in the scanned partitions. */
  nextBefore: string | null;
  /** How many dead letters were looked at. */
  scanned: number;
}

const header = (headers: IHeaders | undefined, name: string): string | null => {
  const v = headers?.[name];
  if (v === undefined || v === null) return null;
  const one = Array.isArray(v) ? v[0] : v;
  return one === undefined ? null : one.toString();
};

/** A dead letter as operators see it. */
export function deadLetterOf(partition: number, message: KafkaMessage): DeadLetter {
  const h = message.headers;
  let body: unknown = null;
  if (message.value) {
    const text = message.value.toString('utf8');
    try {
      body = JSON.parse(text) as unknown;
    } catch {
      body = { text: text.slice(0, 4_096) };
    }
  }
  const sourceTopic = header(h, HeaderNames.dlqSourceTopic);
  const sourcePartition = header(h, HeaderNames.dlqSourcePartition);
  const record = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const text = (k: string) => (typeof record[k] === 'string' ? (record[k] as string) : null);
  return {
    partition,
    offset: message.offset,
    at: new Date(Number(message.timestamp)).toISOString(),
    key: message.key?.toString() ?? null,
    code: header(h, HeaderNames.dlqCode),
    reason: header(h, HeaderNames.dlqReason),
    tenantId: header(h, HeaderNames.tenantId) ?? text('tenantId'),
    channel: header(h, HeaderNames.channel) ?? text('channel'),
    eventType: header(h, HeaderNames.eventType),
    eventId: header(h, HeaderNames.eventId),
    source: sourceTopic
      ? {
          topic: sourceTopic,
          partition: sourcePartition === null ? null : Number(sourcePartition),
          offset: header(h, HeaderNames.dlqSourceOffset),
        }
      : null,
    body,
    redrive: redrivable(sourceTopic, sourcePartition !== null && header(h, HeaderNames.dlqSourceOffset) !== null, record),
  };
}

function redrivable(sourceTopic: string | null, sourceOffset: boolean, body: Record<string, unknown>): DeadLetter['redrive'] {
  if (!sourceTopic)
    return { possible: false, why: 'no source topic: a webhook delivery the channel could not map; the provider must send it again' };
  const holds =
    body['truncated'] !== true && (typeof body['raw'] === 'string' || typeof body['rawBase64'] === 'string' || body['raw'] === null);
  if (holds) return { possible: true, from: 'dead-letter' };
  // A cut body, or a reference to the message: the source topic has it while its retention keeps it.
  if (sourceOffset) return { possible: true, from: 'source' };
  return { possible: false, why: 'the dead letter holds neither the whole message nor where it was' };
}

export function matches(d: DeadLetter, f: DeadLetterFilter): boolean {
  if (f.sourceTopic !== undefined && d.source?.topic !== f.sourceTopic) return false;
  if (f.tenantId !== undefined && d.tenantId !== f.tenantId) return false;
  if (f.reason !== undefined) {
    const needle = f.reason.toLowerCase();
    if (!`${d.code ?? ''} ${d.reason ?? ''}`.toLowerCase().includes(needle)) return false;
  }
  return true;
}

/**
 * The messages of `topic` in `[from, to)` of each partition given, read by a short-lived consumer
 * (a group of its own that commits nothing and is deleted afterwards). Bounded by the ranges.
 */
async function readRanges(
  kafka: Kafka,
  topic: string,
  ranges: ReadonlyMap<number, { from: bigint; to: bigint }>,
  timeoutMs: number,
): Promise<{ partition: number; message: KafkaMessage }[]> {
  const pending = new Map([...ranges].filter(([, r]) => r.to > r.from));
  if (pending.size === 0) return [];
  const groupId = `hub-dead-letter-reader-${randomUUID()}`;
  const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false, maxWaitTimeInMs: 100, retry: { retries: 2 } });
  const found: { partition: number; message: KafkaMessage }[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    let done!: () => void;
    const finished = new Promise<void>((resolve) => (done = resolve));
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        const range = pending.get(batch.partition);
        if (!range) return;
        for (const message of batch.messages) {
          const offset = BigInt(message.offset);
          if (offset < range.from) continue;
          if (offset >= range.to) break;
          found.push({ partition: batch.partition, message });
        }
        const last = batch.messages.at(-1);
        // Done at the range's last offset, or at the partition's end (a gap can skip the former).
        if (last && (BigInt(last.offset) >= range.to - 1n || BigInt(batch.highWatermark) <= BigInt(last.offset) + 1n)) {
          pending.delete(batch.partition);
          if (pending.size === 0) done();
        }
      },
    });
    for (const [partition, r] of pending) consumer.seek({ topic, partition, offset: r.from.toString() });
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)));
    const outcome = await Promise.race([finished, timedOut]);
    clearTimeout(timer);
    if (outcome === 'timeout') throw new Error(`the dead letters of ${topic} could not be read within ${timeoutMs} ms`);
  } finally {
    await consumer.disconnect().catch(() => undefined);
    const admin = kafka.admin();
    await admin
      .connect()
      .then(() => admin.deleteGroups([groupId]))
      .catch(() => undefined)
      .finally(() => admin.disconnect().catch(() => undefined));
  }
  return found;
}

/** The newest dead letters matching the filter, with their messages (`readDeadLetters`). */
async function scanDeadLetters(
  kafka: Kafka,
  topic: string,
  o: ReadDeadLettersOptions,
): Promise<{ page: { partition: number; message: KafkaMessage; d: DeadLetter }[]; nextBefore: bigint | null; scanned: number }> {
  const scanLimit = BigInt(o.scanLimit ?? 1_000);
  const admin = kafka.admin();
  await admin.connect();
  let offsets: { partition: number; low: string; high: string }[];
  try {
    offsets = await admin.fetchTopicOffsets(topic);
  } finally {
    await admin.disconnect();
  }
  const ranges = new Map<number, { from: bigint; to: bigint }>();
  let older: bigint | null = null;
  for (const p of offsets) {
    const high = BigInt(p.high);
    const low = BigInt(p.low);
    const to = o.before !== undefined && o.before < high ? o.before : high;
    const from = to - scanLimit > low ? to - scanLimit : low;
    ranges.set(p.partition, { from, to });
    // Something older is left below `from` in this partition.
    if (from > low && (older === null || from > older)) older = from;
  }
  const read = await readRanges(kafka, topic, ranges, o.timeoutMs ?? 15_000);
  const all = read
    .map((r) => ({ ...r, d: deadLetterOf(r.partition, r.message) }))
    .sort((a, b) => b.d.at.localeCompare(a.d.at) || Number(BigInt(b.d.offset) - BigInt(a.d.offset)));
  const page = all.filter((r) => matches(r.d, o)).slice(0, o.limit);
  // A full page: the next one starts below the oldest shown; else below what was scanned, if anything is left there.
  const nextBefore =
    page.length === o.limit ? page.reduce((m, r) => (BigInt(r.d.offset) < m ? BigInt(r.d.offset) : m), BigInt(page[0]!.d.offset)) : older;
  return { page, nextBefore, scanned: read.length };
}

/**
 * The newest dead letters of `topic` (below offset `before`, when given) matching the filter: at most
 * `scanLimit` per partition are read, so a rare match far back needs paging (`nextBefore`).
 */
export async function readDeadLetters(kafka: Kafka, topic: string, o: ReadDeadLettersOptions): Promise<DeadLetterPage> {
  const { page, nextBefore, scanned } = await scanDeadLetters(kafka, topic, o);
  return { deadLetters: page.map((r) => r.d), nextBefore: nextBefore === null ? null : nextBefore.toString(), scanned };
}

/** The dead letter at this partition and offset of `topic`; undefined when there is none (never written, or past the retention). */
export async function readDeadLetter(
  kafka: Kafka,
  topic: string,
  partition: number,
  offset: bigint,
  timeoutMs = 15_000,
): Promise<DeadLetter | undefined> {
  const admin = kafka.admin();
  await admin.connect();
  let bounds: { partition: number; low: string; high: string } | undefined;
  try {
    bounds = (await admin.fetchTopicOffsets(topic)).find((p) => p.partition === partition);
  } finally {
    await admin.disconnect();
  }
  if (!bounds || offset < BigInt(bounds.low) || offset >= BigInt(bounds.high)) return undefined;
  const read = await readRanges(kafka, topic, new Map([[partition, { from: offset, to: offset + 1n }]]), timeoutMs);
  const found = read.find((r) => BigInt(r.message.offset) === offset);
  return found ? deadLetterOf(partition, found.message) : undefined;
}
