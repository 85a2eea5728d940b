import { SseReader } from './sse';
import type { TimelineEntry } from './hub-types';

/**
 * A refusal of the query API: its status and its JSON body (`{ error, reason, fields? }`, whose
 * `error`/`reason` are the API's stable codes). A plain Error with those fields, not a class: the
 * console is a browser bundle that imports no workspace library, so not the hub's HubError either.
 */
export interface HubApiFailure extends Error {
  status: number;
  body: { error?: string; reason?: string; fields?: { field: string; messages: string[] }[] };
}

function apiFailure(status: number, body: HubApiFailure['body']): HubApiFailure {
  const message =
    body.reason ?? body.fields?.map((f) => `${f.field}: ${f.messages.join(', ')}`).join('; ') ?? body.error ?? `HTTP ${status}`;
  return Object.assign(new Error(message), { name: 'HubApiFailure', status, body });
}

/** Whether `err` is the query API's refusal (of one of these statuses, when given). */
export function isApiFailure(err: unknown, ...statuses: number[]): err is HubApiFailure {
  return (
    err instanceof Error && err.name === 'HubApiFailure' && (statuses.length === 0 || statuses.includes((err as HubApiFailure).status))
  );
}

/**
 * Who is signed in: a tenant's key or token (`tenantId` set), or an operator's (`tenantId` empty: the
 * Operations page only). A tenant session may hold an operator key too, given on the Operations page.
 */
export interface Session {
  tenantId: string;
  apiKey: string;
  operatorKey?: string;
}

/** The operator key of a session, if it has one: its own key when it is an operator's, else the one added on the Operations page. */
export const operatorKeyOf = (s: Session): string | undefined => (s.tenantId === '' ? s.apiKey : s.operatorKey);

type Params = Record<string, string | readonly string[] | undefined>;

/**
 * The console's one way to the query API (same origin: the API serves the console): every call
 * carries the tenant key as a bearer token, and the path is the tenant's.
 */
export class HubClient {
  constructor(
    readonly session: Session,
    private readonly base = '',
  ) {}

  private url(path: string, params: Params = {}): string {
    const search = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) {
      if (v === undefined) continue;
      for (const one of typeof v === 'string' ? [v] : v) search.append(k, one);
    }
    const qs = search.toString();
    return `${this.base}/tenants/${encodeURIComponent(this.session.tenantId)}${path}${qs ? `?${qs}` : ''}`;
  }

  private headers(): Record<string, string> {
    return { authorization: `Bearer ${this.session.apiKey}` };
  }

  async get<T>(path: string, params?: Params): Promise<T> {
    return this.answer<T>(await fetch(this.url(path, params), { headers: this.headers() }));
  }

  async post<T>(path: string, body: unknown = {}): Promise<T> {
    return this.answer<T>(
      await fetch(this.url(path), {
        method: 'POST',
        headers: { ...this.headers(), 'content-type': 'application/json' },
        body: JSON.stringify(body),
      }),
    );
  }

  private async answer<T>(res: Response): Promise<T> {
    return answer<T>(res);
  }

  /**
   * Follow a customer's live timeline (server-sent events over fetch, so the key goes in a header):
   * each projected entry is handed to `onEntry`; when the server ends the stream (it does, at
   * QUERY_LIVE_MAX_STREAM_MS) it is opened again after the last entry seen (`Last-Event-ID`).
   * Stops when `signal` aborts. `onState` says whether the stream is open.
   */
  async follow(
    customerId: string,
    onEntry: (entry: TimelineEntry) => void,
    onState: (open: boolean) => void,
    signal: AbortSignal,
  ): Promise<void> {
    let lastEventId: string | undefined;
    for (let failures = 0; !signal.aborted; ) {
      try {
        const res = await fetch(this.url(`/customers/${encodeURIComponent(customerId)}/timeline/live`), {
          headers: { ...this.headers(), accept: 'text/event-stream', ...(lastEventId ? { 'last-event-id': lastEventId } : {}) },
          signal,
        });
        if (!res.ok || !res.body) throw apiFailure(res.status, {});
        onState(true);
        failures = 0;
        const reader = new SseReader();
        const decoder = new TextDecoder();
        const body = res.body.getReader();
        for (let chunk = await body.read(); !chunk.done; chunk = await body.read()) {
          for (const frame of reader.push(decoder.decode(chunk.value, { stream: true }))) {
            if (frame.event !== 'entry') continue;
            if (frame.id) lastEventId = frame.id;
            onEntry(JSON.parse(frame.data) as TimelineEntry);
          }
        }
      } catch (err) {
        if (signal.aborted) break;
        if (isApiFailure(err, 401, 403, 404)) break;
        failures++;
      }
      onState(false);
      // Back off after failures (capped), not after a normal end of stream.
      if (failures > 0 && !signal.aborted) await new Promise((r) => setTimeout(r, Math.min(30_000, 500 * 2 ** Math.min(failures, 6))));
    }
    onState(false);
  }
}

async function answer<T>(res: Response): Promise<T> {
  const body = (await res.json().catch(() => ({}))) as unknown;
  if (!res.ok) throw apiFailure(res.status, body as HubApiFailure['body']);
  return body as T;
}

/** The operator routes (`/admin/v1/…`, `/replays`), with an operator key (or a token with the `operator` role) as the bearer. */
export class OperatorClient {
  constructor(
    private readonly operatorKey: string,
    private readonly base = '',
  ) {}

  async get<T>(path: string, params: Record<string, string | undefined> = {}): Promise<T> {
    const search = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') search.append(k, v);
    const qs = search.toString();
    return answer<T>(await fetch(`${this.base}${path}${qs ? `?${qs}` : ''}`, { headers: { authorization: `Bearer ${this.operatorKey}` } }));
  }

  async post<T>(path: string, body: unknown = {}): Promise<T> {
    return answer<T>(
      await fetch(`${this.base}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${this.operatorKey}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      }),
    );
  }
}
