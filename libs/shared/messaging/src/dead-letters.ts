import { randomUUID } from 'node:crypto';
import type { IHeaders, Kafka, KafkaMessage } from 'kafkajs';
import { HeaderNames } from '@hub/contracts';

/**
 * Reading and re-driving the dead-letter topic (`hub.dead-letter.v1`), for operators: the admin API's
 * `/admin/v1/dead-letters` (docs/operations.md, "Dead letters"). One implementation for every caller.
 *
 * A dead letter is what the consumer (`kafka.consumer.ts`) or an ingestion app wrote: the headers
 * say why (`hub-dlq-code`, `hub-dlq-reason`) and, for a consumed message, where it came from
 * (`hub-dlq-source-topic`/`-partition`/`-offset`); the value is whatever the writer put there (the
 * bounded raw body, `deadLetterBody`, or a reference to it). It is shown as it is: nothing is
 * decoded or fetched beyond what the dead letter already holds.
 */

/** Headers a re-driven message carries: the dead letter it came from (`<topic>:<partition>:<offset>`). */
export const REDRIVEN_FROM_HEADER = 'hub-redriven-from';

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
   * Whether `redriveDeadLetters` can put it back on its topic (`from`: the message the dead letter
   * holds, or the source topic's message at its offset, while that topic's retention keeps it); else why not.
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

export type RedriveSelection = { partition: number; offset: bigint } | { sourceTopic: string; limit: number };

export interface RedriveResult {
  /** The dead letters put back on their topics. */
  redriven: { partition: number; offset: string; topic: string }[];
  /** Those that could not be (`DeadLetter['redrive'].why`). */
  skipped: { partition: number; offset: string; why: string }[];
}

type Outgoing = { key: string | null; value: Buffer | null; headers: Record<string, string> };

const headersWithout = (message: KafkaMessage, dropDeadLetterHeaders: boolean): Record<string, string> => {
  const headers: Record<string, string> = {};
  for (const [name, v] of Object.entries(message.headers ?? {})) {
    if ((dropDeadLetterHeaders && name.startsWith('hub-dlq-')) || name === REDRIVEN_FROM_HEADER || v === undefined) continue;
    const one = Array.isArray(v) ? v[0] : v;
    if (one !== undefined) headers[name] = one.toString();
  }
  return headers;
};

/** The message as it was on its source topic, from what the dead letter holds: key, value and headers without the dead letter's own. */
function originalOf(d: DeadLetter, message: KafkaMessage, dlqTopic: string): Outgoing {
  const body = d.body as { raw?: string | null; rawBase64?: string };
  const value =
    typeof body.raw === 'string' ? Buffer.from(body.raw, 'utf8') : body.rawBase64 ? Buffer.from(body.rawBase64, 'base64') : null;
  return {
    key: d.key,
    value,
    headers: { ...headersWithout(message, true), [REDRIVEN_FROM_HEADER]: `${dlqTopic}:${d.partition}:${d.offset}` },
  };
}

/**
 * The source messages the dead letters point at (topic, partition, offset), read from their topics:
 * by offset clusters, so a re-drive of scattered dead letters does not read everything between them.
 */
async function sourceMessages(kafka: Kafka, wanted: readonly DeadLetter[], timeoutMs: number): Promise<Map<DeadLetter, KafkaMessage>> {
  const found = new Map<DeadLetter, KafkaMessage>();
  const byTopic = new Map<string, DeadLetter[]>();
  for (const d of wanted) byTopic.set(d.source!.topic, [...(byTopic.get(d.source!.topic) ?? []), d]);
  for (const [topic, letters] of byTopic) {
    const admin = kafka.admin();
    await admin.connect();
    let offsets: { partition: number; low: string; high: string }[];
    try {
      offsets = await admin.fetchTopicOffsets(topic);
    } finally {
      await admin.disconnect();
    }
    // Per partition, the offsets still on the topic, in clusters at most 1,000 apart.
    const clusters = new Map<number, bigint[][]>();
    for (const [partition, list] of groupBy(letters, (d) => d.source!.partition!)) {
      const bounds = offsets.find((o) => o.partition === partition);
      if (!bounds) continue;
      const sorted = [
        ...new Set(list.map((d) => BigInt(d.source!.offset!)).filter((o) => o >= BigInt(bounds.low) && o < BigInt(bounds.high))),
      ].sort((a, b) => (a < b ? -1 : 1));
      const runs: bigint[][] = [];
      for (const o of sorted) {
        const last = runs.at(-1);
        if (last && o - last.at(-1)! <= 1_000n) last.push(o);
        else runs.push([o]);
      }
      clusters.set(partition, runs);
    }
    for (let round = 0; ; round++) {
      const ranges = new Map<number, { from: bigint; to: bigint }>();
      for (const [partition, runs] of clusters) {
        const run = runs[round];
        if (run) ranges.set(partition, { from: run[0]!, to: run.at(-1)! + 1n });
      }
      if (ranges.size === 0) break;
      const read = await readRanges(kafka, topic, ranges, timeoutMs);
      const at = new Map(read.map((r) => [`${r.partition}:${r.message.offset}`, r.message]));
      for (const d of letters) {
        const m = at.get(`${d.source!.partition}:${d.source!.offset}`);
        if (m) found.set(d, m);
      }
    }
  }
  return found;
}

function groupBy<T, K>(items: readonly T[], key: (item: T) => K): Map<K, T[]> {
  const out = new Map<K, T[]>();
  for (const item of items) out.set(key(item), [...(out.get(key(item)) ?? []), item]);
  return out;
}

/**
 * Put dead letters back on the topic they were consumed from, as they were (key, value, headers; plus
 * `hub-redriven-from`), once the cause is fixed: one (by its partition and offset) or the newest
 * `limit` of one source topic. The message is the one the dead letter holds, or — when it holds a
 * cut one or a reference — the source topic's at its offset, while that topic's retention keeps it.
 * The consumers are idempotent (event ids), so re-driving one twice is harmless; one that fails
 * again is dead-lettered again, at a new offset. Acknowledged (acks=all) before this resolves.
 */
export async function redriveDeadLetters(
  kafka: Kafka,
  dlqTopic: string,
  which: RedriveSelection,
  timeoutMs = 15_000,
): Promise<RedriveResult> {
  let picked: { partition: number; message: KafkaMessage }[];
  if ('offset' in which) {
    const admin = kafka.admin();
    await admin.connect();
    let bounds: { partition: number; low: string; high: string } | undefined;
    try {
      bounds = (await admin.fetchTopicOffsets(dlqTopic)).find((p) => p.partition === which.partition);
    } finally {
      await admin.disconnect();
    }
    if (!bounds || which.offset < BigInt(bounds.low) || which.offset >= BigInt(bounds.high))
      return {
        redriven: [],
        skipped: [
          {
            partition: which.partition,
            offset: which.offset.toString(),
            why: 'no dead letter there (never written, or past the topic retention)',
          },
        ],
      };
    picked = await readRanges(kafka, dlqTopic, new Map([[which.partition, { from: which.offset, to: which.offset + 1n }]]), timeoutMs);
  } else {
    picked = (await scanDeadLetters(kafka, dlqTopic, { sourceTopic: which.sourceTopic, limit: which.limit, scanLimit: 10_000, timeoutMs }))
      .page;
  }
  const result: RedriveResult = { redriven: [], skipped: [] };
  const letters = picked
    .map(({ partition, message }) => ({ d: deadLetterOf(partition, message), message }))
    .filter(({ d }) => !('offset' in which) || BigInt(d.offset) === which.offset);
  const fromSource = await sourceMessages(
    kafka,
    letters.filter(({ d }) => d.redrive.possible && d.redrive.from === 'source').map(({ d }) => d),
    timeoutMs,
  );
  const out = new Map<string, Outgoing[]>();
  for (const { d, message } of letters) {
    if (!d.redrive.possible) {
      result.skipped.push({ partition: d.partition, offset: d.offset, why: d.redrive.why });
      continue;
    }
    let outgoing: Outgoing;
    if (d.redrive.from === 'dead-letter') outgoing = originalOf(d, message, dlqTopic);
    else {
      const source = fromSource.get(d);
      if (!source) {
        result.skipped.push({ partition: d.partition, offset: d.offset, why: `no longer on ${d.source!.topic} (past its retention)` });
        continue;
      }
      outgoing = {
        key: source.key?.toString() ?? null,
        value: source.value,
        headers: { ...headersWithout(source, false), [REDRIVEN_FROM_HEADER]: `${dlqTopic}:${d.partition}:${d.offset}` },
      };
    }
    const topic = d.source!.topic;
    out.set(topic, [...(out.get(topic) ?? []), outgoing]);
    result.redriven.push({ partition: d.partition, offset: d.offset, topic });
  }
  if (out.size === 0) return result;
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  await producer.connect();
  try {
    await producer.sendBatch({ acks: -1, topicMessages: [...out].map(([topic, messages]) => ({ topic, messages })) });
  } finally {
    await producer.disconnect();
  }
  return result;
}
