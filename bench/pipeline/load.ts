/* The load of bench/pipeline: signed webhooks of a mixed population, sent open-loop on a schedule. */
import { request, type Agent } from 'node:http';
import type { InteractionReceived } from '@hub/contracts';
import { mulberry32 } from '@hub/nba';
import { signedTwilioRequest, twilioSmsParams } from '@hub/channels-sms/testing';
import { webchatWebhookRequest } from '@hub/channels-webchat/testing';

/** Wall-clock milliseconds since the epoch with sub-millisecond resolution (comparable with PostgreSQL's clock on this machine). */
export const nowMs = (): number => performance.timeOrigin + performance.now();

const TEXTS = [
  'where is my order?',
  'How do I reset my password?',
  'What are your opening hours?',
  'I want to update my address',
  'thanks',
  'call me back please',
  'hello',
];
export const OUR_NUMBER = '+14155550000';

/** Customer n's phone (valid US numbers, +1 415 2xx-xxxx and up) and web chat visitor id. */
export const phoneOf = (n: number): string => `+1415${String(2_000_000 + n).padStart(7, '0')}`;
const visitorIdOf = (n: number): string => String(1_000_000_000 + n);

/** A seeded PRNG (the engine's mulberry32), so a given run sends the same mix every time. */
export const prng = (seed: number): (() => number) => mulberry32(seed);

/** The interactions that give a seeded customer their history (recorded through the production stores before the apps start). */
export function historyOf(n: number, count: number, tenantId: string, seed: string): InteractionReceived[] {
  const base = Date.now() - 7 * 86_400_000 + n * 1_000;
  return Array.from({ length: count }, (_, i) => {
    const at = new Date(base + i * 86_400_000).toISOString();
    const eventId = `${seed.slice(0, 8)}-0000-4000-8000-${String(n).padStart(6, '0')}${String(i).padStart(6, '0')}`;
    return {
      type: 'InteractionReceived',
      data: {
        direction: 'inbound',
        kind: 'message',
        identities: [{ kind: 'phone', value: phoneOf(n) }],
        content: { text: TEXTS[(n + i) % TEXTS.length]!, media: [] },
        provider: { name: 'twilio', messageId: `SMseed${seed}${n}x${i}` },
        endpoint: OUR_NUMBER,
      },
      metadata: {
        eventId,
        correlationId: eventId,
        causationId: eventId,
        occurredAt: at,
        recordedAt: at,
        schemaVersion: 1,
        tenantId,
        channel: 'sms',
      },
    };
  });
}

const definedHeaders = (h: Readonly<Record<string, string | undefined>>): Record<string, string> =>
  Object.fromEntries(Object.entries(h).filter((e): e is [string, string] => e[1] !== undefined));

export interface PreparedRequest {
  path: string;
  headers: Record<string, string>;
  body: string;
}

export interface Secrets {
  twilioAuthToken: string;
  twilioAccountSid: string;
  webchatSecret: string;
}

export interface Mix {
  /** Seeded customers n = 0 … population-1; new ones are numbered from `firstNew` on. */
  population: number;
  firstNew: number;
  /** Shares of the traffic: new customers, bursts (5 messages in a row from one customer), web chat (the rest is SMS). */
  newShare: number;
  burstShare: number;
  webchatShare: number;
}

export const BURST = 5;

/**
 * `count` webhooks: most from seeded customers (picked at random), `newShare` from customers never
 * seen, `burstShare` in bursts of BURST consecutive messages from one customer; `webchatShare` of
 * them on web chat (visitor id and phone of the same customer), the rest Twilio SMS. Every request
 * is signed for the URL it goes to; each has its own provider message id.
 */
export function prepareRequests(
  count: number,
  base: string,
  mix: Mix,
  secrets: Secrets,
  seed: string,
  random: () => number,
): { requests: PreparedRequest[]; newCustomers: number } {
  const requests: PreparedRequest[] = [];
  let nextNew = mix.firstNew;
  let burstLeft = 0;
  let burstCustomer = 0;
  for (let i = 0; i < count; i++) {
    let customer: number;
    if (burstLeft > 0) {
      customer = burstCustomer;
      burstLeft--;
    } else if (random() < mix.burstShare / BURST) {
      burstCustomer = Math.floor(random() * mix.population);
      customer = burstCustomer;
      burstLeft = BURST - 1;
    } else if (random() < mix.newShare) {
      customer = nextNew++;
    } else {
      customer = Math.floor(random() * mix.population);
    }
    const text = TEXTS[Math.floor(random() * TEXTS.length)]!;
    if (random() < mix.webchatShare) {
      const url = `${base}/webhooks/webchat`;
      const payload = {
        sessionId: `ws_${seed}_${customer}`,
        visitor: { id: visitorIdOf(customer), phone: phoneOf(customer) },
        messages: [{ id: `m_${seed}_${i}`, sentAt: new Date().toISOString(), text }],
      };
      const signed = webchatWebhookRequest({
        secret: secrets.webchatSecret,
        url,
        payload,
        timestamp: Math.floor(Date.now() / 1000),
      });
      requests.push({
        path: '/webhooks/webchat',
        headers: definedHeaders(signed.headers),
        body: signed.rawBody.toString('utf8'),
      });
    } else {
      const url = `${base}/webhooks/twilio`;
      const params = twilioSmsParams({
        from: phoneOf(customer),
        to: OUR_NUMBER,
        body: text,
        accountSid: secrets.twilioAccountSid,
        seed: `${seed}-${i}`,
      });
      const signed = signedTwilioRequest({
        authToken: secrets.twilioAuthToken,
        url,
        params,
      });
      requests.push({
        path: '/webhooks/twilio',
        headers: signed.headers,
        body: signed.body,
      });
    }
  }
  return { requests, newCustomers: nextNew - mix.firstNew };
}

export interface Outcome {
  scheduledAt: number;
  sentAt: number;
  answeredAt: number;
  /** HTTP status; 0 for a connection error or a timeout. */
  status: number;
  /** What went wrong when status is 0 (ECONNRESET, timeout, …). */
  error?: string;
  eventIds: string[];
}

function post(agent: Agent, url: URL, r: PreparedRequest, timeoutMs: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const req = request(
      {
        agent,
        host: url.hostname,
        port: url.port,
        path: r.path,
        method: 'POST',
        headers: {
          ...r.headers,
          'content-length': String(Buffer.byteLength(r.body)),
        },
        timeout: timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', () => resolve({ status: 0, body: '' }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (err: NodeJS.ErrnoException) => resolve({ status: 0, body: err.code ?? err.message }));
    req.end(r.body);
  });
}

/** Answers other than 2xx, by status (or by the error of a connection that failed): the bench's and the fault harness's refusals. */
export function refusedByStatus(outcomes: Iterable<Outcome>): Record<string, number> {
  const refused: Record<string, number> = {};
  for (const o of outcomes) {
    if (o.status >= 200 && o.status < 300) continue;
    const key = o.status === 0 ? (o.error ?? 'error') : String(o.status);
    refused[key] = (refused[key] ?? 0) + 1;
  }
  return refused;
}

/**
 * Open loop: request i goes out at `start + offsetsMs[i]` whatever the server does (a slow answer
 * never delays the next send; keep-alive connections up to the agent's maxSockets, beyond that Node
 * queues them, and that wait counts in the latency). `onAccepted` is told of each 2xx as it arrives.
 */
export async function sendOpenLoop(
  agent: Agent,
  base: string,
  requests: readonly PreparedRequest[],
  schedule: { start: number; offsetsMs: readonly number[] },
  onAccepted: (eventIds: string[], at: number) => void,
  timeoutMs = 30_000,
): Promise<Outcome[]> {
  const url = new URL(base);
  const outcomes: Promise<Outcome>[] = [];
  const due = (i: number) => schedule.start + schedule.offsetsMs[i]!;
  let i = 0;
  while (i < requests.length) {
    const wait = due(i) - nowMs();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const now = nowMs();
    while (i < requests.length && due(i) <= now + 0.5) {
      const scheduledAt = due(i);
      const sentAt = nowMs();
      outcomes.push(
        post(agent, url, requests[i]!, timeoutMs).then(({ status, body }) => {
          const answeredAt = nowMs();
          let eventIds: string[] = [];
          if (status >= 200 && status < 300) {
            try {
              eventIds = (JSON.parse(body) as { eventIds?: string[] }).eventIds ?? [];
            } catch {
              eventIds = [];
            }
            onAccepted(eventIds, answeredAt);
          }
          return { scheduledAt, sentAt, answeredAt, status, eventIds, ...(status === 0 ? { error: body || 'error' } : {}) };
        }),
      );
      i++;
    }
  }
  return Promise.all(outcomes);
}
