/*
 * F11 (issue #15): degraded links. Every app reaches PostgreSQL, Redis and the hub's own Kafka broker
 * through a FaultProxy of @hub/testing (the broker advertises the proxy's port, so clients reconnect
 * through it too). One link at a time, under load, the proxy turns to latency, blackhole, reset and
 * half-open for a few seconds each, then passes again. Nothing may be lost or recorded twice, no
 * partition stuck, and every app must recover without a restart.
 */
import type { FaultMode } from '@hub/testing';
import type { FaultHub, HubLinks } from './hub';
import type { Check } from './oracle';
import type { Fault, InjectContext } from './scenarios';
import { noAppRestarted, probeSms, probeTrickle } from './f4-broker-faults';

/** How long each degraded mode lasts, and the pass between two. */
const STEP_MS = 4_000;
const PASS_MS = 2_000;
const LATENCY_MS = 800;
const MODES: readonly FaultMode[] = [{ kind: 'latency', ms: LATENCY_MS }, { kind: 'blackhole' }, { kind: 'reset' }, { kind: 'half-open' }];
const LINKS: readonly (keyof HubLinks)[] = ['postgres', 'redis', 'kafka'];

const label = (m: FaultMode): string => (m.kind === 'latency' ? `latency ${m.ms} ms` : m.kind);

export const F11: Fault = {
  id: 'F11',
  title: 'degraded links',
  description:
    `Every app reaches PostgreSQL, Redis and the hub's own single-node broker through a \`FaultProxy\` (the broker advertises the proxy's port). ` +
    `One link at a time (PostgreSQL, Redis, Kafka), under load, the proxy turns to latency (${LATENCY_MS} ms each way), blackhole, reset and half-open, ` +
    `${STEP_MS / 1000} s each with ${PASS_MS / 1000} s of pass between; a probe SMS every second keeps traffic on every link meanwhile. ` +
    'Then every link passes again and the hub must publish a probe, settle and pass the oracle with every app the process it was (no restart).',
  hub: { proxied: true },
  async inject(hub: FaultHub, ctx: InjectContext) {
    const links = hub.links;
    if (!links) throw new Error('F11 needs the hub behind proxies');
    const before = new Map<string, number>(hub.instances().map((i) => [i.app, i.pid]));
    // Each link carried the hub's traffic when its turn came (else the fault would have hit nothing).
    const connectionsAtFault = new Map<keyof HubLinks, number>();
    // Traffic of its own on top of the load (which may be over before the last link's turn).
    const trickle = probeTrickle(hub, ctx.tag);
    const { probes } = trickle;
    try {
      for (const link of LINKS) {
        connectionsAtFault.set(link, links[link].connections);
        for (const mode of MODES) {
          links[link].set(mode);
          ctx.log(`${link}: ${label(mode)} for ${STEP_MS / 1000} s (${links[link].connections} connections open)`);
          await ctx.sleep(STEP_MS);
          links[link].set({ kind: 'pass' });
          await ctx.sleep(PASS_MS);
        }
      }
    } finally {
      for (const link of LINKS) links[link].set({ kind: 'pass' });
      await trickle.stop();
    }
    ctx.log('every link passes again');
    // Recovered: a probe acknowledged end to end after the last fault, without restarting anything.
    let recoveredMs: number | undefined;
    const started = Date.now();
    for (let n = 10_000; Date.now() - started < 120_000; n++) {
      const p = await probeSms(hub, ctx.tag, n);
      probes.push(p);
      if (p.status >= 200 && p.status < 300) {
        recoveredMs = Date.now() - started;
        break;
      }
      await ctx.sleep(1_000);
    }
    ctx.log(
      recoveredMs === undefined
        ? 'no probe acknowledged within 120 s'
        : `a probe acknowledged ${(recoveredMs / 1000).toFixed(1)} s after the last fault`,
    );
    const answers: Record<string, number> = {};
    for (const p of probes) answers[String(p.status)] = (answers[String(p.status)] ?? 0) + 1;
    ctx.log(`probes answered: ${JSON.stringify(answers)}`);
    return {
      faults: LINKS.length * MODES.length,
      acknowledged: probes.flatMap((p) => p.eventIds),
      checks: async (h: FaultHub): Promise<Check[]> => [
        {
          name: 'every link carried traffic',
          ok: LINKS.every((l) => (connectionsAtFault.get(l) ?? 0) > 0),
          detail: LINKS.map((l) => `${l} ${connectionsAtFault.get(l) ?? 0} connections`).join(', '),
        },
        {
          name: 'publishing again after the links pass',
          ok: recoveredMs !== undefined,
          detail:
            recoveredMs === undefined
              ? 'no probe acknowledged within 120 s'
              : `a probe acknowledged after ${(recoveredMs / 1000).toFixed(1)} s`,
        },
        {
          name: 'no probe answered 500',
          ok: probes.every((p) => p.status !== 500),
          detail: `probe answers ${JSON.stringify(answers)}`,
        },
        noAppRestarted(h, before),
      ],
    };
  },
};
