import type { MessageSender, OutboundMessage } from './message-sender.port';
import type { ProviderLookupOutcome, ProviderSendOutcome } from './outbound-send';

export interface WhatsAppCloudSenderOptions {
  /** `https://graph.facebook.com` in production; a local fake in tests. */
  baseUrl: string;
  /** The Graph API version (`v21.0`). */
  apiVersion: string;
  /** The business phone number's id (not the number): messages go out from it. */
  phoneNumberId: string;
  accessToken: string;
  timeoutMs: number;
}

interface GraphAnswer {
  messages?: { id?: string }[];
  error?: { code?: number; error_subcode?: number; message?: string };
}

/** Cloud API codes that say "not now" (throughput and pair rate limits): nothing was sent. */
const RETRY_LATER_CODES = new Set([4, 80007, 130429, 131056]);

/**
 * WhatsApp Cloud API, `POST /{version}/{phone-number-id}/messages`. Within the customer-service
 * window (`message.serviceWindow: 'open'`) the action's text, with its reply buttons as interactive
 * reply buttons (up to three) or a list (up to ten); outside it, only the approved template the
 * send names (the re-check skips a send with none). The message id recorded is the `wamid` the
 * status webhooks the hub ingests name.
 *
 * The Cloud API takes no idempotency key and cannot look a sent message up, so an in-doubt send is
 * parked for a person (`lookup` answers `unsupported`), never sent again blind.
 */
export class WhatsAppCloudSender implements MessageSender {
  readonly provider = 'whatsapp-cloud';
  readonly channel = 'whatsapp' as const;
  readonly endpoint: string;

  constructor(private readonly o: WhatsAppCloudSenderOptions) {
    this.endpoint = o.phoneNumberId;
  }

  /** The request body for one message (exported for its spec through the class). */
  static payload(message: OutboundMessage): Record<string, unknown> {
    const to = message.to.value.replace(/^\+/, '');
    const base = { messaging_product: 'whatsapp', recipient_type: 'individual', to };
    if (message.serviceWindow === 'closed') {
      if (!message.template) throw new Error('a WhatsApp message outside the service window needs an approved template');
      return { ...base, type: 'template', template: { name: message.template.name, language: { code: message.template.language } } };
    }
    const buttons = message.buttons ?? [];
    if (buttons.length === 0) return { ...base, type: 'text', text: { body: message.body, preview_url: false } };
    if (buttons.length <= 3) {
      return {
        ...base,
        type: 'interactive',
        interactive: {
          type: 'button',
          body: { text: message.body },
          action: { buttons: buttons.map((b) => ({ type: 'reply', reply: { id: b.id, title: b.title.slice(0, 20) } })) },
        },
      };
    }
    return {
      ...base,
      type: 'interactive',
      interactive: {
        type: 'list',
        body: { text: message.body },
        action: {
          button: 'Choose',
          sections: [{ title: 'Options', rows: buttons.slice(0, 10).map((b) => ({ id: b.id, title: b.title.slice(0, 24) })) }],
        },
      },
    };
  }

  async send(message: OutboundMessage): Promise<ProviderSendOutcome> {
    let response: Response;
    try {
      response = await fetch(
        `${this.o.baseUrl.replace(/\/$/, '')}/${this.o.apiVersion}/${encodeURIComponent(this.o.phoneNumberId)}/messages`,
        {
          method: 'POST',
          headers: { authorization: `Bearer ${this.o.accessToken}`, 'content-type': 'application/json' },
          body: JSON.stringify(WhatsAppCloudSender.payload(message)),
          signal: AbortSignal.timeout(this.o.timeoutMs),
        },
      );
    } catch (err) {
      const code = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).name;
      const msg = (err as Error).message;
      return code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EAI_AGAIN'
        ? { kind: 'retry_later', code, message: msg }
        : { kind: 'unknown', code, message: msg };
    }
    let answer: GraphAnswer | undefined;
    try {
      answer = (await response.json()) as GraphAnswer;
    } catch {
      answer = undefined;
    }
    const id = answer?.messages?.[0]?.id;
    if (response.ok && id) return { kind: 'accepted', providerMessageId: id };
    if (response.ok) return { kind: 'unknown', code: 'WHATSAPP_NO_MESSAGE_ID', message: `HTTP ${response.status} without a message id` };
    const code = answer?.error?.code;
    const codeText = code !== undefined ? String(code) : `HTTP_${response.status}`;
    const msg = answer?.error?.message ?? `HTTP ${response.status}`;
    if (response.status === 429 || (code !== undefined && RETRY_LATER_CODES.has(code)))
      return { kind: 'retry_later', code: codeText, message: msg };
    if (response.status >= 500) return { kind: 'unknown', code: codeText, message: msg };
    // 131047 (outside the window: re-engagement), 131026 (not a WhatsApp user), 132000+ (template problems), …
    return { kind: 'rejected', code: codeText, message: msg };
  }

  async lookup(): Promise<ProviderLookupOutcome> {
    return { kind: 'unsupported' };
  }
}
