/** What one attempt's HTTP POST gave: a status code, or the error that prevented one. */
export type WebhookResponse = { kind: 'answered'; statusCode: number } | { kind: 'unreachable'; error: string };

/** Posts a delivery (the job decides what, this only sends). DI-free: the job takes it in its constructor. */
export interface WebhookSender {
  post(url: string, headers: Record<string, string>, body: string): Promise<WebhookResponse>;
}

/**
 * Node's fetch: no redirects followed (a 3xx is an answer, and not a success), a time limit per
 * attempt, the response body read and dropped.
 */
export class FetchWebhookSender implements WebhookSender {
  constructor(private readonly timeoutMs: number) {}

  async post(url: string, headers: Record<string, string>, body: string): Promise<WebhookResponse> {
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'interaction-hub-webhooks/1', ...headers },
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      await res.arrayBuffer().catch(() => undefined);
      return { kind: 'answered', statusCode: res.status };
    } catch (err) {
      const e = err as Error & { cause?: { code?: string; message?: string } };
      const detail = e.name === 'TimeoutError' ? `timed out after ${this.timeoutMs} ms` : (e.cause?.code ?? e.cause?.message ?? e.message);
      return { kind: 'unreachable', error: detail };
    }
  }
}
