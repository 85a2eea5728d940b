/*
 * F9 (issue #15): forgery, replay, oversize bodies and floods against the running ingestion apps,
 * while the scenario's load goes on. Each kind of abuse is built exactly like a legitimate request
 * (the same helpers sign it), so a check that finds nothing of it in the store means the hub refused
 * it, not that the harness looked in the wrong place: every set of abusive requests has a control —
 * the same request signed correctly — that must be answered 2xx and be found where the check looks.
 */
import { createHash, randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { signedTwilioRequest, twilioSmsParams } from '@hub/channels-sms/testing';
import { webchatWebhookRequest } from '@hub/channels-webchat/testing';
import type { HubAppName } from '@hub/testing';
import { OUR_NUMBER, phoneOf } from '../../bench/pipeline/load';
import { TENANT, type FaultHub } from './hub';
import type { Check } from './oracle';
import type { Fault, InjectContext } from './scenarios';

/** The limits F9 gives ingest-api for the run (the load never calls it; defaults are out of a laptop's reach). */
export const F9_LIMITS = { perKey: 100, perAddress: 600, windowMs: 10_000 } as const;

/** Where each kind of traffic comes from: the whole of 127.0.0.0/8 is loopback, so each is its own client address. */
const FROM = { legit: '127.0.0.1', keyFlood: '127.0.0.2', badKeyFlood: '127.0.0.3' } as const;

/** Two source keys of ingest-api: one for the legitimate traffic, one the flood uses. Fresh each run. */
const KEYS = { legit: randomBytes(16).toString('hex'), flood: randomBytes(16).toString('hex') } as const;
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

export interface Answer {
  status: number;
  retryAfter?: string;
  body: string;
}

/** One POST from `localAddress`; a body is sent chunked (no Content-Length) when asked. Status 0: no answer (`body` says why). */
export function post(
  base: string,
  path: string,
  headers: Record<string, string>,
  body: string | Buffer,
  o: { localAddress?: string; chunked?: boolean; timeoutMs?: number } = {},
): Promise<Answer> {
  const url = new URL(base);
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  return new Promise((resolve) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path,
        method: 'POST',
        localAddress: o.localAddress ?? FROM.legit,
        headers: o.chunked ? headers : { ...headers, 'content-length': String(bytes.length) },
        timeout: o.timeoutMs ?? 30_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const ra = res.headers['retry-after'];
          resolve({
            status: res.statusCode ?? 0,
            ...(ra !== undefined ? { retryAfter: ra } : {}),
            body: Buffer.concat(chunks).toString('utf8'),
          });
        });
        res.on('error', (err) => resolve({ status: 0, body: err.message }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (err: NodeJS.ErrnoException) => resolve({ status: 0, body: err.code ?? err.message }));
    if (o.chunked) {
      // In pieces, so the app cannot know the size before reading.
      for (let i = 0; i < bytes.length; i += 16_384) req.write(bytes.subarray(i, i + 16_384));
      req.end();
    } else req.end(bytes);
  });
}

/** The event ids a 2xx carries (`eventIds` of the webhook apps, `eventId` of ingest-api). */
function eventIdsOf(a: Answer): string[] {
  if (a.status < 200 || a.status >= 300) return [];
  try {
    const b = JSON.parse(a.body) as { eventIds?: string[]; eventId?: string };
    return b.eventIds ?? (b.eventId ? [b.eventId] : []);
  } catch {
    return [];
  }
}

const byStatus = (answers: readonly Answer[]): string =>
  Object.entries(
    answers.reduce<Record<string, number>>(
      (m, a) => ({ ...m, [String(a.status || a.body)]: (m[String(a.status || a.body)] ?? 0) + 1 }),
      {},
    ),
  )
    .map(([s, n]) => `${s}×${n}`)
    .join(' ');

/** A webhook (or API call) ready to send, and the provider message id it carries (how the checks find it in the store). */
interface Prepared {
  app: HubAppName;
  path: string;
  headers: Record<string, string>;
  body: string;
  messageId: string;
}

interface Builders {
  sms(text: string, seed: string, phone: string): Prepared & { params: Record<string, string> };
  webchat(text: string, id: string, visitor: number, phone: string, timestamp?: number, secret?: string): Prepared;
  api(text: string, id: string, phone: string, key: string | undefined): Prepared;
}

function builders(hub: FaultHub): Builders {
  const smsUrl = `${hub.urlOf('ingest-sms')}/webhooks/twilio`;
  const chatUrl = `${hub.urlOf('ingest-webchat')}/webhooks/webchat`;
  return {
    sms(text, seed, phone) {
      const params = twilioSmsParams({ from: phone, to: OUR_NUMBER, body: text, accountSid: hub.secrets.twilioAccountSid, seed });
      const signed = signedTwilioRequest({ authToken: hub.secrets.twilioAuthToken, url: smsUrl, params });
      return {
        app: 'ingest-sms',
        path: '/webhooks/twilio',
        headers: signed.headers,
        body: signed.body,
        messageId: params['MessageSid']!,
        params,
      };
    },
    webchat(text, id, visitor, phone, timestamp = Math.floor(Date.now() / 1000), secret = hub.secrets.webchatSecret) {
      // Visitor ids are decimal (the widget's own numbering).
      const payload = {
        sessionId: `ws_${id}`,
        visitor: { id: String(visitor), phone },
        messages: [{ id, sentAt: new Date().toISOString(), text }],
      };
      const signed = webchatWebhookRequest({ secret, url: chatUrl, payload, timestamp });
      const headers = Object.fromEntries(Object.entries(signed.headers).filter((e): e is [string, string] => typeof e[1] === 'string'));
      return { app: 'ingest-webchat', path: '/webhooks/webchat', headers, body: signed.rawBody.toString('utf8'), messageId: id };
    },
    api(text, id, phone, key) {
      const event = {
        type: 'InteractionReceived',
        data: {
          direction: 'inbound',
          kind: 'message',
          identities: [{ kind: 'phone', value: phone }],
          content: { text, media: [] },
          provider: { messageId: id },
        },
        metadata: { occurredAt: new Date().toISOString(), channel: 'sms' },
      };
      return {
        app: 'ingest-api',
        path: '/v1/events',
        headers: { 'content-type': 'application/json', ...(key !== undefined ? { authorization: `Bearer ${key}` } : {}) },
        body: JSON.stringify(event),
        messageId: id,
      };
    },
  };
}

const send = (hub: FaultHub, p: Prepared, o?: Parameters<typeof post>[4]) => post(hub.urlOf(p.app), p.path, p.headers, p.body, o);

/**
 * As a provider (and the load) does: the same request again, every 2 s, while there is no answer or a
 * 5xx (on this shared machine an app can be starved of CPU for tens of seconds); a 4xx or 2xx is final.
 */
async function deliver(hub: FaultHub, p: Prepared, o?: Parameters<typeof post>[4]): Promise<Answer> {
  let a = await send(hub, p, o);
  for (let i = 0; i < 30 && (a.status === 0 || a.status >= 500); i++) {
    await new Promise((r) => setTimeout(r, 2_000));
    a = await send(hub, p, o);
  }
  return a;
}

/** Events in the store carrying each provider message id (every event type; interactions carry it in `data.provider`). */
async function storedByMessageId(hub: FaultHub, messageIds: readonly string[]): Promise<Map<string, number>> {
  const r = await hub.pool.query<{ m: string; n: number }>(
    `select data->'provider'->>'messageId' as m, count(*)::int as n from hub_events
      where event_type = 'InteractionRecorded' and data->'provider'->>'messageId' = any($1::text[]) group by 1`,
    [messageIds],
  );
  return new Map(r.rows.map((row) => [row.m, row.n]));
}

async function timelineEntries(hub: FaultHub, eventIds: readonly string[]): Promise<Map<string, number>> {
  const r = await hub.pool.query<{ id: string; n: number }>(
    'select event_id::text as id, count(*)::int as n from timeline_entries where tenant_id = $1 and event_id = any($2::uuid[]) group by 1',
    [TENANT, eventIds],
  );
  return new Map(r.rows.map((row) => [row.id, row.n]));
}

/** `count` requests, `concurrency` at a time, in order. */
async function pooled<T>(count: number, concurrency: number, one: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array<T>(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < count; i = next++) out[i] = await one(i);
    }),
  );
  return out;
}

export const F9: Fault = {
  id: 'F9',
  title: 'forgery, replay, oversize, floods',
  description:
    'Against the running ingestion apps, under the load: webhooks and API calls with a wrong, missing or stale signature or key (401, nothing recorded); ' +
    'one valid SMS, web chat message and API event each sent 30 times (10 at once, then one every 100 ms; recorded once); ' +
    "bodies over each route's limit, with and without a Content-Length (413, nothing recorded); " +
    `a flood of 500 valid API calls from one source key and address (127.0.0.2; 16 at a time) against a per-key limit lowered to ${F9_LIMITS.perKey} per ${F9_LIMITS.windowMs / 1000} s, ` +
    `and 900 calls with bad keys from 127.0.0.3 against a per-address limit of ${F9_LIMITS.perAddress} (429 with Retry-After), ` +
    'while a legitimate source key sends 5 API events a second from 127.0.0.1 (never limited, all stored).',
  needs: ['ingest-api'],
  env: (app, base) =>
    app === 'ingest-api'
      ? {
          INGEST_API_KEYS: [base['INGEST_API_KEYS'], `legit:${TENANT}:${sha256(KEYS.legit)}`, `flood:${TENANT}:${sha256(KEYS.flood)}`]
            .filter(Boolean)
            .join(','),
          RATE_LIMIT_PER_KEY: String(F9_LIMITS.perKey),
          RATE_LIMIT_PER_ADDRESS: String(F9_LIMITS.perAddress),
          RATE_LIMIT_WINDOW_MS: String(F9_LIMITS.windowMs),
        }
      : {},
  async inject(hub, ctx) {
    return injectF9(hub, ctx);
  },
};

async function injectF9(hub: FaultHub, ctx: InjectContext) {
  const b = builders(hub);
  const tag = `${ctx.tag}${randomBytes(3).toString('hex')}`;
  // New customers of the scenario's own (no load customer is touched by a refused request).
  const n = (i: number) => 7_000_000 + (Number.parseInt(tag.replace(/\D/g, '').slice(-4) || '0', 10) % 1_000) * 100 + i;
  const phone = (i: number) => phoneOf(n(i));

  // The legitimate source: 5 API events a second from 127.0.0.1 for as long as the abuse lasts.
  let abusing = true;
  const legit: Answer[] = [];
  const legitSent: Prepared[] = [];
  const legitLoop = (async () => {
    for (let i = 0; abusing || i < 20; i++) {
      const p = b.api(`legit ${i}`, `legit-${tag}-${i}`, phoneOf((i * 7) % 300), KEYS.legit);
      legitSent.push(p);
      void deliver(hub, p).then((a) => legit.push(a));
      await ctx.sleep(200);
    }
  })();

  // Forgeries, each beside its control (the same message, correctly signed).
  const sms = b.sms(`control sms ${tag}`, `control-${tag}`, phone(0));
  const forgedSms = [0, 1, 2, 3].map((i) => b.sms(`forged sms ${tag} ${i}`, `forged-${tag}-${i}`, phone(10 + i)));
  const forged: { kind: string; p: Prepared }[] = [
    {
      kind: 'sms signed with another token',
      p: {
        ...forgedSms[0]!,
        headers: {
          ...forgedSms[0]!.headers,
          'x-twilio-signature': signedTwilioRequest({
            authToken: randomBytes(16).toString('hex'),
            url: `${hub.urlOf('ingest-sms')}/webhooks/twilio`,
            params: forgedSms[0]!.params,
          }).headers['x-twilio-signature']!,
        },
      },
    },
    {
      kind: 'sms without a signature',
      p: {
        ...forgedSms[1]!,
        headers: Object.fromEntries(Object.entries(forgedSms[1]!.headers).filter(([k]) => k !== 'x-twilio-signature')),
      },
    },
    // A valid signature of another message, on this one's body.
    { kind: 'sms with a body swapped under a valid signature', p: { ...forgedSms[2]!, headers: forgedSms[3]!.headers } },
    {
      kind: 'web chat signed with another secret',
      p: b.webchat(`forged chat ${tag}`, `forged-chat-${tag}-0`, n(20), phone(20), undefined, randomBytes(24).toString('hex')),
    },
    {
      kind: 'web chat signed 10 minutes ago',
      p: b.webchat(`forged chat ${tag}`, `forged-chat-${tag}-1`, n(21), phone(21), Math.floor(Date.now() / 1000) - 600),
    },
    {
      kind: 'web chat without a signature',
      p: (() => {
        const p = b.webchat(`forged chat ${tag}`, `forged-chat-${tag}-2`, n(22), phone(22));
        return { ...p, headers: { 'content-type': 'application/json' } };
      })(),
    },
    {
      kind: 'API call with an unknown key',
      p: b.api(`forged api ${tag}`, `forged-api-${tag}-0`, phone(30), randomBytes(16).toString('hex')),
    },
    { kind: 'API call without a key', p: b.api(`forged api ${tag}`, `forged-api-${tag}-1`, phone(31), undefined) },
  ];
  const chat = b.webchat(`control chat ${tag}`, `control-chat-${tag}`, n(1), phone(1));
  const api = b.api(`control api ${tag}`, `control-api-${tag}`, phone(2), KEYS.legit);
  const forgedAnswers = await Promise.all(forged.map((f) => deliver(hub, f.p)));
  ctx.log(`forgeries: ${forged.map((f, i) => `${f.kind} ${forgedAnswers[i]!.status}`).join(', ')}`);

  // Replays: the controls, 30 times each (10 at once, then one every 100 ms).
  const replayed = [sms, chat, api];
  const replays = await Promise.all(
    replayed.map(async (p) => {
      const answers = await Promise.all(Array.from({ length: 10 }, () => deliver(hub, p)));
      for (let i = 0; i < 20; i++) {
        answers.push(await deliver(hub, p));
        await ctx.sleep(100);
      }
      return answers;
    }),
  );
  ctx.log(`replays: ${replayed.map((p, i) => `${p.app} ${byStatus(replays[i]!)}`).join(', ')}`);

  // Oversize: over each route's limit (SMS 64 KiB, web chat 1 MiB, an API event 512 KiB), declared and chunked.
  const big = (kb: number) => 'x'.repeat(kb * 1024);
  const oversize: { kind: string; p: Prepared; chunked: boolean }[] = [];
  for (const chunked of [false, true]) {
    const c = chunked ? 'chunked' : 'declared';
    oversize.push({ kind: `sms 70 KiB ${c}`, p: b.sms(big(70), `oversize-${tag}-${c}`, phone(40)), chunked });
    oversize.push({ kind: `web chat 1.1 MiB ${c}`, p: b.webchat(big(1_130), `oversize-chat-${tag}-${c}`, n(41), phone(41)), chunked });
    oversize.push({ kind: `API event 600 KiB ${c}`, p: b.api(big(600), `oversize-api-${tag}-${c}`, phone(42), KEYS.legit), chunked });
  }
  const oversizeAnswers = await Promise.all(oversize.map((o) => deliver(hub, o.p, { chunked: o.chunked })));
  ctx.log(`oversize: ${oversize.map((o, i) => `${o.kind} ${oversizeAnswers[i]!.status || oversizeAnswers[i]!.body}`).join(', ')}`);

  // Floods: one valid key from one address, far past its limit; bad keys from another address.
  const keyFlood = await pooled(500, 16, (i) =>
    send(hub, b.api(`flood ${i}`, `flood-${tag}-${i}`, phoneOf((i * 13) % 300), KEYS.flood), { localAddress: FROM.keyFlood }),
  );
  const badKeyFlood = await pooled(900, 16, (i) =>
    send(hub, b.api(`bad key ${i}`, `badkey-${tag}-${i}`, phone(50), `bad${i}`), { localAddress: FROM.badKeyFlood }),
  );
  ctx.log(`flood with one key from ${FROM.keyFlood}: ${byStatus(keyFlood)}; bad keys from ${FROM.badKeyFlood}: ${byStatus(badKeyFlood)}`);
  abusing = false;
  await legitLoop;
  // Every legitimate call answered (each had its own 30 s timeout).
  for (let i = 0; i < 400 && legit.length < legitSent.length; i++) await ctx.sleep(100);
  ctx.log(`legitimate key from ${FROM.legit}: ${byStatus(legit)}`);

  const acknowledged = [...replays.flat(), ...keyFlood, ...legit].flatMap(eventIdsOf);
  const controls = [sms, chat, api];
  return {
    faults: forged.length + replayed.length * 30 + oversize.length + keyFlood.length + badKeyFlood.length,
    acknowledged,
    checks: async (): Promise<Check[]> => {
      const found = await storedByMessageId(
        hub,
        [...controls, ...forged.map((f) => f.p), ...oversize.map((o) => o.p)].map((p) => p.messageId),
      );
      const forgedStored = forged.filter((f) => found.has(f.p.messageId));
      const oversizeStored = oversize.filter((o) => found.has(o.p.messageId));
      const controlsStored = controls.filter((p) => found.get(p.messageId) === 1);
      const replayIds = replays.map((answers) => [...new Set(answers.flatMap(eventIdsOf))]);
      const entries = await timelineEntries(hub, replayIds.flat());
      const replayOk = replays.every(
        (answers, i) =>
          answers.every((a) => a.status >= 200 && a.status < 300) && replayIds[i]!.length === 1 && entries.get(replayIds[i]![0]!) === 1,
      );
      const limited = keyFlood.filter((a) => a.status === 429);
      const addressLimited = badKeyFlood.filter((a) => a.status === 429);
      const withRetryAfter = (as: Answer[]) => as.every((a) => Number(a.retryAfter) >= 1);
      // No answer (status 0) is a starved app, not a wrong one; anything else but 202 or 429 is.
      const keyFloodOther = keyFlood.filter((a) => a.status !== 429 && a.status !== 202 && a.status !== 0);
      const legitOk = legit.filter((a) => a.status === 202);
      const legitStored = await storedByMessageId(
        hub,
        legitSent.map((p) => p.messageId),
      );
      return [
        {
          name: 'F9 forgeries refused, nothing recorded',
          ok: forgedAnswers.every((a) => a.status === 401) && forgedStored.length === 0 && controlsStored.length === controls.length,
          detail:
            `${forged.length} forgeries answered ${byStatus(forgedAnswers)}; stored: ${forgedStored.map((f) => f.kind).join(', ') || 'none'}; ` +
            `controls (the same, signed) stored once: ${controlsStored.length}/${controls.length}`,
        },
        {
          name: 'F9 replays recorded once',
          ok: replayOk,
          detail: replayed
            .map(
              (p, i) =>
                `${p.app} ×30: ${byStatus(replays[i]!)}, ${replayIds[i]!.length} event id(s), ${found.get(p.messageId) ?? 0} recorded, ${entries.get(replayIds[i]![0] ?? '') ?? 0} on the timeline`,
            )
            .join('; '),
        },
        {
          name: 'F9 oversize refused, nothing recorded',
          ok: oversizeAnswers.every((a) => a.status === 413) && oversizeStored.length === 0,
          detail: `${oversize.map((o, i) => `${o.kind} ${oversizeAnswers[i]!.status || oversizeAnswers[i]!.body}`).join(', ')}; stored: ${oversizeStored.map((o) => o.kind).join(', ') || 'none'}`,
        },
        {
          name: 'F9 floods limited with Retry-After',
          ok:
            limited.length > 0 &&
            withRetryAfter(limited) &&
            keyFloodOther.length === 0 &&
            addressLimited.length > 0 &&
            withRetryAfter(addressLimited) &&
            badKeyFlood.every((a) => a.status === 401 || a.status === 429 || a.status === 0),
          detail: `one key: ${byStatus(keyFlood)} (Retry-After on every 429: ${withRetryAfter(limited)}); bad keys from one address: ${byStatus(badKeyFlood)} (Retry-After on every 429: ${withRetryAfter(addressLimited)})`,
        },
        {
          name: 'F9 legitimate source not starved',
          ok: legitOk.length === legitSent.length && legitSent.every((p) => legitStored.get(p.messageId) === 1),
          detail: `${legitOk.length}/${legitSent.length} accepted (${byStatus(legit)}), ${legitSent.filter((p) => legitStored.get(p.messageId) === 1).length} recorded once`,
        },
      ];
    },
  };
}
