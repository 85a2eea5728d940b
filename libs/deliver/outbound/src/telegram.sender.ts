import type { MessageSender, OutboundMessage } from './message-sender.port';
import type { ProviderLookupOutcome, ProviderSendOutcome } from './outbound-send';

export interface TelegramSenderOptions {
  /** `https://api.telegram.org` in production; a local fake in tests. */
  baseUrl: string;
  botToken: string;
  /** One request's deadline: past it the send is in doubt. */
  timeoutMs: number;
}

/** Telegram's answer (`{ ok, result }` or `{ ok: false, error_code, description, parameters }`). */
interface TelegramAnswer {
  ok?: boolean;
  result?: { message_id?: number; chat?: { id?: number | string } };
  error_code?: number;
  description?: string;
  parameters?: { retry_after?: number };
}

/**
 * Telegram's Bot API `sendMessage` to the customer's chat (the handle in the `telegram` namespace is
 * the user id, which is their private chat's id), with the action's reply buttons as an inline
 * keyboard (each button's `callback_data` its id: the callback query the hub ingests carries it as
 * `interactive.id`). The message id recorded is `<chat id>:<message_id>`, as the ingestion adapter
 * names Telegram messages.
 *
 * The Bot API takes no idempotency key and cannot list or find a sent message, so an in-doubt send
 * cannot be looked up: `lookup` answers `unsupported` and the send is parked for a person, never
 * sent again blind.
 */
export class TelegramSender implements MessageSender {
  readonly provider = 'telegram';
  readonly channel = 'telegram' as const;

  constructor(private readonly o: TelegramSenderOptions) {}

  async send(message: OutboundMessage): Promise<ProviderSendOutcome> {
    const body: Record<string, unknown> = { chat_id: message.to.value, text: message.body };
    if (message.buttons && message.buttons.length > 0) {
      // One row per button up to three, else rows of three (a 1–5 score fits one row).
      const perRow = message.buttons.length <= 5 ? message.buttons.length : 3;
      const rows: { text: string; callback_data: string }[][] = [];
      message.buttons.forEach((b, i) => {
        if (i % perRow === 0) rows.push([]);
        rows.at(-1)!.push({ text: b.title, callback_data: b.id.slice(0, 64) });
      });
      body['reply_markup'] = { inline_keyboard: rows };
    }
    let response: Response;
    try {
      response = await fetch(`${this.o.baseUrl.replace(/\/$/, '')}/bot${this.o.botToken}/sendMessage`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(this.o.timeoutMs),
      });
    } catch (err) {
      const code = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).name;
      const msg = (err as Error).message;
      return code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EAI_AGAIN'
        ? { kind: 'retry_later', code, message: msg }
        : { kind: 'unknown', code, message: msg };
    }
    let answer: TelegramAnswer | undefined;
    try {
      answer = (await response.json()) as TelegramAnswer;
    } catch {
      answer = undefined;
    }
    if (response.ok && answer?.ok === true) {
      const id = answer.result?.message_id;
      const chat = answer.result?.chat?.id ?? message.to.value;
      if (id === undefined) return { kind: 'unknown', code: 'TELEGRAM_NO_MESSAGE_ID', message: 'ok without a message_id' };
      return { kind: 'accepted', providerMessageId: `${chat}:${id}` };
    }
    const code = String(answer?.error_code ?? `HTTP_${response.status}`);
    const description = answer?.description ?? `HTTP ${response.status}`;
    if (response.status === 429) return { kind: 'retry_later', code, message: description };
    if (response.status >= 500) return { kind: 'unknown', code, message: description };
    // 400 (chat not found, bad request), 403 (the bot was blocked by the user): refused for good.
    return { kind: 'rejected', code, message: description };
  }

  async lookup(): Promise<ProviderLookupOutcome> {
    return { kind: 'unsupported' };
  }
}
