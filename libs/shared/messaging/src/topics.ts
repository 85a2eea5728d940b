import type { Admin, Kafka } from 'kafkajs';
import { hubNames, type HubNames } from '@hub/contracts';

/** How long the raw topic keeps a message: its refusals' feedback, and a re-drive of its dead letters, have that long. */
const RAW_RETENTION_MS = 7 * 24 * 3600 * 1000;
/**
 * How long the decisions topics keep a message. A message there carries the customer's channel
 * address in clear and cannot be crypto-shredded: this is how long it outlives an erasure
 * (docs/events.md, *Personal data and erasure*). Set on the topic when it is created; an existing
 * topic keeps its own setting (`kafka-configs --alter --add-config retention.ms=…`).
 */
export const DECISIONS_RETENTION_MS = 7 * 24 * 3600 * 1000;

export interface TopicSpec {
  topic: string;
  numPartitions: number;
  /** Copies of each partition. Default 1: the dev and test setups run one broker (a cluster sets 3, with `min.insync.replicas` 2). */
  replicationFactor?: number;
  configEntries?: { name: string; value: string }[];
}

/**
 * The hub's topics and their partition counts: partitions cap consumer parallelism. With a
 * `replicationFactor` above 1 (`KAFKA_REPLICATION_FACTOR`, a cluster), every topic gets that many
 * copies and `min.insync.replicas` one fewer, so an acknowledged (acks=all) message survives the loss
 * of any one broker (issue #15 F13).
 */
export function hubTopicSpecs(names: HubNames = hubNames(), options: { replicationFactor?: number } = {}): TopicSpec[] {
  const durable = durableIn(options.replicationFactor ?? 1);
  return [
    { topic: names.topics.interactions, numPartitions: 6 },
    { topic: names.topics.customerEvents, numPartitions: 6 },
    { topic: names.topics.deadLetter, numPartitions: 1, configEntries: [{ name: 'retention.ms', value: String(30 * 24 * 3600 * 1000) }] },
    // Platforms produce here directly; ingest-api moves each message to `interactions` (7 d is ample).
    {
      topic: names.topics.rawInteractions,
      numPartitions: 6,
      configEntries: [{ name: 'retention.ms', value: String(RAW_RETENTION_MS) }],
    },
    // Decisions for channel senders, keyed by customer (one customer's decisions stay in order).
    {
      topic: names.topics.nbaDecisions,
      numPartitions: 6,
      configEntries: [{ name: 'retention.ms', value: String(DECISIONS_RETENTION_MS) }],
    },
    // Every decision, those that contact nobody too (`kind: 'no-action'`).
    {
      topic: names.topics.nbaDecisionsV2,
      numPartitions: 6,
      configEntries: [{ name: 'retention.ms', value: String(DECISIONS_RETENTION_MS) }],
    },
  ].map(durable);
}

export const HUB_TOPICS: readonly TopicSpec[] = hubTopicSpecs();

/**
 * The raw tenants' feedback topics (`rawRejectionsTopic`, one per tenant of `INGEST_RAW_TENANTS`):
 * one partition each (a tenant's refusals in order; few of them), kept as long as the raw topic keeps
 * the messages they reference.
 */
export function rawRejectionsTopicSpecs(topics: readonly string[], replicationFactor = 1): TopicSpec[] {
  return topics.map((topic) =>
    durableIn(replicationFactor)({ topic, numPartitions: 1, configEntries: [{ name: 'retention.ms', value: String(RAW_RETENTION_MS) }] }),
  );
}

function durableIn(replicationFactor: number): (spec: TopicSpec) => TopicSpec {
  return (spec) =>
    replicationFactor <= 1
      ? spec
      : {
          ...spec,
          replicationFactor,
          configEntries: [...(spec.configEntries ?? []), { name: 'min.insync.replicas', value: String(replicationFactor - 1) }],
        };
}

/**
 * Create any missing topic, then wait until every partition of the new ones has a leader; safe to run
 * from every app at boot. Only the app's own topics are asked about (their metadata): listing the
 * cluster's topics fetched every topic's partitions, which on a shared cluster grows with everyone
 * else's (567 topics: +4 MiB resident per app at boot). KafkaJS's own `waitForLeaders` retries only
 * LEADER_NOT_AVAILABLE, but a KRaft broker answers UNKNOWN_TOPIC_OR_PARTITION for a moment after the
 * controller created a topic (its metadata image lags, KAFKA-15780), and KafkaJS then fails the whole
 * call: so the wait is ours.
 */
export async function ensureTopics(kafka: Kafka, specs: readonly TopicSpec[] = HUB_TOPICS, timeoutMs = 30_000): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    // One request when all exist (every boot but the first); one per topic to find which do not.
    if (await exist(admin, specs)) return;
    const missing: TopicSpec[] = [];
    for (const spec of specs) if (!(await exist(admin, [spec]))) missing.push(spec);
    if (missing.length === 0) return;
    // False when another process created them meanwhile: fine, they exist.
    await admin.createTopics({
      waitForLeaders: false,
      topics: missing.map((s) => ({
        topic: s.topic,
        numPartitions: s.numPartitions,
        replicationFactor: s.replicationFactor ?? 1,
        ...(s.configEntries ? { configEntries: s.configEntries } : {}),
      })),
    });
    await waitForLeaders(admin, missing, timeoutMs);
  } finally {
    await admin.disconnect();
  }
}

/**
 * Whether every one of these topics exists, asking for their metadata alone (the admin client never
 * auto-creates a topic it asks about). A topic a moment old may still answer as unknown: then it is
 * "missing", created again (TOPIC_ALREADY_EXISTS, which KafkaJS answers as `false`), and waited for.
 */
async function exist(admin: Admin, specs: readonly TopicSpec[]): Promise<boolean> {
  try {
    await admin.fetchTopicMetadata({ topics: specs.map((s) => s.topic) });
    return true;
  } catch (err) {
    const e = err as { type?: string; cause?: { type?: string } };
    if (SETTLING.has(e.type ?? e.cause?.type ?? '')) return false;
    throw err;
  }
}

/** Metadata errors a just-created topic gives until every broker has caught up. */
const SETTLING = new Set(['UNKNOWN_TOPIC_OR_PARTITION', 'LEADER_NOT_AVAILABLE', 'NOT_LEADER_OR_FOLLOWER', 'NOT_LEADER_FOR_PARTITION']);

async function waitForLeaders(admin: Admin, specs: readonly TopicSpec[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const topics = specs.map((s) => s.topic);
  let waitingFor = 'metadata';
  for (;;) {
    try {
      const { topics: found } = await admin.fetchTopicMetadata({ topics });
      const unsettled = specs.filter((spec) => {
        const partitions = found.find((t) => t.name === spec.topic)?.partitions ?? [];
        return partitions.length < spec.numPartitions || partitions.some((p) => p.leader < 0);
      });
      if (unsettled.length === 0) return;
      waitingFor = `leaders of ${unsettled.map((s) => s.topic).join(', ')}`;
    } catch (err) {
      // A protocol error, or the retries KafkaJS made around one.
      const e = err as { type?: string; cause?: { type?: string } };
      const type = e.type ?? e.cause?.type;
      if (!type || !SETTLING.has(type)) throw err;
      waitingFor = `metadata (${type})`;
    }
    if (Date.now() > deadline) throw new Error(`Kafka created ${topics.join(', ')} but gave no ${waitingFor} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
