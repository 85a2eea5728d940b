/*
 * F3, a handler held past the session timeout: a customer's `hub_streams` row (the per-stream write
 * lock every append takes, libs/record/event-store/src/postgres.event-store.ts) is locked from a connection
 * of the harness's own, in an open transaction, for longer than the recorder's Kafka session timeout
 * (30 s) and its pool's `lock_timeout` (30 s), while that customer keeps writing; then released.
 */
import { Partitioners } from 'kafkajs';
import { Client } from 'pg';
import { IdentityHasher, identityKey } from '@hub/contracts';
import { phoneOf } from '../../bench/pipeline/load';
import { TENANT, type FaultHub } from './hub';
import { burstFromOnePhone } from './load';
import type { Check } from './oracle';
import type { Fault, InjectContext } from './scenarios';

/** Longer than the consumer's session timeout and the pools' lock_timeout (both 30 s). */
const HOLD_MS = 45_000;
/** SMS the locked customer sends while the lock is held, one a second from the lock on. */
const HELD_SMS = 8;

/** A partition of the recorder's group waiting this long with messages to handle and nothing committed is held back (the pools' lock_timeout is 30 s). */
const STALL_LIMIT_MS = 20_000;

/** Per partition of `interactions`: the recorder group's committed offset and the end offset. */
async function partitionOffsets(hub: FaultHub): Promise<Map<number, { committed: number; end: number }>> {
  const topic = hub.names.topics.interactions;
  const [ends, committed] = await Promise.all([
    hub.admin.fetchTopicOffsets(topic),
    hub.admin.fetchOffsets({ groupId: hub.names.groups.timelineProjector, topics: [topic] }),
  ]);
  const at = new Map((committed[0]?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
  return new Map(ends.map((p) => [p.partition, { committed: Math.max(at.get(p.partition) ?? -1, Number(p.low)), end: Number(p.high) }]));
}

type Sample = { atMs: number; offsets: Map<number, { committed: number; end: number }> };

/**
 * The longest time each partition went with messages waiting (lag > 0) and its committed offset not
 * moving, over the samples: how long the recorder held it back.
 */
export function longestStalls(samples: readonly Sample[]): Map<number, number> {
  const out = new Map<number, number>();
  const since = new Map<number, { atMs: number; committed: number }>();
  for (const s of samples) {
    for (const [p, o] of s.offsets) {
      const open = since.get(p);
      if (o.end - o.committed <= 0 || (open && o.committed !== open.committed)) {
        since.delete(p);
        if (o.end - o.committed > 0) since.set(p, { atMs: s.atMs, committed: o.committed });
      } else if (!open) since.set(p, { atMs: s.atMs, committed: o.committed });
      const from = since.get(p);
      out.set(p, Math.max(out.get(p) ?? 0, from ? s.atMs - from.atMs : 0));
    }
  }
  return out;
}

/** The partition of `interactions` a phone's SMS go to: ingestion keys them by `identityKey`, partitioned as the hub's producer does. */
function partitionOfPhone(phone: string, partitions: number): number {
  const key = identityKey(IdentityHasher.development(), TENANT, 'phone', phone);
  return Partitioners.DefaultPartitioner()({
    topic: 'interactions',
    partitionMetadata: Array.from({ length: partitions }, (_, partitionId) => ({
      partitionId,
      leader: 0,
      replicas: [0],
      isr: [0],
      offlineReplicas: [],
      partitionErrorCode: 0,
    })),
    message: { key, value: null },
  });
}

async function recorderMembers(hub: FaultHub): Promise<string[]> {
  const d = await hub.admin.describeGroups([hub.names.groups.timelineProjector]);
  return (d.groups[0]?.members ?? []).map((m) => m.memberId).sort();
}

/** The customer stream an acknowledged interaction was recorded in, once it is (polling). */
async function streamOf(hub: FaultHub, eventIds: readonly string[], ctx: InjectContext): Promise<string> {
  for (let i = 0; i < 600; i++) {
    const r = await hub.pool.query<{ stream_name: string }>(
      "select stream_name from hub_events where event_id = any($1::uuid[]) and event_type = 'InteractionRecorded' limit 1",
      [eventIds],
    );
    if (r.rows[0]) return r.rows[0].stream_name;
    await ctx.sleep(200);
  }
  throw new Error('F3: the first SMS of the customer to lock was not recorded within 120 s');
}

async function revisionOf(hub: FaultHub, stream: string): Promise<number> {
  const r = await hub.pool.query<{ revision: string }>('select revision from hub_streams where stream_name = $1', [stream]);
  return Number(r.rows[0]?.revision ?? -1);
}

export const F3: Fault = {
  id: 'F3',
  title: 'row lock held past the session timeout',
  description:
    `A customer of its own writes once; once recorded, its \`hub_streams\` row (the lock every append to its stream takes) is locked (\`select … for update\` in an open transaction, from a connection of the harness) for ${HOLD_MS / 1000} s — ` +
    `past the recorder's session timeout and its pool's \`lock_timeout\` (30 s each) — while the customer sends ${HELD_SMS} more SMS, one a second, on top of the load; then the transaction ends. ` +
    'Also checks that the lock did hold the stream (its revision unchanged), that the held SMS are then recorded on that customer, that no other partition of `interactions` went 20 s with messages waiting and nothing committed (sampled every 500 ms), and says whether the recorder kept its group membership.',
  async inject(hub, ctx) {
    const phone = phoneOf(7_000_000 + (Number.parseInt(ctx.tag.replace(/\D/g, '').slice(-5) || '0', 10) % 100_000));
    const first = await burstFromOnePhone(hub, phone, 1, `${ctx.tag}-first`);
    if (first.acknowledged.length === 0) throw new Error(`F3: the first SMS from ${phone} was refused: ${JSON.stringify(first.refused)}`);
    const stream = await streamOf(hub, first.acknowledged, ctx);
    const membersBefore = await recorderMembers(hub);

    const locker = new Client({ connectionString: hub.database.url });
    await locker.connect();
    let revisionAtLock: number;
    let revisionAtRelease: number;
    const samples: Sample[] = [];
    let held: { acknowledged: string[]; refused: Record<string, number> }[] = [];
    const lockedAt = Date.now();
    try {
      await locker.query('begin');
      const locked = await locker.query<{ revision: string }>('select revision from hub_streams where stream_name = $1 for update', [
        stream,
      ]);
      revisionAtLock = Number(locked.rows[0]?.revision ?? -1);
      ctx.log(`${stream} (${phone}) locked at revision ${revisionAtLock} for ${HOLD_MS / 1000} s`);
      const sending = Promise.all(
        Array.from({ length: HELD_SMS }, async (_, i) => {
          await ctx.sleep(i * 1_000);
          return burstFromOnePhone(hub, phone, 1, `${ctx.tag}-held-${i}`);
        }),
      );
      while (Date.now() - lockedAt < HOLD_MS) {
        try {
          samples.push({ atMs: Date.now() - lockedAt, offsets: await partitionOffsets(hub) });
        } catch {
          // the broker busy: the next sample
        }
        await ctx.sleep(500);
      }
      revisionAtRelease = await revisionOf(hub, stream);
      await locker.query('commit');
      ctx.log(`${stream} released after ${((Date.now() - lockedAt) / 1000).toFixed(1)} s`);
      held = await sending;
    } finally {
      await locker.end().catch(() => undefined);
    }
    const heldIds = held.flatMap((h) => h.acknowledged);
    const membersAfter = await recorderMembers(hub);
    // How long each partition was held back during the hold. The locked customer's partition waits
    // for the lock (its runs keep the customer's order); every other one should not wait for it.
    const lockedPartition = partitionOfPhone(phone, samples[0]?.offsets.size ?? 6);
    const stalls = longestStalls(samples);
    const others = [...stalls].filter(([p]) => p !== lockedPartition);
    const worst = others.reduce((w, [, ms]) => Math.max(w, ms), 0);
    return {
      faults: 1,
      acknowledged: [...first.acknowledged, ...heldIds],
      checks: async (h) => {
        const onStream = await h.pool.query<{ n: number }>(
          "select count(*)::int as n from hub_events where stream_name = $1 and event_type = 'InteractionRecorded' and event_id = any($2::uuid[])",
          [stream, heldIds],
        );
        const heldRecorded = onStream.rows[0]?.n ?? 0;
        const kept = membersBefore.length > 0 && membersBefore.every((m) => membersAfter.includes(m));
        const checks: Check[] = [
          {
            name: 'the lock held the stream',
            ok: revisionAtRelease === revisionAtLock && heldIds.length > 0,
            detail: `revision ${revisionAtLock} at the lock, ${revisionAtRelease} at the release; ${heldIds.length}/${HELD_SMS} held SMS acknowledged meanwhile`,
          },
          {
            name: 'held SMS recorded after the release',
            ok: heldIds.length === HELD_SMS && heldRecorded === HELD_SMS,
            detail: `${heldRecorded}/${HELD_SMS} on ${stream.slice(0, 24)}…, tenant ${TENANT}`,
          },
          {
            name: 'other partitions not held back',
            ok: samples.length > 0 && worst < STALL_LIMIT_MS && (stalls.get(lockedPartition) ?? 0) > 0,
            detail:
              `longest wait with messages pending and no commit, over ${samples.length} samples: partition ${lockedPartition} (locked customer's) ${((stalls.get(lockedPartition) ?? 0) / 1000).toFixed(1)} s; ` +
              `others ${others.map(([p, ms]) => `${p}: ${(ms / 1000).toFixed(1)} s`).join(', ')} (limit ${STALL_LIMIT_MS / 1000} s)`,
          },
          {
            name: 'recorder group after the hold',
            ok: membersAfter.length > 0,
            detail: kept
              ? `kept its member${membersBefore.length > 1 ? 's' : ''} (no rebalance)`
              : `members ${membersBefore.length} → ${membersAfter.length}, changed (rebalanced)`,
          },
        ];
        return checks;
      },
    };
  },
};
