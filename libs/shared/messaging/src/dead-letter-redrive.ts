import { createHash, randomBytes } from 'node:crypto';
import { Partitioners, type Kafka, type KafkaMessage } from 'kafkajs';
import { HeaderNames } from '@hub/contracts';
import { headersOf } from './kafka.consumer';

/** Where a message is: topic, partition, offset. */
export interface MessageCoordinates {
  topic: string;
  partition: number;
  offset: string;
}

export interface RedriveOptions {
  deadLetterTopic: string;
  /** The dead letters of this topic's messages are re-driven: each message is produced to it again, as it was sent. */
  sourceTopic: string;
  /** Which of them, by the dead letter's headers (`hub-dlq-code`, `hub-tenant-id`…); default: every one. */
  select?: (headers: Readonly<Record<string, string>>) => boolean;
  /** Dead letters below this offset (of every dead-letter partition) are left alone: the next offset a previous run reported. */
  fromOffset?: string;
  /** Only the one dead letter at these coordinates of the dead-letter topic (an operator picked it; `fromOffset` is then not read). */
  at?: { partition: number; offset: string };
  /** Find and check the messages, produce nothing. */
  dryRun?: boolean;
  /** Reading either topic longer than this fails the run (before anything is produced). Default 60 s. */
  timeoutMs?: number;
}

export interface RedriveReport {
  /** Dead letters of `sourceTopic` that `select` took. */
  selected: number;
  /** Produced again to `sourceTopic` (or, with `dryRun`, that would be). */
  redriven: MessageCoordinates[];
  /** Referenced messages (or copies cut at the dead letter's limit) the source topic no longer holds (past its retention): they cannot be re-driven. */
  gone: MessageCoordinates[];
  /** Found, but not the bytes the dead letter's SHA-256 names (a topic deleted and made again): left alone. */
  changed: MessageCoordinates[];
  /** Per dead-letter partition, the offset after the last dead letter read: `fromOffset` of the next run. */
  nextOffsets: Record<number, string>;
}

interface Letter {
  at: MessageCoordinates;
  source: MessageCoordinates;
  /** The whole message when the dead letter is a complete copy; otherwise it is read from the source topic. */
  copy?: { key: Buffer | null; value: Buffer | null; headers: Record<string, string> };
  sha256: string | null;
}

/**
 * Re-drive dead letters: produce the messages they stand for to their source topic again, exactly as
 * they were sent (key, value, headers), with `hub-redriven-from` naming where they were — after an
 * operator fixed what refused them (a tenant allowed, a schema declared). A dead letter kept by
 * reference (`keep: 'reference'`) has no payload: the message is read at its coordinates on the source
 * topic, while that topic's retention keeps it, and checked against the letter's SHA-256. A complete
 * copy is produced from the copy. Reads the dead letters up to the end the topic had when the run
 * started. At least once: consumers take a re-driven message again, and their derived ids make a
 * repeat the same event; one refused again is dead-lettered again (at its new coordinates).
 */
export async function redriveDeadLetters(kafka: Kafka, options: RedriveOptions): Promise<RedriveReport> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const from = BigInt(options.fromOffset ?? '0');
  const letters: Letter[] = [];
  const only = options.at;
  const nextOffsets = await readTopic(
    kafka,
    options.deadLetterTopic,
    timeoutMs,
    only ? (p) => (p === only.partition ? BigInt(only.offset) : undefined) : () => from,
    (partition, message) => {
      const headers = headersOf(message);
      if (headers[HeaderNames.dlqSourceTopic] !== options.sourceTopic) return;
      if (options.select && !options.select(headers)) return;
      const source = {
        topic: options.sourceTopic,
        partition: Number(headers[HeaderNames.dlqSourcePartition]),
        offset: headers[HeaderNames.dlqSourceOffset] ?? '',
      };
      const at = { topic: options.deadLetterTopic, partition, offset: message.offset };
      letters.push({ at, source, ...letterBody(message, headers) });
    },
    only ? (p) => (p === only.partition ? BigInt(only.offset) + 1n : undefined) : undefined,
  );

  const report: RedriveReport = { selected: letters.length, redriven: [], gone: [], changed: [], nextOffsets };
  const wanted = letters.filter((l) => !l.copy);
  const found = await readMessages(
    kafka,
    options.sourceTopic,
    wanted.map((l) => l.source),
    timeoutMs,
  );
  const toProduce: { letter: Letter; message: { key: Buffer | null; value: Buffer | null; headers: Record<string, string> } }[] = [];
  for (const letter of letters) {
    const message = letter.copy ?? found.get(coordinatesKey(letter.source));
    if (!message) {
      report.gone.push(letter.source);
      continue;
    }
    if (!letter.copy && sha256(message.value) !== letter.sha256) {
      report.changed.push(letter.source);
      continue;
    }
    toProduce.push({ letter, message });
  }
  if (!options.dryRun && toProduce.length > 0) {
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    try {
      await producer.send({
        topic: options.sourceTopic,
        acks: -1,
        messages: toProduce.map(({ letter, message }) => ({
          key: message.key,
          value: message.value,
          headers: { ...message.headers, [HeaderNames.redrivenFrom]: coordinatesKey(letter.source) },
        })),
      });
    } finally {
      await producer.disconnect();
    }
  }
  report.redriven = toProduce.map((p) => p.letter.source);
  return report;
}

function letterBody(message: KafkaMessage, headers: Record<string, string>): Pick<Letter, 'copy' | 'sha256'> {
  let body: { reference?: unknown; raw?: string | null; rawBase64?: string; truncated?: boolean; rawSha256?: string | null };
  try {
    body = JSON.parse(message.value?.toString('utf8') ?? '{}') as typeof body;
  } catch {
    body = {};
  }
  if (body.reference !== undefined) return { sha256: body.rawSha256 ?? null };
  if (body.truncated === false && (body.raw !== undefined || body.rawBase64 !== undefined)) {
    const value =
      body.raw === null ? null : body.raw !== undefined ? Buffer.from(body.raw, 'utf8') : Buffer.from(body.rawBase64!, 'base64');
    const copied = Object.fromEntries(Object.entries(headers).filter(([name]) => !name.startsWith('hub-dlq-')));
    return { copy: { key: message.key, value, headers: copied }, sha256: sha256(value) };
  }
  // A copy cut at the limit: the source topic may still hold the whole message.
  return { sha256: body.rawSha256 ?? null };
}

const coordinatesKey = (c: MessageCoordinates) => `${c.topic}:${c.partition}:${c.offset}`;
const sha256 = (value: Buffer | null) => (value ? createHash('sha256').update(value).digest('hex') : null);

/** The messages at these coordinates that the topic still holds (one read per partition, from the first wanted to the last). */
async function readMessages(
  kafka: Kafka,
  topic: string,
  wanted: readonly MessageCoordinates[],
  timeoutMs: number,
): Promise<Map<string, { key: Buffer | null; value: Buffer | null; headers: Record<string, string> }>> {
  const out = new Map<string, { key: Buffer | null; value: Buffer | null; headers: Record<string, string> }>();
  if (wanted.length === 0) return out;
  const ranges = new Map<number, { from: bigint; to: bigint; offsets: Set<string> }>();
  for (const w of wanted) {
    const range = ranges.get(w.partition) ?? { from: BigInt(w.offset), to: BigInt(w.offset) + 1n, offsets: new Set<string>() };
    range.from = BigInt(w.offset) < range.from ? BigInt(w.offset) : range.from;
    range.to = BigInt(w.offset) + 1n > range.to ? BigInt(w.offset) + 1n : range.to;
    range.offsets.add(w.offset);
    ranges.set(w.partition, range);
  }
  await readTopic(
    kafka,
    topic,
    timeoutMs,
    (partition) => ranges.get(partition)?.from,
    (partition, message) => {
      if (ranges.get(partition)?.offsets.has(message.offset))
        out.set(coordinatesKey({ topic, partition, offset: message.offset }), {
          key: message.key,
          value: message.value,
          headers: headersOf(message),
        });
    },
    (partition) => ranges.get(partition)?.to,
  );
  return out;
}

/**
 * Read each partition of `topic` from `startOf(partition)` (none: the partition is skipped) up to
 * `endOf(partition)` or, by default, the end it had when the read started; offsets the topic no
 * longer holds are skipped. A fresh consumer group of its own, deleted afterwards. Resolves to the
 * offset after the last one read, per partition.
 */
async function readTopic(
  kafka: Kafka,
  topic: string,
  timeoutMs: number,
  startOf: (partition: number) => bigint | undefined,
  onMessage: (partition: number, message: KafkaMessage) => void,
  endOf: (partition: number) => bigint | undefined = () => undefined,
): Promise<Record<number, string>> {
  const admin = kafka.admin();
  await admin.connect();
  const groupId = `hub.redrive.${randomBytes(6).toString('hex')}`;
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    const plan = new Map<number, { from: bigint; to: bigint }>();
    const next: Record<number, string> = {};
    for (const p of offsets) {
      const start = startOf(p.partition);
      const [low, high] = [BigInt(p.low), BigInt(p.high)];
      next[p.partition] = String(start !== undefined && start > high ? start : high);
      if (start === undefined) continue;
      const from = start > low ? start : low;
      const end = endOf(p.partition);
      const to = end !== undefined && end < high ? end : high;
      if (from < to) plan.set(p.partition, { from, to });
    }
    if (plan.size === 0) return next;
    const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100, allowAutoTopicCreation: false });
    await consumer.connect();
    try {
      await consumer.subscribe({ topic, fromBeginning: true });
      const remaining = new Set(plan.keys());
      let finish: () => void = () => undefined;
      const done = new Promise<void>((resolve) => (finish = resolve));
      await consumer.run({
        eachMessage: async ({ partition, message }) => {
          const range = plan.get(partition);
          const offset = BigInt(message.offset);
          if (!range || offset < range.from || offset >= range.to) {
            if (range && offset >= range.to && remaining.delete(partition) && remaining.size === 0) finish();
            return;
          }
          onMessage(partition, message);
          if (offset + 1n >= range.to && remaining.delete(partition) && remaining.size === 0) finish();
        },
      });
      for (const [partition, range] of plan) consumer.seek({ topic, partition, offset: String(range.from) });
      for (const p of offsets) if (!plan.has(p.partition)) consumer.seek({ topic, partition: p.partition, offset: p.high });
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)));
      const outcome = await Promise.race([done, timedOut]);
      clearTimeout(timer);
      if (outcome === 'timeout')
        throw new Error(`reading ${topic} took longer than ${timeoutMs} ms; partitions not read to the end: ${[...remaining].join(', ')}`);
    } finally {
      await consumer.disconnect();
    }
    await admin.deleteGroups([groupId]).catch(() => undefined);
    return next;
  } finally {
    await admin.disconnect();
  }
}
