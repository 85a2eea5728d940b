/*
 * F2, a consumer rebalance storm: extra instances of the two consuming apps started and stopped
 * (SIGTERM, and every third one SIGKILL) under load, so the recorder's group on `interactions` and
 * the worker's on `customer-events` rebalance again and again. Every join and every leave moves
 * partitions between members while runs are in flight and offsets are waiting in the background
 * committer (`OffsetCommitter`, libs/shared/messaging/src/kafka.consumer.ts): what this tests.
 */
import type { Admin } from 'kafkajs';
import type { HubAppName } from '@hub/testing';
import type { FaultHub } from './hub';
import { runLoad } from './load';
import type { Check } from './oracle';
import type { Fault, InjectContext } from './scenarios';

/** Start/stop cycles per app; both apps storm at once. */
const CYCLES = 5;
/** The consuming apps, each with its consumer group and topic. */
const STORMED: readonly HubAppName[] = ['timeline-projector', 'nba-worker'];

interface Stopped {
  app: HubAppName;
  signal: NodeJS.Signals;
  ms: number;
  killed: boolean;
}

/** What the monitor saw of a group while the storm ran and the hub settled. */
interface GroupWatch {
  group: string;
  topic: string;
  /** Most members seen at once (1 = the extras never joined). */
  maxMembers: number;
  /** How many times the set of members changed between two samples. */
  memberChanges: number;
  lastMembers: string;
  /** Highest committed offset seen per partition. */
  highest: Map<number, number>;
  /** A committed offset lower than one seen before: a stale member's commit moved the group back. */
  backwards: { partition: number; from: number; to: number }[];
}

/**
 * Samples both groups every 500 ms (describeGroups, fetchOffsets) until stopped: who is a member,
 * and whether any partition's committed offset ever moves back. Only offsets a member has handled
 * are committed, so a correct hub only moves them forward; a late commit from a member that lost the
 * partition (a commit retried after the rebalance, a run finishing after it) could move it back.
 */
function watchGroups(admin: Admin, groups: readonly { group: string; topic: string }[]): { stop(): Promise<GroupWatch[]> } {
  const watches: GroupWatch[] = groups.map(({ group, topic }) => ({
    group,
    topic,
    maxMembers: 0,
    memberChanges: 0,
    lastMembers: '',
    highest: new Map(),
    backwards: [],
  }));
  let running = true;
  const loop = (async () => {
    while (running) {
      try {
        const described = await admin.describeGroups(watches.map((w) => w.group));
        for (const w of watches) {
          const g = described.groups.find((d) => d.groupId === w.group);
          const members = (g?.members ?? [])
            .map((m) => m.memberId)
            .sort()
            .join(',');
          w.maxMembers = Math.max(w.maxMembers, g?.members.length ?? 0);
          if (members !== w.lastMembers) w.memberChanges++;
          w.lastMembers = members;
        }
        for (const w of watches) {
          const committed = await admin.fetchOffsets({ groupId: w.group, topics: [w.topic] });
          for (const p of committed[0]?.partitions ?? []) {
            const at = Number(p.offset);
            if (at < 0) continue;
            const before = w.highest.get(p.partition);
            if (before !== undefined && at < before) w.backwards.push({ partition: p.partition, from: before, to: at });
            if (before === undefined || at > before) w.highest.set(p.partition, at);
          }
        }
      } catch {
        // the broker busy or a group between generations: sample again
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return watches;
    },
  };
}

/** `CYCLES` times: one extra instance of `app` started, left to take partitions for a few seconds, stopped. */
async function storm(hub: FaultHub, app: HubAppName, ctx: InjectContext): Promise<Stopped[]> {
  const stopped: Stopped[] = [];
  for (let i = 0; i < CYCLES; i++) {
    const extra = await hub.startExtra(app);
    // 2 to 4 s: long enough for the group to hand it partitions and runs to be under way.
    await ctx.sleep(2_000 + (i % 3) * 1_000);
    const signal: NodeJS.Signals = i % 3 === 2 ? 'SIGKILL' : 'SIGTERM';
    const { ms, killed } = await hub.stopExtra(extra, signal, 20_000);
    ctx.log(
      `${app} extra (pid ${extra.child.pid}) ${signal}: ${killed ? 'SIGKILLed after 20 s' : `exited in ${(ms / 1000).toFixed(1)} s`}`,
    );
    stopped.push({ app, signal, ms, killed });
  }
  return stopped;
}

/** The storm's own traffic, per second: an extra instance takes 10–40 s to boot on a loaded machine, longer than the scenario's load lasts. */
const TRICKLE_RATE = 40;
const TRICKLE_CHUNK_S = 5;

/**
 * The load's mix again, in chunks of 5 s (each its own tag: new provider message ids), one after
 * another until stopped, so the groups rebalance under load for as long as the storm lasts.
 * Resolves to every event id acknowledged, once each chunk's provider retries are over.
 */
function trickle(hub: FaultHub, ctx: InjectContext): { stop(): Promise<string[]> } {
  let running = true;
  const chunks: Promise<string[]>[] = [];
  const loop = (async () => {
    for (let i = 0; running; i++) {
      chunks.push(
        runLoad(hub, { rate: TRICKLE_RATE, seconds: TRICKLE_CHUNK_S, seed: 1_000 + i, tag: `${ctx.tag}t${i}` }).then((r) => r.acknowledged),
      );
      await ctx.sleep(TRICKLE_CHUNK_S * 1_000);
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return (await Promise.all(chunks)).flat();
    },
  };
}

export const F2: Fault = {
  id: 'F2',
  title: 'consumer rebalance storm',
  description:
    `Extra instances of timeline-projector (the recorder's group on \`interactions\`) and of nba-worker (its group on \`customer-events\`) are started and stopped under load, ${CYCLES} of each, one at a time per app, both apps at once: ` +
    'each extra takes partitions for 2–4 s, then gets SIGTERM (every third one SIGKILL, which leaves its partitions with a dead member until the session timeout). ' +
    `An extra takes 10–40 s to boot on a loaded machine, so the storm outlasts the load: it sends the load's mix of its own, ${TRICKLE_RATE}/s, from its start to its end (acknowledged ids checked with the load's). ` +
    'Also checks that both groups did have extra members, that no committed offset ever moved back (sampled every 500 ms through the storm and the settle), and that every SIGTERMed instance left within 20 s.',
  async inject(hub, ctx) {
    const n = hub.names;
    const watch = watchGroups(hub.admin, [
      { group: n.groups.timelineProjector, topic: n.topics.interactions },
      { group: n.groups.nbaWorker, topic: n.topics.customerEvents },
    ]);
    const traffic = trickle(hub, ctx);
    let stopped: Stopped[];
    try {
      stopped = (await Promise.all(STORMED.map((app) => storm(hub, app, ctx)))).flat();
    } catch (err) {
      await traffic.stop();
      await watch.stop();
      throw err;
    }
    const acknowledged = await traffic.stop();
    ctx.log(`storm traffic: ${acknowledged.length} acknowledged`);
    return {
      faults: stopped.length,
      acknowledged,
      // Run after the settle: the monitor has watched the groups recover too.
      checks: async () => {
        const watches = await watch.stop();
        const slow = stopped.filter((s) => s.killed);
        const terms = stopped.filter((s) => s.signal === 'SIGTERM');
        const checks: Check[] = [
          {
            name: 'the groups rebalanced',
            ok: watches.every((w) => w.maxMembers >= 2),
            detail: watches
              .map((w) => `${w.group.slice(hub.ns.length + 1)}: up to ${w.maxMembers} members, membership changed ${w.memberChanges} times`)
              .join('; '),
          },
          {
            name: 'committed offsets never moved back',
            ok: watches.every((w) => w.backwards.length === 0),
            detail: watches
              .map(
                (w) =>
                  `${w.group.slice(hub.ns.length + 1)}: ${
                    w.backwards.length === 0
                      ? 'none'
                      : w.backwards
                          .slice(0, 3)
                          .map((b) => `p${b.partition} ${b.from}→${b.to}`)
                          .join(', ')
                  }`,
              )
              .join('; '),
          },
          {
            name: 'SIGTERMed instances left within 20 s',
            ok: slow.length === 0,
            detail:
              slow.length === 0
                ? `${terms.length} left, slowest ${(Math.max(0, ...terms.map((s) => s.ms)) / 1000).toFixed(1)} s`
                : `SIGKILLed after 20 s: ${slow.map((s) => s.app).join(', ')}`,
          },
        ];
        return checks;
      },
    };
  },
};
