/*
 * F4 (issue #15): the hub's broker — a single-node KRaft broker of the run's own, never the shared
 * one — SIGKILLed under load and started again on its data, then SIGSTOPped longer than the
 * producers' request timeout and SIGCONTed. While it cannot publish, an ingestion app must refuse
 * (503 + Retry-After: nothing acknowledged that is not in Kafka); the load retries like a provider;
 * every app must recover on its own (none restarted, none dead) and the oracle must pass.
 */
import { signedTwilioRequest, twilioSmsParams } from '@hub/channels-sms/testing';
import { OUR_NUMBER, phoneOf } from '../../bench/pipeline/load';
import type { FaultHub } from './hub';
import type { Check } from './oracle';
import type { Fault, InjectContext } from './scenarios';

/** The ingestion apps' Kafka request timeout (bootstrap-ingest-app: min(INGEST_SEND_TIMEOUT_MS, 5 s)); the pause must outlast it. */
const PRODUCER_REQUEST_TIMEOUT_MS = 5_000;
const PAUSE_MS = 3 * PRODUCER_REQUEST_TIMEOUT_MS;
/** The kill lasts this long before the restart begins (the restart itself takes tens of seconds here). */
const DOWN_MS = 8_000;

export interface Probe {
  /** 0: no answer within the probe's timeout (or a connection error). */
  status: number;
  retryAfter: string | undefined;
  eventIds: string[];
  sentAt: number;
  answeredAt: number;
}

/** One signed Twilio SMS from a phone of its own, sent once (no retry): what the app answers. */
export async function probeSms(hub: FaultHub, tag: string, n: number): Promise<Probe> {
  const url = `${hub.urlOf('ingest-sms')}/webhooks/twilio`;
  const params = twilioSmsParams({
    from: phoneOf(7_000_000 + n),
    to: OUR_NUMBER,
    body: `probe ${n}`,
    accountSid: hub.secrets.twilioAccountSid,
    seed: `${tag}-probe-${n}`,
  });
  const signed = signedTwilioRequest({ authToken: hub.secrets.twilioAuthToken, url, params });
  const sentAt = Date.now();
  try {
    // Generous: on this shared 2-core machine an answer can take far longer than the app's 5 s send timeout.
    const res = await fetch(url, { method: 'POST', headers: signed.headers, body: signed.body, signal: AbortSignal.timeout(30_000) });
    const text = await res.text();
    let eventIds: string[] = [];
    if (res.ok) {
      try {
        eventIds = (JSON.parse(text) as { eventIds?: string[] }).eventIds ?? [];
      } catch {
        eventIds = [];
      }
    }
    return { status: res.status, retryAfter: res.headers.get('retry-after') ?? undefined, eventIds, sentAt, answeredAt: Date.now() };
  } catch {
    return { status: 0, retryAfter: undefined, eventIds: [], sentAt, answeredAt: Date.now() };
  }
}

/** A probe SMS a second, each on its own (not waiting for the one before), until `stop()`; every answer lands in `probes`. */
export function probeTrickle(hub: FaultHub, tag: string): { probes: Probe[]; stop(): Promise<void> } {
  const probes: Probe[] = [];
  const inFlight = new Set<Promise<void>>();
  let running = true;
  const loop = (async () => {
    for (let n = 0; running; n++) {
      const p: Promise<void> = probeSms(hub, tag, n).then((probe) => {
        probes.push(probe);
        inFlight.delete(p);
      });
      inFlight.add(p);
      await new Promise((r) => setTimeout(r, 1_000));
    }
  })();
  return {
    probes,
    async stop() {
      running = false;
      await loop;
      await Promise.all([...inFlight]);
    },
  };
}

/** Probes sent after `from` and answered before `to`: those that met the outage whole. */
export function within(probes: readonly Probe[], from: number, to: number): Probe[] {
  return probes.filter((p) => p.sentAt >= from && p.answeredAt <= to);
}

/** Wait until a probe sent after `since` is acknowledged: the hub publishes again. How long that took, or undefined. */
async function acknowledgedSince(probes: readonly Probe[], since: number, timeoutMs: number): Promise<number | undefined> {
  for (;;) {
    const ok = probes.find((p) => p.sentAt >= since && p.status >= 200 && p.status < 300);
    if (ok) return ok.answeredAt - since;
    if (Date.now() - since > timeoutMs) return undefined;
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** The outage's check: every probe answered while the broker could not take writes was a 503 with Retry-After, and there was one at least. */
export function refusedWhileDown(name: string, during: readonly Probe[]): Check {
  const good = during.filter((p) => p.status === 503 && p.retryAfter !== undefined);
  const bad = during.filter((p) => !(p.status === 503 && p.retryAfter !== undefined));
  const by = (ps: readonly Probe[]) =>
    ps.map((p) => `${p.status || 'no answer'}${p.status === 503 && p.retryAfter === undefined ? ' without Retry-After' : ''}`).join(', ');
  return {
    name,
    ok: good.length > 0 && bad.length === 0,
    detail:
      during.length === 0
        ? 'no probe answered during the outage'
        : bad.length === 0
          ? `${good.length} probes refused with 503 + Retry-After`
          : `answered ${by(bad)} (and ${good.length} × 503)`,
  };
}

/** Every app still the process it was (none died, none restarted): the hub recovered on its own. */
export function noAppRestarted(hub: FaultHub, before: ReadonlyMap<string, number>): Check {
  const now = new Map(hub.instances().map((i) => [i.app, i]));
  const gone = [...before].filter(([app, pid]) => {
    const i = now.get(app as never);
    return i === undefined || i.pid !== pid || i.process.child.exitCode !== null || i.process.child.signalCode !== null;
  });
  return {
    name: 'every app recovered without a restart',
    ok: gone.length === 0,
    detail:
      gone.length === 0 ? `${before.size} apps, same processes throughout` : `exited or replaced: ${gone.map(([app]) => app).join(', ')}`,
  };
}

export const F4: Fault = {
  id: 'F4',
  title: 'broker SIGKILL + SIGSTOP',
  description:
    `The hub runs on a single-node KRaft broker of its own (free ports, infra/kafka/lib). Under load it is SIGKILLed, left down ${DOWN_MS / 1000} s and started again on its data ` +
    `(\`acks=all\` on one broker: what was acknowledged is in its log, in the page cache at least); once the hub publishes again the broker is SIGSTOPped for ${PAUSE_MS / 1000} s ` +
    `(longer than the producers' ${PRODUCER_REQUEST_TIMEOUT_MS / 1000} s request timeout) and SIGCONTed. A probe SMS a second during each outage must be refused with 503 + Retry-After; ` +
    'the load retries refused webhooks as a provider does; no app may die or need a restart.',
  hub: { kafka: 'own' },
  async inject(hub: FaultHub, ctx: InjectContext) {
    const broker = hub.broker;
    if (!broker) throw new Error('F4 needs the hub on a broker of its own');
    const before = new Map<string, number>(hub.instances().map((i) => [i.app, i.pid]));
    const trickle = probeTrickle(hub, ctx.tag);
    const { probes } = trickle;
    let duringKill: Probe[] = [];
    let duringPause: Probe[] = [];
    let backAfterKill: number | undefined;
    let backAfterPause: number | undefined;
    try {
      // 1. SIGKILL, down a few seconds, restarted on the same data dir. The outage lasts until the
      // restarted broker is ready.
      ctx.log(await broker.cluster.kill(1));
      const killedAt = Date.now();
      await ctx.sleep(DOWN_MS);
      ctx.log(`restarting the broker ...`);
      ctx.log(await broker.cluster.restart(1));
      const restartedAt = Date.now();
      backAfterKill = await acknowledgedSince(probes, restartedAt, 120_000);
      ctx.log(
        backAfterKill === undefined
          ? 'no probe acknowledged within 120 s of the restart'
          : `publishing again ${(backAfterKill / 1000).toFixed(1)} s after the restart`,
      );
      // Requests already on the wire at the kill may still get their answer: the outage starts a second later.
      duringKill = within(probes, killedAt + 1_000, restartedAt);

      // 2. SIGSTOP past the request timeout, then SIGCONT.
      const pid = broker.cluster.pidOf(1);
      process.kill(pid, 'SIGSTOP');
      const stoppedAt = Date.now();
      ctx.log(`broker (pid ${pid}) SIGSTOPped for ${PAUSE_MS / 1000} s`);
      try {
        await ctx.sleep(PAUSE_MS);
      } finally {
        process.kill(pid, 'SIGCONT');
      }
      const continuedAt = Date.now();
      ctx.log(`broker SIGCONTed`);
      backAfterPause = await acknowledgedSince(probes, continuedAt, 120_000);
      ctx.log(
        backAfterPause === undefined
          ? 'no probe acknowledged within 120 s of SIGCONT'
          : `publishing again ${(backAfterPause / 1000).toFixed(1)} s after SIGCONT`,
      );
      duringPause = within(probes, stoppedAt + 1_000, continuedAt);
    } finally {
      await trickle.stop();
    }
    ctx.log(
      `probes during the kill: ${duringKill.map((p) => p.status).join(' ')}; during the pause: ${duringPause.map((p) => p.status).join(' ')}`,
    );

    return {
      faults: 2,
      acknowledged: probes.flatMap((p) => p.eventIds),
      checks: async (h) => [
        refusedWhileDown('503 + Retry-After while the broker was dead', duringKill),
        refusedWhileDown('503 + Retry-After while the broker was paused', duringPause),
        {
          name: 'publishing again after each outage',
          ok: backAfterKill !== undefined && backAfterPause !== undefined,
          detail: `after the restart: ${backAfterKill === undefined ? 'never' : `${(backAfterKill / 1000).toFixed(1)} s`}; after SIGCONT: ${backAfterPause === undefined ? 'never' : `${(backAfterPause / 1000).toFixed(1)} s`}`,
        },
        noAppRestarted(h, before),
      ],
    };
  },
};
