/*
 * F10 (issue #15): slow consumers. Live timeline streams (server-sent events of query-api) opened past
 * both caps by clients that never read after the head, or read a little every few seconds, while the
 * load runs; and nba-worker SIGSTOPped for longer than the Kafka session timeout, then SIGCONTed.
 */
import { createHash, randomBytes } from 'node:crypto';
import { request, type IncomingMessage } from 'node:http';
import { TENANT, type FaultHub } from './hub';
import type { Check } from './oracle';
import type { Fault, FaultOutcome, InjectContext } from './scenarios';

/** The caps F10 gives query-api for the run (the defaults, 1,000 and 100, would take a thousand sockets to reach). */
export const F10_LIVE = { maxStreams: 45, perKey: 30, maxStreamMs: 20_000, heartbeatMs: 2_000 } as const;
/** Opened by each key: the hub's key past its own cap, a second key past what the process has left. */
const OPENS = { a: 40, b: 25 } as const;
/** Longer than the consumers' Kafka session timeout (30 s), and than BullMQ's job lock. */
const STOPPED_MS = 40_000;

/** A second read key of the tenant, fresh each run. */
const KEY_B = randomBytes(24).toString('base64url');
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

interface Stream {
  key: 'a' | 'b';
  status: number;
  retryAfter?: string;
  /** How the client reads once the stream is open. */
  reader?: 'stuck' | 'slow';
  res?: IncomingMessage;
  bytes: number;
  closedAt?: number;
}

/** Opens a live stream; a 200 is then read as `reader` says, anything else is read whole. */
function openStream(
  hub: FaultHub,
  customerId: string,
  key: 'a' | 'b',
  apiKey: string,
  reader: 'stuck' | 'slow',
  timers: NodeJS.Timeout[],
): Promise<Stream> {
  const url = new URL(hub.urlOf('query-api'));
  return new Promise((resolve) => {
    const s: Stream = { key, status: 0, bytes: 0 };
    // A connection of its own (agent: false): a stream's socket is never shared or reused.
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path: `/tenants/${TENANT}/customers/${encodeURIComponent(customerId)}/timeline/live`,
        headers: { authorization: `Bearer ${apiKey}` },
        timeout: 60_000,
        agent: false,
      },
      (res) => {
        s.status = res.statusCode ?? 0;
        const ra = res.headers['retry-after'];
        if (typeof ra === 'string') s.retryAfter = ra;
        res.socket.setTimeout(0);
        res.socket.once('close', () => (s.closedAt = Date.now()));
        res.on('error', () => undefined);
        if (s.status !== 200) {
          res.resume();
          res.once('end', () => resolve(s));
          return;
        }
        s.reader = reader;
        s.res = res;
        res.on('data', (c: Buffer) => (s.bytes += c.length));
        if (reader === 'stuck') {
          // Nothing more is read: the socket's receive buffer fills, then the server's send buffer.
          res.pause();
          res.socket.pause();
        } else {
          // A little every three seconds.
          res.pause();
          timers.push(
            setInterval(() => {
              res.resume();
              setTimeout(() => res.pause(), 50);
            }, 3_000),
          );
        }
        resolve(s);
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve(s));
    req.end();
  });
}

/** Whether the server has closed the stream: read what is left and wait for the close, up to `ms`. */
async function closedByServer(s: Stream, ms: number): Promise<boolean> {
  if (!s.res) return true;
  if (s.closedAt !== undefined) return true;
  s.res.socket.resume();
  s.res.resume();
  const deadline = Date.now() + ms;
  while (s.closedAt === undefined && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  return s.closedAt !== undefined;
}

async function getStatus(hub: FaultHub, path: string, apiKey: string): Promise<number> {
  const url = new URL(hub.urlOf('query-api'));
  for (let attempt = 0; ; attempt++) {
    const status = await new Promise<number>((resolve) => {
      const req = request(
        { host: url.hostname, port: url.port, path, headers: { authorization: `Bearer ${apiKey}` }, timeout: 30_000 },
        (res) => {
          res.resume();
          res.once('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', () => resolve(0));
      req.end();
    });
    // As a client does: again after no answer (a CPU-starved app), never after an answer.
    if (status !== 0 || attempt >= 5) return status;
    await new Promise((r) => setTimeout(r, 2_000));
  }
}

const byStatus = (xs: readonly { status: number }[]): string =>
  Object.entries(xs.reduce<Record<string, number>>((m, x) => ({ ...m, [String(x.status)]: (m[String(x.status)] ?? 0) + 1 }), {}))
    .map(([k, n]) => `${k}×${n}`)
    .join(' ');

/** The store's newest position (decisions after it were made after this moment). */
async function headPosition(hub: FaultHub): Promise<string> {
  const r = await hub.pool.query<{ p: string | null }>('select max(global_position)::text as p from hub_events');
  return r.rows[0]?.p ?? '0';
}

export const F10: Fault = {
  id: 'F10',
  title: 'slow SSE clients and consumers',
  description:
    `query-api's live timeline (SSE) caps lowered for the run to ${F10_LIVE.maxStreams} streams per process and ${F10_LIVE.perKey} per key, streams ended after ${F10_LIVE.maxStreamMs / 1000} s, heartbeats every ${F10_LIVE.heartbeatMs / 1000} s. ` +
    `Under load, ${OPENS.a} streams are opened with the hub's key and ${OPENS.b} with a second key, on the busiest customers; of those let in, two in three never read past the head, the rest read for 50 ms every 3 s. ` +
    'The excess must be refused (429 per key, 503 per process, with Retry-After), timeline queries must still answer while the caps are full, and the server must close every stream by its age (the places then open again). ' +
    `Meanwhile nba-worker is SIGSTOPped for ${STOPPED_MS / 1000} s (past the 30 s Kafka session timeout and the job locks) and SIGCONTed: it must carry on, deciding again, nothing lost or twice.`,
  env: (app, base) =>
    app === 'query-api'
      ? {
          HUB_API_KEYS: `${base['HUB_API_KEYS']},${TENANT}:${sha256(KEY_B)}`,
          QUERY_LIVE_MAX_STREAMS: String(F10_LIVE.maxStreams),
          QUERY_LIVE_MAX_STREAMS_PER_KEY: String(F10_LIVE.perKey),
          QUERY_LIVE_MAX_STREAM_MS: String(F10_LIVE.maxStreamMs),
          QUERY_LIVE_HEARTBEAT_MS: String(F10_LIVE.heartbeatMs),
        }
      : {},
  async inject(hub, ctx) {
    return injectF10(hub, ctx);
  },
};

async function injectF10(hub: FaultHub, ctx: InjectContext): Promise<FaultOutcome> {
  const worker = stopWorker(hub, ctx);
  const timers: NodeJS.Timeout[] = [];
  let streams: Stream[] = [];
  try {
    // The streams follow the busiest customers; on a starved machine the projector may not have shown any yet.
    let busiest: string[] = [];
    for (let i = 0; i < 120 && busiest.length < 20; i++) {
      if (i > 0) await ctx.sleep(500);
      busiest = (
        await hub.pool.query<{ id: string }>(
          'select customer_id::text as id from timeline_entries where tenant_id = $1 group by 1 order by count(*) desc limit 20',
          [TENANT],
        )
      ).rows.map((r) => r.id);
    }
    if (busiest.length === 0) throw new Error('F10: no customer on a timeline after 60 s');
    const openedAt = Date.now();
    // One at a time, so which open meets which cap is certain.
    for (const [key, apiKey, n] of [
      ['a', hub.apiKey, OPENS.a],
      ['b', KEY_B, OPENS.b],
    ] as const) {
      for (let i = 0; i < n; i++)
        streams.push(await openStream(hub, busiest[i % busiest.length]!, key, apiKey, i % 3 === 2 ? 'slow' : 'stuck', timers));
    }
    ctx.log(
      `live streams: hub's key ${byStatus(streams.filter((s) => s.key === 'a'))}, second key ${byStatus(streams.filter((s) => s.key === 'b'))} (opened in ${((Date.now() - openedAt) / 1000).toFixed(1)} s)`,
    );
    // The caps are full: ordinary queries must still answer.
    const queries = await Promise.all(
      busiest.slice(0, 10).map(async (id) => ({
        status: await getStatus(hub, `/tenants/${TENANT}/customers/${encodeURIComponent(id)}/timeline?limit=50`, hub.apiKey),
      })),
    );
    ctx.log(`timeline queries while the caps are full: ${byStatus(queries)}`);
    // Past the age limit and the grace after it, every stream must be closed by the server.
    const open = streams.filter((s) => s.res);
    const waitMs = openedAt + F10_LIVE.maxStreamMs + 10_000 - Date.now();
    if (waitMs > 0) await ctx.sleep(waitMs);
    const closed = await Promise.all(open.map((s) => closedByServer(s, 20_000)));
    const lastOpenedToClosed = Math.max(0, ...open.map((s) => (s.closedAt ?? Date.now()) - openedAt));
    ctx.log(
      `${closed.filter(Boolean).length}/${open.length} streams closed by the server (the last ${(lastOpenedToClosed / 1000).toFixed(1)} s after the first opened)`,
    );
    // Their places are free again.
    const again = [
      await openStream(hub, busiest[0]!, 'a', hub.apiKey, 'slow', timers),
      await openStream(hub, busiest[0]!, 'b', KEY_B, 'slow', timers),
    ];
    ctx.log(`after expiry: ${byStatus(again)}`);
    for (const s of again) s.res?.destroy();
    const stopped = await worker;
    const a = streams.filter((s) => s.key === 'a');
    const b = streams.filter((s) => s.key === 'b');
    const refusedRight = (xs: Stream[], status: number) => xs.filter((s) => s.status === status && Number(s.retryAfter) >= 1).length;
    return {
      faults: streams.length + 1,
      checks: async (): Promise<Check[]> => {
        const decidedAfter = await hub.pool.query<{ n: number }>(
          "select count(*)::int as n from hub_events where event_type = 'NextBestActionDecided' and global_position > $1::bigint",
          [stopped.positionAtCont],
        );
        const alive = hub.has('nba-worker') && hub.pidOf('nba-worker') === stopped.pid && processAlive(stopped.pid);
        return [
          {
            name: 'F10 live caps refuse the excess with Retry-After',
            ok:
              a.filter((s) => s.status === 200).length === F10_LIVE.perKey &&
              refusedRight(a, 429) === OPENS.a - F10_LIVE.perKey &&
              b.filter((s) => s.status === 200).length === F10_LIVE.maxStreams - F10_LIVE.perKey &&
              refusedRight(b, 503) === OPENS.b - (F10_LIVE.maxStreams - F10_LIVE.perKey),
            detail: `hub's key: ${byStatus(a)}; second key: ${byStatus(b)}; with Retry-After: ${refusedRight(a, 429) + refusedRight(b, 503)} refusals`,
          },
          {
            name: 'F10 queries answer while the caps are full',
            ok: queries.every((q) => q.status === 200),
            detail: `timeline queries: ${byStatus(queries)}`,
          },
          {
            name: 'F10 stuck and slow streams cut off by age',
            ok: closed.every(Boolean) && open.length > 0 && again.every((s) => s.status === 200),
            detail:
              `${closed.filter(Boolean).length}/${open.length} closed by the server (${open.filter((s) => s.reader === 'stuck').length} never reading, ${open.filter((s) => s.reader === 'slow').length} slow), ` +
              `the last ${(lastOpenedToClosed / 1000).toFixed(1)} s after opening; a new stream per key afterwards: ${byStatus(again)}`,
          },
          {
            name: 'F10 worker carries on after SIGSTOP',
            ok: alive && (decidedAfter.rows[0]?.n ?? 0) > 0,
            detail: `nba-worker pid ${stopped.pid} stopped ${(stopped.stoppedMs / 1000).toFixed(0)} s, ${alive ? 'still running' : 'gone'}; ${decidedAfter.rows[0]?.n ?? 0} decisions recorded after SIGCONT`,
          },
        ];
      },
    };
  } finally {
    for (const t of timers) clearInterval(t);
    for (const s of streams) s.res?.destroy();
    streams = [];
    // Never leave the worker stopped, whatever failed.
    await worker.catch(() => undefined);
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** SIGSTOP nba-worker for STOPPED_MS, then SIGCONT (always). */
async function stopWorker(hub: FaultHub, ctx: InjectContext): Promise<{ pid: number; stoppedMs: number; positionAtCont: string }> {
  const pid = hub.pidOf('nba-worker');
  const started = Date.now();
  process.kill(pid, 'SIGSTOP');
  ctx.log(`nba-worker (pid ${pid}) SIGSTOPped`);
  let positionAtCont = '0';
  try {
    await ctx.sleep(STOPPED_MS);
    positionAtCont = await headPosition(hub);
  } finally {
    process.kill(pid, 'SIGCONT');
  }
  ctx.log(`nba-worker (pid ${pid}) SIGCONTed after ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return { pid, stoppedMs: Date.now() - started, positionAtCont };
}
