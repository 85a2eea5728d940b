import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import type { InteractionReceivedInput } from '@hub/contracts';
import { HubApiError, HubApiUnavailableError, HubClientConfigError } from './client.errors';
import { HubIngestClient, type RetryNotice } from './ingest.client';

/**
 * The client against a real HTTP server on loopback, started here, that answers as the generic
 * API does (its statuses, `Retry-After` and its one error shape): what the client sends and how
 * often is read off the server, never off the client.
 */
interface Received {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
  atMs: number;
}
type Answer = { status: number; body?: unknown; headers?: Record<string, string>; raw?: string };

let server: Server;
let baseUrl = '';
let received: Received[] = [];
/** What the server answers, request by request (the last one repeats). */
let script: ((req: Received) => Answer)[] = [];

beforeAll(async () => {
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r: Received = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks),
        atMs: Date.now(),
      };
      received.push(r);
      const answer = (script[received.length - 1] ?? script.at(-1)!)(r);
      res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
      res.end(answer.raw ?? JSON.stringify(answer.body ?? {}));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
beforeEach(() => {
  received = [];
  script = [];
});

const KEY = 'k3y-of-the-source';
const accepted = (eventId = 'e-1'): Answer => ({ status: 202, body: { status: 'accepted', eventId } });
const busy = (status: 429 | 503, retryAfter?: string): Answer => ({
  status,
  body: { error: status === 429 ? 'too_many_requests' : 'unavailable', message: 'nothing was accepted', problems: [] },
  ...(retryAfter !== undefined ? { headers: { 'retry-after': retryAfter } } : {}),
});

function event(n: number): InteractionReceivedInput {
  return {
    type: 'InteractionReceived',
    data: {
      direction: 'inbound',
      kind: 'message',
      identities: [{ kind: 'phone', value: '+14155550100' }],
      content: { text: `hello ${n}` },
      provider: { messageId: `m-${n}` },
    },
    metadata: { occurredAt: '2026-12-07T10:00:00.000Z', channel: 'sms' },
  };
}

function client(options: Partial<ConstructorParameters<typeof HubIngestClient>[0]> = {}): HubIngestClient {
  return new HubIngestClient({ baseUrl, apiKey: KEY, retry: { baseDelayMs: 10, maxDelayMs: 50 }, ...options });
}

describe('the ingest client', () => {
  describe('when the API answers 429 with Retry-After: 1, then accepts', () => {
    it('waits at least the second it was told, sends the same request again, and resolves with the acceptance', async () => {
      script = [() => busy(429, '1'), () => accepted('e-42')];
      const retries: RetryNotice[] = [];
      const answer = await client({ onRetry: (r) => retries.push(r) }).sendEvent(event(1));

      expect(answer).toEqual({ status: 'accepted', eventId: 'e-42' });
      expect(received).toHaveLength(2);
      expect(received[1]!.body.equals(received[0]!.body)).toBe(true);
      expect(received.map((r) => r.headers['authorization'])).toEqual([`Bearer ${KEY}`, `Bearer ${KEY}`]);
      expect(retries).toEqual([{ path: '/v1/events', attempt: 1, status: 429, retryAfterMs: 1_000, delayMs: expect.any(Number) }]);
      expect(retries[0]!.delayMs).toBeGreaterThanOrEqual(1_000);
      // A lower bound only: a wait is never shorter than asked.
      expect(received[1]!.atMs - received[0]!.atMs).toBeGreaterThanOrEqual(1_000);
    });
  });

  describe('when the API stays unavailable (503, Retry-After: 0)', () => {
    it('gives up after maxAttempts with a retryable error carrying the last answer', async () => {
      script = [() => busy(503, '0')];
      const err = await client({ retry: { maxAttempts: 3, baseDelayMs: 10 } })
        .sendEvent(event(1))
        .catch((e: unknown) => e);

      expect(err).toBeInstanceOf(HubApiUnavailableError);
      expect(err).toMatchObject({ code: 'HUB_API_UNAVAILABLE', retryable: true, attempts: 3, status: 503, retryAfterMs: 0 });
      expect((err as HubApiUnavailableError).body).toMatchObject({ error: 'unavailable', problems: [] });
      expect(received).toHaveLength(3);
    });
  });

  describe('when the API asks to wait longer than the client may', () => {
    it('does not wait: it fails at once, after one request', async () => {
      script = [() => busy(429, '120')];
      const err = await client({ retry: { maxRetryAfterMs: 5_000 } })
        .sendEvent(event(1))
        .catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'HUB_API_UNAVAILABLE', attempts: 1, status: 429, retryAfterMs: 120_000 });
      expect(received).toHaveLength(1);
    });
  });

  describe('when the API fails with a 5xx and no Retry-After', () => {
    it('backs off and tries again', async () => {
      script = [() => ({ status: 502, raw: '<html>bad gateway</html>' }), () => ({ status: 500, body: {} }), () => accepted()];
      const retries: RetryNotice[] = [];
      await expect(client({ onRetry: (r) => retries.push(r) }).sendEvent(event(1))).resolves.toMatchObject({ status: 'accepted' });
      expect(retries.map((r) => [r.status, r.retryAfterMs])).toEqual([
        [502, undefined],
        [500, undefined],
      ]);
      expect(received).toHaveLength(3);
    });
  });

  describe('when the API refuses the event (400, its one error shape)', () => {
    it('throws a permanent HubApiError with error, message and every problem, and does not retry', async () => {
      const refusal = {
        error: 'invalid_event',
        message: 'the event is not valid: see problems (every one found)',
        problems: [
          { path: 'metadata.occurredAt', code: 'isIso8601', message: 'occurredAt must be a valid ISO 8601 date string' },
          { path: 'data.identities.0.value', code: 'invalid_identity', message: 'is not a phone number' },
        ],
      };
      script = [() => ({ status: 400, body: refusal })];
      const err = await client()
        .sendEvent(event(1))
        .catch((e: unknown) => e);

      expect(err).toBeInstanceOf(HubApiError);
      expect(err).toMatchObject({ code: 'HUB_API_REFUSED', retryable: false, status: 400, error: 'invalid_event', path: '/v1/events' });
      expect((err as HubApiError).problems).toEqual(refusal.problems);
      expect((err as HubApiError).body).toEqual(refusal);
      expect(received).toHaveLength(1);
    });

    it.each([401, 403, 404, 408, 413, 415])('does not retry a %i either', async (status) => {
      script = [() => ({ status, body: { error: `e${status}`, message: 'no', problems: [] } })];
      await expect(client().sendEvent(event(1))).rejects.toMatchObject({ status, error: `e${status}` });
      expect(received).toHaveLength(1);
    });
  });

  describe('when nothing answers', () => {
    it('retries, then fails with the cause and status 0', async () => {
      const closed = createServer();
      await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
      const port = (closed.address() as AddressInfo).port;
      await new Promise<void>((resolve) => closed.close(() => resolve()));

      const retries: RetryNotice[] = [];
      const err = await client({
        baseUrl: `http://127.0.0.1:${port}`,
        retry: { maxAttempts: 2, baseDelayMs: 10 },
        onRetry: (r) => retries.push(r),
      })
        .sendEvent(event(1))
        .catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'HUB_API_UNAVAILABLE', attempts: 2, status: 0 });
      expect((err as Error).cause).toBeDefined();
      expect(retries.map((r) => r.status)).toEqual([0]);
    });
  });

  describe('a batch', () => {
    const lineResults = (req: Received) => {
      const body = req.headers['content-encoding'] === 'gzip' ? gunzipSync(req.body) : req.body;
      const lines = body.toString('utf8').split('\n').filter(Boolean);
      return lines.map((l, i) => {
        const e = JSON.parse(l) as InteractionReceivedInput;
        return e.data.content.text === 'hello 2'
          ? { line: i + 1, status: 'invalid', code: 'invalid_event', problems: [{ path: 'data.x', code: 'c', message: 'm' }] }
          : { line: i + 1, status: 'accepted', eventId: `id-${e.data.provider.messageId}` };
      });
    };
    const answerBatch = (req: Received): Answer => {
      const results = lineResults(req);
      const invalid = results.filter((r) => r.status === 'invalid').length;
      return { status: 200, body: { accepted: results.length - invalid, invalid, results } };
    };

    it('is sent as NDJSON, gzip-encoded when asked, with a result per line', async () => {
      script = [answerBatch];
      const result = await client().sendBatch([event(1), event(2), event(3)], { gzip: true });

      expect(received).toHaveLength(1);
      expect(received[0]).toMatchObject({ method: 'POST', path: '/v1/events/batch' });
      expect(received[0]!.headers).toMatchObject({ 'content-type': 'application/x-ndjson', 'content-encoding': 'gzip' });
      expect(gunzipSync(received[0]!.body).toString('utf8').split('\n')).toEqual([
        JSON.stringify(event(1)),
        JSON.stringify(event(2)),
        JSON.stringify(event(3)),
        '',
      ]);
      expect(result).toEqual({
        accepted: 2,
        invalid: 1,
        requests: 1,
        results: [
          { line: 1, status: 'accepted', eventId: 'id-m-1' },
          { line: 2, status: 'invalid', code: 'invalid_event', problems: [{ path: 'data.x', code: 'c', message: 'm' }] },
          { line: 3, status: 'accepted', eventId: 'id-m-3' },
        ],
      });
    });

    it('is cut into requests within maxBatchEvents, its lines numbered over the whole batch', async () => {
      script = [answerBatch];
      const result = await client({ maxBatchEvents: 2 }).sendBatch([1, 2, 3, 4, 5].map(event));

      expect(received.map((r) => r.headers['content-encoding'])).toEqual([undefined, undefined, undefined]);
      expect(received.map((r) => r.body.toString('utf8').split('\n').filter(Boolean).length)).toEqual([2, 2, 1]);
      expect(result.requests).toBe(3);
      expect(result.results.map((r) => [r.line, r.status])).toEqual([
        [1, 'accepted'],
        [2, 'invalid'],
        [3, 'accepted'],
        [4, 'accepted'],
        [5, 'accepted'],
      ]);
      expect(result).toMatchObject({ accepted: 4, invalid: 1 });
    });

    it('is retried as a whole on 429, the same bytes again', async () => {
      script = [() => busy(429, '0'), answerBatch];
      const result = await client().sendBatch([event(1)], { gzip: true });
      expect(result.accepted).toBe(1);
      expect(received).toHaveLength(2);
      expect(gunzipSync(received[1]!.body).equals(gunzipSync(received[0]!.body))).toBe(true);
    });
  });

  describe("a platform's facts", () => {
    it('go to their routes as JSON, signed with the key', async () => {
      script = [() => accepted()];
      const identities = [{ kind: 'email' as const, value: 'maria@example.com' }];
      const occurredAt = '2026-12-07T10:00:00.000Z';
      const c = client();
      await c.sendConversationStatus({ identities, channel: 'webchat', status: 'resolved', conversationId: 'conv-1', occurredAt });
      await c.sendConsent({ identities, channel: 'sms', consent: 'opted_out', occurredAt });
      await c.sendTraits({ identities, traits: { tier: 'gold', language: null }, occurredAt });

      expect(received.map((r) => r.path)).toEqual(['/v1/conversations/status', '/v1/customers/consent', '/v1/customers/traits']);
      expect(
        received.every((r) => r.headers['content-type'] === 'application/json' && r.headers['authorization'] === `Bearer ${KEY}`),
      ).toBe(true);
      expect(JSON.parse(received[2]!.body.toString('utf8'))).toEqual({ identities, traits: { tier: 'gold', language: null }, occurredAt });
    });
  });

  it('refuses options it cannot work with before sending anything', () => {
    expect(() => new HubIngestClient({ baseUrl: 'not a url', apiKey: KEY })).toThrow(HubClientConfigError);
    expect(() => new HubIngestClient({ baseUrl: 'ftp://x', apiKey: KEY })).toThrow(HubClientConfigError);
    expect(() => new HubIngestClient({ baseUrl, apiKey: '' })).toThrow(HubClientConfigError);
    expect(() => new HubIngestClient({ baseUrl, apiKey: 'two words' })).toThrow(HubClientConfigError);
    expect(() => new HubIngestClient({ baseUrl, apiKey: KEY, retry: { maxAttempts: 0 } })).toThrow(HubClientConfigError);
  });
});
