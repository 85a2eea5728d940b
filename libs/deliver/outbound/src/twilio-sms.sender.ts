import type { MessageSender, OutboundMessage, SendLookup } from './message-sender.port';
import type { ProviderLookupOutcome, ProviderSendOutcome } from './outbound-send';

export interface TwilioSmsSenderOptions {
  /** `https://api.twilio.com` in production; a local fake in tests. */
  baseUrl: string;
  accountSid: string;
  authToken: string;
  /** Our number (E.164) or a Messaging Service (`MG…`): the `From` of every message. */
  from: string;
  /**
   * Where Twilio posts the message's statuses (the hub's ingest-sms route). Each request's
   * callback carries the send's id (`?hubSendId=`), so a status names the send it belongs to.
   */
  statusCallbackUrl?: string;
  /** One request's deadline: past it the send is in doubt (Twilio may have taken it). */
  timeoutMs: number;
}

interface TwilioMessage {
  sid: string;
  to: string;
  from?: string;
  body?: string;
  date_created?: string;
  messaging_service_sid?: string | null;
}

/** How far a message's `date_created` may precede the intent's clock and still be the send's (clock skew). */
const CLOCK_SKEW_MS = 5 * 60_000;
/** Codes Twilio answers that say "not now": nothing was sent (Too Many Requests, queue full). */
const RETRY_LATER_CODES = new Set(['20429', '14107', '30001']);

/**
 * Twilio Programmable Messaging, `POST /2010-04-01/Accounts/{sid}/Messages.json`.
 *
 * Twilio takes no idempotency key on message creation, so an in-doubt send is looked up in the
 * account's message list (`GET …/Messages.json?To=&From=`, newest first): the send's message is the
 * one to the same number, from our number, with exactly the text recorded at the intent, created
 * at or after the intent (less clock skew), and not already the message of another send in the
 * ledger. Two sends of the same text to one number from two decisions stay apart because the
 * ledger hands out each message id once. The status callback URL carries the send's id as well,
 * for a status to be linked to its send when it arrives first.
 */
export class TwilioSmsSender implements MessageSender {
  readonly provider = 'twilio';
  readonly channel = 'sms' as const;
  readonly endpoint: string;

  constructor(private readonly o: TwilioSmsSenderOptions) {
    this.endpoint = o.from;
  }

  private get messagesUrl(): string {
    return `${this.o.baseUrl.replace(/\/$/, '')}/2010-04-01/Accounts/${encodeURIComponent(this.o.accountSid)}/Messages.json`;
  }

  private get authorization(): string {
    return `Basic ${Buffer.from(`${this.o.accountSid}:${this.o.authToken}`).toString('base64')}`;
  }

  async send(message: OutboundMessage): Promise<ProviderSendOutcome> {
    const form = new URLSearchParams({ To: message.to.value, Body: message.body });
    if (this.o.from.startsWith('MG')) form.set('MessagingServiceSid', this.o.from);
    else form.set('From', this.o.from);
    if (this.o.statusCallbackUrl) {
      const callback = new URL(this.o.statusCallbackUrl);
      callback.searchParams.set('hubSendId', message.sendId);
      form.set('StatusCallback', callback.href);
    }
    let response: Response;
    try {
      response = await fetch(this.messagesUrl, {
        method: 'POST',
        headers: { authorization: this.authorization, 'content-type': 'application/x-www-form-urlencoded' },
        body: form.toString(),
        signal: AbortSignal.timeout(this.o.timeoutMs),
      });
    } catch (err) {
      return transportOutcome(err);
    }
    const text = await response.text().catch(() => '');
    const body = parseJson(text);
    if (response.status === 201 || response.status === 200) {
      const sid = typeof body?.['sid'] === 'string' ? body['sid'] : undefined;
      // Taken, but without an id we cannot link: a lookup finds it.
      if (!sid) return { kind: 'unknown', code: 'TWILIO_NO_SID', message: `HTTP ${response.status} without a sid` };
      return { kind: 'accepted', providerMessageId: sid };
    }
    const code = body?.['code'] !== undefined ? String(body['code']) : `HTTP_${response.status}`;
    const msg = typeof body?.['message'] === 'string' ? body['message'] : text.slice(0, 200);
    if (response.status === 429 || RETRY_LATER_CODES.has(code)) return { kind: 'retry_later', code, message: msg };
    // A 5xx may come after Twilio created the message: in doubt, never sent again blind.
    if (response.status >= 500) return { kind: 'unknown', code, message: msg };
    return { kind: 'rejected', code, message: msg };
  }

  async lookup(query: SendLookup): Promise<ProviderLookupOutcome> {
    const url = new URL(this.messagesUrl);
    url.searchParams.set('To', query.to.value);
    if (!this.o.from.startsWith('MG')) url.searchParams.set('From', this.o.from);
    url.searchParams.set('PageSize', '50');
    let response: Response;
    try {
      response = await fetch(url, { headers: { authorization: this.authorization }, signal: AbortSignal.timeout(this.o.timeoutMs) });
    } catch (err) {
      return { kind: 'unavailable', message: (err as Error).message };
    }
    if (response.status !== 200) return { kind: 'unavailable', message: `HTTP ${response.status}` };
    const body = parseJson(await response.text().catch(() => ''));
    const messages = Array.isArray(body?.['messages']) ? (body['messages'] as TwilioMessage[]) : undefined;
    if (!messages) return { kind: 'unavailable', message: 'no messages list in the answer' };
    const since = Date.parse(query.intentAt) - CLOCK_SKEW_MS;
    const candidates = messages.filter(
      (m) =>
        typeof m.sid === 'string' &&
        m.to === query.to.value &&
        m.body === query.body &&
        (m.date_created === undefined || !(Date.parse(m.date_created) < since)),
    );
    const claimed = await query.isClaimed(candidates.map((m) => m.sid));
    // Oldest first: the list is newest first, and an earlier unclaimed match is the earlier send.
    const mine = candidates.reverse().find((m) => !claimed.has(m.sid));
    return mine ? { kind: 'found', providerMessageId: mine.sid } : { kind: 'absent' };
  }
}

/** A request that failed before an answer: refused connections sent nothing; anything later may have. */
function transportOutcome(err: unknown): ProviderSendOutcome {
  const cause = (err as { cause?: { code?: string } }).cause;
  const code = cause?.code ?? (err as Error).name;
  const message = (err as Error).message;
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EAI_AGAIN') return { kind: 'retry_later', code, message };
  return { kind: 'unknown', code, message };
}

function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    const v = JSON.parse(text) as unknown;
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
