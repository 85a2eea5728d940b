import { createHmac } from 'node:crypto';
import type { MessageSender, OutboundMessage } from './message-sender.port';
import type { ProviderLookupOutcome, ProviderSendOutcome } from './outbound-send';

export interface SendGridEmailSenderOptions {
  /** `https://api.sendgrid.com` in production; a local fake in tests. */
  baseUrl: string;
  apiKey: string;
  /** Our address and name: the `From` of every email. */
  from: { email: string; name?: string };
  /**
   * The one-click unsubscribe endpoint (RFC 8058): each email's `List-Unsubscribe` is this URL with
   * the tenant, the customer and a signature (`unsubscribeToken`) in its query, and
   * `List-Unsubscribe-Post: List-Unsubscribe=One-Click` says a POST to it unsubscribes.
   */
  unsubscribeUrl: string;
  /** The key the signatures are made with (the endpoint checks them with the same key). */
  unsubscribeSecret: string;
  timeoutMs: number;
}

/** The signature of one customer's one-click unsubscribe link: HMAC-SHA-256 over tenant, customer and address. */
export function unsubscribeToken(secret: string, tenantId: string, customerId: string, address: string): string {
  return createHmac('sha256', secret).update(`hub.unsubscribe|${tenantId}|${customerId}|email|${address}`).digest('base64url');
}

/** The `List-Unsubscribe` URL of one email. */
export function unsubscribeLink(o: Pick<SendGridEmailSenderOptions, 'unsubscribeUrl' | 'unsubscribeSecret'>, m: OutboundMessage): string {
  const url = new URL(o.unsubscribeUrl);
  url.searchParams.set('tenant', m.tenantId);
  url.searchParams.set('customer', m.customerId);
  url.searchParams.set('address', m.to.value);
  url.searchParams.set('sig', unsubscribeToken(o.unsubscribeSecret, m.tenantId, m.customerId, m.to.value));
  return url.href;
}

/**
 * SendGrid's v3 Mail Send (`POST /v3/mail/send`): one email per send, with the RFC 8058 one-click
 * unsubscribe headers, and the send's id in `custom_args.hub_send_id` (SendGrid's event webhook
 * echoes it, so a delivery event names its send). Accepted (202) answers carry the message id in
 * `X-Message-Id`.
 *
 * Mail Send takes no idempotency key, and finding a sent email needs the Email Activity API (a paid
 * add-on), so an in-doubt send is parked for a person (`lookup`: `unsupported`), never resent.
 */
export class SendGridEmailSender implements MessageSender {
  readonly provider = 'sendgrid';
  readonly channel = 'email' as const;
  readonly endpoint: string;

  constructor(private readonly o: SendGridEmailSenderOptions) {
    this.endpoint = o.from.email;
  }

  /** The request body of one email. */
  payload(m: OutboundMessage): Record<string, unknown> {
    return {
      personalizations: [{ to: [{ email: m.to.value }] }],
      from: { email: this.o.from.email, ...(this.o.from.name ? { name: this.o.from.name } : {}) },
      subject: m.subject ?? '',
      content: [{ type: 'text/plain', value: m.body }],
      headers: { 'List-Unsubscribe': `<${unsubscribeLink(this.o, m)}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' },
      custom_args: { hub_send_id: m.sendId },
    };
  }

  async send(m: OutboundMessage): Promise<ProviderSendOutcome> {
    let response: Response;
    try {
      response = await fetch(`${this.o.baseUrl.replace(/\/$/, '')}/v3/mail/send`, {
        method: 'POST',
        headers: { authorization: `Bearer ${this.o.apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify(this.payload(m)),
        signal: AbortSignal.timeout(this.o.timeoutMs),
      });
    } catch (err) {
      const code = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).name;
      const msg = (err as Error).message;
      return code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EAI_AGAIN'
        ? { kind: 'retry_later', code, message: msg }
        : { kind: 'unknown', code, message: msg };
    }
    const text = await response.text().catch(() => '');
    if (response.status === 202 || response.status === 200) {
      const id = response.headers.get('x-message-id');
      return id
        ? { kind: 'accepted', providerMessageId: id }
        : { kind: 'unknown', code: 'SENDGRID_NO_MESSAGE_ID', message: 'accepted without X-Message-Id' };
    }
    let message = text.slice(0, 200);
    try {
      const errors = (JSON.parse(text) as { errors?: { message?: string }[] }).errors;
      if (errors?.[0]?.message) message = errors.map((e) => e.message).join('; ');
    } catch {
      // not JSON: the text itself
    }
    const code = `HTTP_${response.status}`;
    if (response.status === 429) return { kind: 'retry_later', code, message };
    if (response.status >= 500) return { kind: 'unknown', code, message };
    return { kind: 'rejected', code, message };
  }

  async lookup(): Promise<ProviderLookupOutcome> {
    return { kind: 'unsupported' };
  }
}
