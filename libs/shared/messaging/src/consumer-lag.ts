import type { Admin } from 'kafkajs';

export interface PartitionLag {
  partition: number;
  /** The group's committed offset (null: it never committed on this partition). */
  committed: string | null;
  /** The partition's end (the next offset to be written). */
  end: string;
  /** Messages not committed yet (a partition never committed lags by everything retained). */
  lag: number;
}

export interface GroupLag {
  groupId: string;
  topic: string;
  /** Summed over the partitions. */
  lag: number;
  partitions: PartitionLag[];
}

/**
 * How far a consumer group is behind on a topic, per partition: the end offsets against the group's
 * committed ones (as `bench/pipeline/probes.ts` reads it, kept per partition).
 */
export async function consumerGroupLag(admin: Admin, groupId: string, topic: string): Promise<GroupLag> {
  const [ends, committed] = await Promise.all([admin.fetchTopicOffsets(topic), admin.fetchOffsets({ groupId, topics: [topic] })]);
  const byPartition = new Map((committed[0]?.partitions ?? []).map((p) => [p.partition, BigInt(p.offset)]));
  const partitions = ends
    .map((p): PartitionLag => {
      const at = byPartition.get(p.partition) ?? -1n;
      const end = BigInt(p.high);
      const from = at < 0n ? BigInt(p.low) : at;
      return { partition: p.partition, committed: at < 0n ? null : at.toString(), end: end.toString(), lag: Number(end - from) };
    })
    .sort((a, b) => a.partition - b.partition);
  return { groupId, topic, lag: partitions.reduce((n, p) => n + p.lag, 0), partitions };
}
