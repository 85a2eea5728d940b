import { gzipSync } from 'node:zlib';
import {
  IngestApiPaths,
  type AcceptedResponse,
  type ApiErrorBody,
  type BatchLineResult,
  type BatchResponse,
  type ConsentRequest,
  type ConversationStatusRequest,
  type IngestApiHealth,
  type InteractionReceivedInput,
  type TraitsRequest,
} from '@hub/contracts';
import { HubApiError, HubApiUnavailableError, HubClientConfigError } from './client.errors';
import { encodeNdjson, ndjsonChunks } from './ndjson';
import { DEFAULT_RETRY_POLICY, isRetryableStatus, parseRetryAfter, retryDelayMs, type RetryPolicy } from './retry.policy';

export interface HubIngestClientOptions {
  /** The generic ingest API (apps/ingest/api), e.g. `https://ingest.example.com`. */
  baseUrl: string;
  /** The platform's source key: one source, one tenant (`INGEST_API_KEYS`, or a key from `/admin/v1`). Sent as `Authorization: Bearer`. */
  apiKey: string;
  retry?: Partial<RetryPolicy>;
  /** One attempt's time limit; a request without an answer by then is tried again. Default 30 s. */
  timeoutMs?: number;
  /** Send batches gzip-encoded (`Content-Encoding: gzip`); a call may say otherwise. Default false. */
  gzip?: boolean;
  /** Events per batch request: larger batches are cut (the API's `INGEST_MAX_BATCH_EVENTS`, default 1,000). */
  maxBatchEvents?: number;
  /** NDJSON bytes per batch request, before gzip (the API's `INGEST_MAX_BODY_BYTES`, default 5 MiB). */
  maxBatchBytes?: number;
  /** Told before each wait for a retry: what failed and how long the client waits (for logs and counters). */
  onRetry?: (retry: RetryNotice) => void;
}

export interface RetryNotice {
  path: string;
  /** The attempt that failed (1-based). */
  attempt: number;
  /** Its status, 0 when it got no answer. */
  status: number;
  /** What the API asked to wait (`Retry-After`), when it said. */
  retryAfterMs: number | undefined;
  /** What the client waits before the next attempt. */
  delayMs: number;
}

/** A batch's outcome: every event's line result, `line` counted over the whole `events` list (1-based) however many requests it took. */
export interface BatchResult extends BatchResponse {
  /** HTTP requests it took (a batch over the limits is cut). */
  requests: number;
}

const MIB = 1024 * 1024;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * A typed client of the generic ingest API (docs/operations.md, "The client"): one event, NDJSON
 * batches (gzip optional), and a platform's conversation status, consent and traits facts, signed
 * in with a source key. Answers the API's 429 and 5xx by trying again within bounded attempts,
 * waiting what `Retry-After` says (else backing off with jitter); a 4xx other than 429 is a
 * `HubApiError` with the API's `{error, message, problems}`, at once.
 */
export class HubIngestClient {
  private readonly baseUrl: string;
  private readonly policy: RetryPolicy;

  constructor(private readonly options: HubIngestClientOptions) {
    let url: URL;
    try {
      url = new URL(options.baseUrl);
    } catch {
      throw new HubClientConfigError(`baseUrl must be an absolute http(s) URL, not ${JSON.stringify(options.baseUrl)}`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new HubClientConfigError(`baseUrl must be http or https`);
    // The API refuses a key that is empty or holds spaces as malformed (presentedApiKey): say so before any request.
    if (!options.apiKey || /\s/.test(options.apiKey)) throw new HubClientConfigError('apiKey must be the source key: non-empty, no spaces');
    this.baseUrl = url.href.replace(/\/+$/, '');
    this.policy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    if (!(this.policy.maxAttempts >= 1)) throw new HubClientConfigError('retry.maxAttempts must be at least 1');
  }

  /** One event (`POST /v1/events`, JSON): 202 once Kafka acknowledged it. */
  sendEvent(event: InteractionReceivedInput): Promise<AcceptedResponse> {
    return this.post<AcceptedResponse>(IngestApiPaths.events, jsonBody(event));
  }

  /**
   * Events as NDJSON (`POST /v1/events/batch`), cut into requests within `maxBatchEvents` and
   * `maxBatchBytes`. Resolves with every line's result (an invalid line does not fail the others);
   * rejects only when a whole request is refused or not taken in time: requests already answered
   * stay accepted, and sending the batch again is safe (same ids, same events). An empty list sends
   * nothing (the API would refuse it: `empty_batch`).
   */
  async sendBatch(events: readonly InteractionReceivedInput[], { gzip = this.options.gzip ?? false } = {}): Promise<BatchResult> {
    const chunks = ndjsonChunks(events, {
      maxEvents: this.options.maxBatchEvents ?? 1_000,
      maxBytes: this.options.maxBatchBytes ?? 5 * MIB,
    });
    const results: BatchLineResult[] = [];
    for (const chunk of chunks) {
      const ndjson = encodeNdjson(chunk.documents);
      const body: RequestBody = gzip
        ? { bytes: gzipSync(ndjson), headers: { 'content-type': 'application/x-ndjson', 'content-encoding': 'gzip' } }
        : { bytes: ndjson, headers: { 'content-type': 'application/x-ndjson' } };
      const answer = await this.post<BatchResponse>(IngestApiPaths.batch, body);
      results.push(...answer.results.map((r) => ({ ...r, line: r.line + chunk.from })));
    }
    return {
      accepted: results.filter((r) => r.status === 'accepted').length,
      invalid: results.filter((r) => r.status === 'invalid').length,
      results,
      requests: chunks.length,
    };
  }

  /** A conversation's status changed at the platform (`POST /v1/conversations/status`). */
  sendConversationStatus(request: ConversationStatusRequest): Promise<AcceptedResponse> {
    return this.post<AcceptedResponse>(IngestApiPaths.conversationStatus, jsonBody(request));
  }

  /** A customer's consent on one channel changed (`POST /v1/customers/consent`). */
  sendConsent(request: ConsentRequest): Promise<AcceptedResponse> {
    return this.post<AcceptedResponse>(IngestApiPaths.consent, jsonBody(request));
  }

  /** A customer's profile attributes (`POST /v1/customers/traits`; `null` clears one). */
  sendTraits(request: TraitsRequest): Promise<AcceptedResponse> {
    return this.post<AcceptedResponse>(IngestApiPaths.traits, jsonBody(request));
  }

  /** `GET /health` (open, no key): whether the API reaches Kafka. One attempt. */
  async health(): Promise<IngestApiHealth> {
    const res = await fetch(`${this.baseUrl}${IngestApiPaths.health}`, { signal: AbortSignal.timeout(this.options.timeoutMs ?? 30_000) });
    return (await res.json()) as IngestApiHealth;
  }

  private async post<T>(path: string, body: RequestBody): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      let status = 0;
      let answer: ApiErrorBody | undefined;
      let retryAfterMs: number | undefined;
      let cause: unknown;
      try {
        const res = await fetch(`${this.baseUrl}${path}`, {
          method: 'POST',
          headers: { ...body.headers, authorization: `Bearer ${this.options.apiKey}` },
          body: body.bytes,
          signal: AbortSignal.timeout(this.options.timeoutMs ?? 30_000),
        });
        const text = await res.text();
        if (res.ok) return JSON.parse(text) as T;
        status = res.status;
        answer = errorBody(status, text);
        if (!isRetryableStatus(status)) throw new HubApiError(status, answer, path);
        retryAfterMs = parseRetryAfter(res.headers.get('retry-after'), Date.now());
      } catch (err) {
        if (err instanceof HubApiError) throw err;
        // No answer: refused, reset, timed out (or a 2xx whose body was not JSON: not ours, try again).
        cause = err;
      }
      if (attempt >= this.policy.maxAttempts || (retryAfterMs ?? 0) > this.policy.maxRetryAfterMs)
        throw new HubApiUnavailableError(path, attempt, status, answer, retryAfterMs, cause === undefined ? undefined : { cause });
      const delayMs = retryDelayMs(attempt, retryAfterMs, this.policy, Math.random);
      this.options.onRetry?.({ path, attempt, status, retryAfterMs, delayMs });
      await sleep(delayMs);
    }
  }
}

interface RequestBody {
  bytes: Buffer;
  headers: Record<string, string>;
}

function jsonBody(document: unknown): RequestBody {
  return { bytes: Buffer.from(JSON.stringify(document), 'utf8'), headers: { 'content-type': 'application/json' } };
}

/**
 * The refusal as the API's one shape. Every refusal of the API has it; one that does not (a proxy's
 * HTML page, the key store's 503) is given it: `error` from what it said or `http_<status>`.
 */
function errorBody(status: number, text: string): ApiErrorBody {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  const o = typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
  const error = typeof o['error'] === 'string' ? o['error'] : `http_${status}`;
  const message =
    typeof o['message'] === 'string'
      ? o['message']
      : typeof o['reason'] === 'string'
        ? o['reason']
        : text.slice(0, 200) || `HTTP ${status}`;
  const problems = Array.isArray(o['problems']) ? (o['problems'] as ApiErrorBody['problems']) : [];
  return { ...o, error, message, problems };
}
