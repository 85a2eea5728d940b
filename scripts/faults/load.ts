/*
 * The load of a scenario: bench/pipeline's seeded mix of signed webhooks (Twilio SMS and web chat),
 * sent open-loop to the hub's two ingestion apps, and the provider's behaviour after a failure (the
 * same request again, a few times). Every acknowledged event id (a 2xx carries the stored ids) is kept.
 */
import { Agent } from 'node:http';
import { signedTwilioRequest, twilioSmsParams } from '@hub/channels-sms/testing';
import {
  nowMs,
  OUR_NUMBER,
  prepareRequests,
  prng,
  refusedByStatus,
  sendOpenLoop,
  type Outcome,
  type PreparedRequest,
} from '../../bench/pipeline/load';
import type { FaultHub } from './hub';

export interface LoadOptions {
  rate: number;
  seconds: number;
  seed: number;
  /** Distinct tag of the scenario: provider message ids and chat sessions are unique per scenario. */
  tag: string;
}

export interface LoadResult {
  sent: number;
  /** Event ids answered with a 2xx (first attempt or a provider retry). */
  acknowledged: string[];
  /** Requests never acknowledged after every retry, by their last answer. */
  refused: Record<string, number>;
  /** First attempts not acknowledged, by answer (status, or the error of a failed connection). */
  firstRefused: Record<string, number>;
  retried: number;
}

/** What a provider retries: no answer, or a 5xx. A 4xx is final. */
const retryable = (o: Outcome): boolean => o.status === 0 || o.status >= 500;

interface Routed extends PreparedRequest {
  base: string;
}

/** The hub's two ingestion apps, by the path each request goes to. */
function route(hub: FaultHub, requests: readonly PreparedRequest[]): Routed[] {
  return requests.map((r) => ({ ...r, base: r.path === '/webhooks/webchat' ? hub.urlOf('ingest-webchat') : hub.urlOf('ingest-sms') }));
}

/**
 * Send `requests` on the schedule (`offsetsMs` from now), each app its own open loop; then retry
 * what failed retryably, `retries` rounds `retryEveryMs` apart, as Twilio and a web chat widget do.
 */
export async function deliver(
  routed: readonly Routed[],
  offsetsMs: readonly number[],
  { retries = 30, retryEveryMs = 2_000 } = {},
): Promise<Omit<LoadResult, 'sent'>> {
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const acknowledged: string[] = [];
  let retried = 0;
  try {
    const send = async (indexes: readonly number[], offsets: (i: number) => number): Promise<Map<number, Outcome>> => {
      const byBase = new Map<string, number[]>();
      for (const i of indexes) byBase.set(routed[i]!.base, [...(byBase.get(routed[i]!.base) ?? []), i]);
      const start = nowMs() + 20;
      const out = new Map<number, Outcome>();
      await Promise.all(
        [...byBase].map(async ([base, index]) => {
          const res = await sendOpenLoop(
            agent,
            base,
            index.map((i) => routed[i]!),
            { start, offsetsMs: index.map(offsets) },
            (ids) => acknowledged.push(...ids),
            15_000,
          );
          res.forEach((o, k) => out.set(index[k]!, o));
        }),
      );
      return out;
    };
    let last = await send(
      routed.map((_, i) => i),
      (i) => offsetsMs[i]!,
    );
    const final = new Map(last);
    const firstRefused = refusedByStatus(last.values());
    for (let round = 0; round < retries; round++) {
      const again = [...last].filter(([, o]) => retryable(o)).map(([i]) => i);
      if (again.length === 0) break;
      await new Promise((r) => setTimeout(r, retryEveryMs));
      retried += again.length;
      // A retry storm is not the test: the retries of a round go out over a second.
      last = await send(again, (i) => (again.indexOf(i) * 1000) / again.length);
      for (const [i, o] of last) final.set(i, o);
    }
    return { acknowledged, refused: refusedByStatus(final.values()), firstRefused, retried };
  } finally {
    agent.destroy();
  }
}

/** The scenario's steady load: `rate × seconds` webhooks of bench/pipeline's mix, 300 customers plus new ones. */
export async function runLoad(hub: FaultHub, o: LoadOptions): Promise<LoadResult> {
  const count = Math.round(o.rate * o.seconds);
  const { requests } = prepareRequests(
    count,
    hub.urlOf('ingest-sms'),
    { population: 300, firstNew: 100_000 + hashTag(o.tag) * 2_000, newShare: 0.1, burstShare: 0.1, webchatShare: 0.3 },
    hub.secrets,
    `${o.tag}s${o.seed}`,
    prng(o.seed * 7919 + hashTag(o.tag)),
  );
  const result = await deliver(
    route(hub, requests),
    requests.map((_, i) => (i * 1000) / o.rate),
  );
  return { sent: count, ...result };
}

/** `count` SMS from one phone number, all sent at once (concurrent writers on one customer). */
export async function burstFromOnePhone(hub: FaultHub, phone: string, count: number, tag: string): Promise<LoadResult> {
  const url = `${hub.urlOf('ingest-sms')}/webhooks/twilio`;
  const requests: PreparedRequest[] = Array.from({ length: count }, (_, i) => {
    const params = twilioSmsParams({
      from: phone,
      to: OUR_NUMBER,
      body: `burst ${i}`,
      accountSid: hub.secrets.twilioAccountSid,
      seed: `${tag}-${i}`,
    });
    const signed = signedTwilioRequest({ authToken: hub.secrets.twilioAuthToken, url, params });
    return { path: '/webhooks/twilio', headers: signed.headers, body: signed.body };
  });
  const result = await deliver(
    route(hub, requests),
    requests.map(() => 0),
  );
  return { sent: count, ...result };
}

/** A small stable number of a tag, so two scenarios of one run draw different new customers. */
function hashTag(tag: string): number {
  let h = 0;
  for (const c of tag) h = (h * 31 + c.charCodeAt(0)) % 997;
  return h;
}
