/*
 * The faults, one per scenario, and their registry. A fault acts on real processes (signals, a
 * redis-server restart) or writes straight to Kafka; it runs while the load runs, and may add checks
 * of its own to the oracle.
 */
import { randomBytes } from 'node:crypto';
import { Partitioners } from 'kafkajs';
import { HeaderNames, IdentityHasher, identityKey } from '@hub/contracts';
import type { HubAppName } from '@hub/testing';
import { phoneOf } from '../../bench/pipeline/load';
import { TENANT, type FaultHub, type HubKafka } from './hub';
import { burstFromOnePhone } from './load';
import { F9 } from './f9-edge-abuse';
import { F10 } from './f10-slow-consumers';
import type { Check } from './oracle';
import { F2 } from './f2-rebalance-storm';
import { F3 } from './f3-held-lock';
// F4: the hub's own broker SIGKILLed and SIGSTOPped.
import { F4 } from './f4-broker-faults';
// F11: degraded links through FaultProxy to PostgreSQL, Redis and the hub's own broker.
import { F11 } from './f11-degraded-links';

export type ScenarioId = 'F1' | 'F2' | 'F3' | 'F4' | 'F6' | 'F7' | 'F8' | 'F9' | 'F10' | 'F11' | 'F12';

/** What the fault did, for the report line and the oracle. */
export interface FaultOutcome {
  /** Faults injected (signals sent, servers restarted, poison messages written, bursts sent). */
  faults: number;
  /** Event ids the fault's own traffic got acknowledged (a burst): the oracle checks them with the load's. */
  acknowledged?: string[];
  /** Checks of the fault's own, run after the hub has settled. */
  checks?: (hub: FaultHub) => Promise<Check[]>;
}

export interface InjectContext {
  /** The scenario's load duration; a fault starts a third of the way in. */
  seconds: number;
  tag: string;
  log(line: string): void;
  sleep(ms: number): Promise<void>;
}

export interface Fault {
  id: ScenarioId;
  title: string;
  /** What it does, for docs/reliability.md. */
  description: string;
  /** Apps the scenario needs on top of the load's (ingest-sms, ingest-webchat) and the core. */
  needs?: readonly HubAppName[];
  /**
   * Settings the scenario gives the hub's apps on top of `base` (lower caps and limits a run can reach).
   * The hub boots once per run, so they hold for every scenario of the run: keep them such that the load never meets them.
   */
  env?: (app: HubAppName, base: NodeJS.ProcessEnv) => NodeJS.ProcessEnv;
  /** How the hub must boot for it: a broker of its own (F4), proxies in front of every server (F11). Default: the shared broker. */
  hub?: { kafka?: HubKafka; proxied?: boolean };
  inject(hub: FaultHub, ctx: InjectContext): Promise<FaultOutcome>;
}

/** SIGKILL, then start it again. */
async function killAndRestart(hub: FaultHub, app: HubAppName, ctx: InjectContext): Promise<void> {
  const pid = hub.pidOf(app);
  await hub.signal(app, 'SIGKILL');
  ctx.log(`${app} (pid ${pid}) SIGKILLed`);
  await hub.start(app);
}

/** Interactions recorded so far (the recorder's output). */
async function recorded(hub: FaultHub): Promise<number> {
  const r = await hub.pool.query<{ n: number }>("select count(*)::int as n from hub_events where event_type = 'InteractionRecorded'");
  return r.rows[0]?.n ?? 0;
}

const F1: Fault = {
  id: 'F1',
  title: 'projector SIGKILL',
  description:
    'timeline-projector is the recorder (it consumes `interactions` and appends to the customer streams), the timeline projector and the relay to `customer-events`, in one process. ' +
    'It is SIGKILLed under load a third of the way in and restarted; then SIGKILLed again as soon as the restarted one has recorded its first interactions ' +
    '(it is then working through the backlog the outage left, in batches), and restarted.',
  async inject(hub, ctx) {
    await killAndRestart(hub, 'timeline-projector', ctx);
    const before = await recorded(hub);
    for (let i = 0; i < 1_000 && (await recorded(hub)) === before; i++) await ctx.sleep(20);
    await killAndRestart(hub, 'timeline-projector', ctx);
    return { faults: 2 };
  },
};

const F7: Fault = {
  id: 'F7',
  title: 'worker SIGKILL + Redis restart',
  description:
    "nba-worker is SIGKILLed under load; the hub's own redis-server (a throwaway one on another port, `appendonly no` like the machine's) is SIGKILLed and restarted empty; " +
    'the worker is started again (its start-up reconciliation re-enqueues what Redis lost).',
  async inject(hub, ctx) {
    await hub.signal('nba-worker', 'SIGKILL');
    ctx.log('nba-worker SIGKILLed');
    await hub.redis.kill();
    ctx.log(`redis-server :${hub.redis.port} SIGKILLed`);
    await hub.redis.restart();
    ctx.log(`redis-server :${hub.redis.port} restarted (empty)`);
    await hub.start('nba-worker');
    return { faults: 2 };
  },
};

const F8: Fault = {
  id: 'F8',
  title: 'SIGTERM every app',
  description:
    'Every app gets SIGTERM at once under load and has 20 s to drain (a SIGKILL after that is a failure of its own); then all are started again. ' +
    'Webhooks refused meanwhile are retried as a provider does (every 2 s, up to 30 times).',
  async inject(hub, ctx) {
    const apps = hub.apps;
    const drained = await Promise.all(
      apps.map(async (app) => {
        const started = Date.now();
        const p = hub.instances().find((i) => i.app === app)!.process;
        await hub.signal(app, 'SIGTERM', 20_000);
        return { app, ms: Date.now() - started, killed: p.child.signalCode === 'SIGKILL' };
      }),
    );
    ctx.log(
      `SIGTERM: ${drained.map((d) => `${d.app} ${d.killed ? 'SIGKILLed after 20 s' : `exited in ${(d.ms / 1000).toFixed(1)} s`}`).join(', ')}`,
    );
    for (let i = 0; i < apps.length; i += 3) await Promise.all(apps.slice(i, i + 3).map((app) => hub.start(app)));
    const slow = drained.filter((d) => d.killed);
    return {
      faults: apps.length,
      checks: async () => [
        {
          name: 'graceful drain within 20 s',
          ok: slow.length === 0,
          detail: slow.length === 0 ? `all ${apps.length} apps exited on SIGTERM` : `SIGKILLed: ${slow.map((d) => d.app).join(', ')}`,
        },
      ],
    };
  },
};

/** Poison of every kind, as bytes a producer could write. */
function poisons(tag: string): { kind: string; value: Buffer }[] {
  const wrongSchema = {
    type: 'InteractionReceived',
    data: { direction: 'sideways' },
    metadata: { tenantId: TENANT, eventId: 'not-a-uuid' },
  };
  // Near Kafka's 1 MB default, and full of characters JSON escapes: wrapping it in a dead letter makes it bigger still.
  const big = JSON.stringify({
    type: 'InteractionReceived',
    data: { content: { text: '"\\'.repeat(200_000) } },
    metadata: { tenantId: TENANT },
  });
  return [
    { kind: 'invalid JSON', value: Buffer.from(`{"type":"InteractionReceived",${tag}`) },
    { kind: 'wrong schema', value: Buffer.from(JSON.stringify(wrongSchema)) },
    { kind: 'not an object', value: Buffer.from('[1,2,3]') },
    { kind: 'empty', value: Buffer.alloc(0) },
    { kind: 'binary', value: randomBytes(512) },
    { kind: 'oversize', value: Buffer.from(big) },
  ];
}

const F12: Fault = {
  id: 'F12',
  title: 'poison events',
  description:
    'Invalid JSON, a wrong schema, a non-object, an empty value, random bytes and a ~800 KB body full of characters JSON escapes are written straight to `interactions` (read by timeline-projector) ' +
    'and `raw-interactions` (read by ingest-api), keyed like real traffic. Each must land in the dead-letter topic with a code and a reason, and the partition keep flowing (the load goes on around them).',
  needs: ['ingest-api'],
  async inject(hub, ctx) {
    const producer = hub.kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false });
    await producer.connect();
    const written: { key: string; topic: string; kind: string; partition: string; offset: string }[] = [];
    try {
      for (const topic of [hub.names.topics.interactions, hub.names.topics.rawInteractions]) {
        for (const [i, p] of poisons(ctx.tag).entries()) {
          // Keyed like a customer of the load, so the poison sits in a partition real traffic uses.
          const key = `${identityKey(IdentityHasher.development(), TENANT, 'phone', phoneOf(i * 37))}|poison-${ctx.tag}-${i}`;
          const [at] = await producer.send({ topic, acks: -1, messages: [{ key, value: p.value }] });
          written.push({ key, topic, kind: p.kind, partition: String(at!.partition), offset: at!.baseOffset! });
        }
      }
    } finally {
      await producer.disconnect();
    }
    ctx.log(`${written.length} poison messages written`);
    return {
      faults: written.length,
      checks: async () => {
        const dead = await readDeadLetters(hub);
        const missing = written.filter(
          // By where the poison was: the raw topic's dead letters reference their message, without its key.
          (w) =>
            !dead.some(
              (d) =>
                d.sourceTopic === w.topic &&
                d.sourcePartition === w.partition &&
                d.sourceOffset === w.offset &&
                d.code !== undefined &&
                d.reason !== undefined,
            ),
        );
        return [
          {
            name: 'poison dead-lettered',
            ok: missing.length === 0,
            detail:
              missing.length === 0
                ? `${written.length} poison messages dead-lettered with a code and a reason`
                : `not dead-lettered: ${missing.map((m) => `${m.kind} on ${m.topic.slice(hub.ns.length + 1)}`).join(', ')}`,
          },
        ];
      },
    };
  },
};

/** Every message of the hub's dead-letter topic (one partition), read from the start. */
async function readDeadLetters(
  hub: FaultHub,
): Promise<{ key: string; sourceTopic?: string; sourcePartition?: string; sourceOffset?: string; code?: string; reason?: string }[]> {
  const topic = hub.names.topics.deadLetter;
  const offsets = await hub.admin.fetchTopicOffsets(topic);
  const high = offsets.reduce((s, p) => s + Number(p.high), 0);
  if (high === 0) return [];
  const consumer = hub.kafka.consumer({ groupId: `${hub.ns}.faults-dead-letter-${randomBytes(4).toString('hex')}`, maxWaitTimeInMs: 100 });
  const out: { key: string; sourceTopic?: string; sourcePartition?: string; sourceOffset?: string; code?: string; reason?: string }[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    let seen = 0;
    const done = new Promise<void>((resolve) => {
      void consumer.run({
        eachMessage: async ({ message }) => {
          const h = (name: string) => message.headers?.[name]?.toString();
          out.push({
            key: message.key?.toString() ?? '',
            sourceTopic: h(HeaderNames.dlqSourceTopic),
            sourcePartition: h(HeaderNames.dlqSourcePartition),
            sourceOffset: h(HeaderNames.dlqSourceOffset),
            code: h(HeaderNames.dlqCode),
            reason: h(HeaderNames.dlqReason),
          });
          if (++seen >= high) resolve();
        },
      });
    });
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([done, new Promise<void>((r) => (timer = setTimeout(r, 30_000)))]);
    clearTimeout(timer);
  } finally {
    await consumer.disconnect();
  }
  return out;
}

const F6: Fault = {
  id: 'F6',
  title: 'concurrent writers, one customer',
  description:
    'A burst of 40 SMS from one phone number never seen before, all sent at once (first contact races first contact), on top of the load. ' +
    "The oracle then also checks that the number has one customer and its 40 interactions are on that customer's timeline.",
  async inject(hub, ctx) {
    const phone = phoneOf(5_000_000 + (Number.parseInt(ctx.tag.replace(/\D/g, '').slice(-5) || '0', 10) % 100_000));
    const burst = await burstFromOnePhone(hub, phone, 40, `${ctx.tag}-burst`);
    ctx.log(`burst from ${phone}: ${burst.acknowledged.length} acknowledged, refused ${JSON.stringify(burst.refused)}`);
    return {
      faults: 1,
      acknowledged: burst.acknowledged,
      checks: async (h) => {
        const r = await h.pool.query<{ customers: number; entries: number }>(
          'select count(distinct customer_id)::int as customers, count(*)::int as entries from timeline_entries where tenant_id = $1 and event_id = any($2::uuid[])',
          [TENANT, burst.acknowledged],
        );
        const { customers, entries } = r.rows[0] ?? { customers: 0, entries: 0 };
        return [
          {
            name: 'burst on one customer',
            ok: customers === 1 && entries === burst.acknowledged.length && burst.acknowledged.length === 40,
            detail: `${burst.acknowledged.length}/40 acknowledged, ${entries} on ${customers} customer(s)`,
          },
        ];
      },
    };
  },
};

/** Every scenario, in the order they run. */
export const SCENARIOS: readonly Fault[] = [
  F1,
  F6,
  F7,
  F8,
  F12,
  F2,
  F3,
  F9,
  F10,
  F4, // on a broker of its own (a hub of its own kind, booted after the shared-broker ones)
  F11, // behind proxies (a hub of its own kind)
];

export function scenariosById(ids: readonly string[]): Fault[] {
  return ids.map((id) => {
    const f = SCENARIOS.find((s) => s.id === id.trim().toUpperCase());
    if (!f) throw new Error(`unknown scenario ${id}; known: ${SCENARIOS.map((s) => s.id).join(', ')}`);
    return f;
  });
}
