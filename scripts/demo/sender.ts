import type { DemoRequest } from './requests';
import { signRequest } from './requests';

/** What happened to one request. */
export interface Delivered {
  request: DemoRequest;
  status: number;
  /** The JSON answer (or the text when it was not JSON). */
  body: unknown;
  /** Times the provider had to retry after 429 / 503 (as providers do, honouring Retry-After). */
  retriedAfterBusy: number;
}

export interface SendOptions {
  /** The ingestion app's base URL for a request's channel. */
  baseUrlOf: (request: DemoRequest) => string;
  /** Requests in flight at once. */
  concurrency: number;
  onDelivered?: (delivered: Delivered, done: number) => void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * POST one request as its provider would: signed at the moment it is sent, to the path the
 * provider signed. On 429 / 503 the provider retries after Retry-After (at most 5 times).
 */
export async function deliver(request: DemoRequest, baseUrl: string): Promise<Delivered> {
  for (let attempt = 0; ; attempt++) {
    const signed = signRequest(request);
    const { pathname, search } = new URL(signed.url);
    const res = await fetch(`${baseUrl}${pathname}${search}`, {
      method: 'POST',
      headers: signed.headers as Record<string, string>,
      body: signed.rawBody,
    });
    const text = await res.text();
    if ((res.status === 429 || res.status === 503) && attempt < 5) {
      await sleep(Math.min(5, Number(res.headers.get('retry-after') ?? '1') || 1) * 1000);
      continue;
    }
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      /* not JSON */
    }
    return { request, status: res.status, body, retriedAfterBusy: attempt };
  }
}

/** Send every request in order, `concurrency` at a time; results in request order. */
export async function sendAll(
  requests: readonly DemoRequest[],
  { baseUrlOf, concurrency, onDelivered }: SendOptions,
): Promise<Delivered[]> {
  const results: Delivered[] = new Array<Delivered>(requests.length);
  let next = 0;
  let done = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < requests.length; i = next++) {
      const request = requests[i]!;
      try {
        results[i] = await deliver(request, baseUrlOf(request));
      } catch (err) {
        results[i] = { request, status: 0, body: String(err), retriedAfterBusy: 0 };
      }
      onDelivered?.(results[i]!, ++done);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
  return results;
}
