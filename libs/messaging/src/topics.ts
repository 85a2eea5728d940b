import type { Kafka } from 'kafkajs';
import { hubNames, type HubNames } from '@hub/contracts';

export interface TopicSpec {
  topic: string;
  numPartitions: number;
  configEntries?: { name: string; value: string }[];
}

/** The hub's topics and their partition counts: partitions cap consumer parallelism. */
export function hubTopicSpecs(names: HubNames = hubNames()): TopicSpec[] {
  return [
    { topic: names.topics.interactions, numPartitions: 6 },
    { topic: names.topics.customerEvents, numPartitions: 6 },
    { topic: names.topics.deadLetter, numPartitions: 1, configEntries: [{ name: 'retention.ms', value: String(30 * 24 * 3600 * 1000) }] },
    // Platforms produce here directly; ingest-api moves each message to `interactions` (7 d is ample).
    { topic: names.topics.rawInteractions, numPartitions: 6, configEntries: [{ name: 'retention.ms', value: String(7 * 24 * 3600 * 1000) }] },
    // Decisions for channel senders, keyed by customer (one customer's decisions stay in order).
    { topic: names.topics.nbaDecisions, numPartitions: 6 },
  ];
}

export const HUB_TOPICS: readonly TopicSpec[] = hubTopicSpecs();

/** Create any missing topic; safe to run from every app at boot. */
export async function ensureTopics(kafka: Kafka, specs: readonly TopicSpec[] = HUB_TOPICS): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = specs.filter((s) => !existing.has(s.topic));
    if (missing.length > 0) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((s) => ({ topic: s.topic, numPartitions: s.numPartitions, replicationFactor: 1, ...(s.configEntries ? { configEntries: s.configEntries } : {}) })),
      });
    }
  } finally {
    await admin.disconnect();
  }
}
