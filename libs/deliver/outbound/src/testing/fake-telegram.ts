import type { ServerResponse } from 'node:http';
import { JsonStandIn, type StandInRequest } from './json-stand-in';

export type FakeTelegramRequest = StandInRequest;

/** What the fake answers the next `sendMessage`. */
export type FakeTelegramBehaviour = { kind: 'accept' } | { kind: 'fail'; status: number; description: string };

/** What the Bot API's `sendMessage` refuses of a body (the limits of its reference), or undefined. */
export function telegramMessageProblem(body: Record<string, unknown>): string | undefined {
  const chat = body['chat_id'];
  if (!(typeof chat === 'number' || (typeof chat === 'string' && chat !== ''))) return 'chat_id is empty';
  const t = body['text'];
  if (typeof t !== 'string' || t.length === 0) return 'message text is empty';
  if (t.length > 4096) return 'message is too long';
  const markup = body['reply_markup'] as { inline_keyboard?: unknown } | undefined;
  if (markup === undefined) return undefined;
  const rows = markup.inline_keyboard;
  if (!Array.isArray(rows) || !rows.every(Array.isArray))
    return 'field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays';
  const buttons = (rows as { text?: unknown; callback_data?: unknown; url?: unknown }[][]).flat();
  for (const b of buttons) {
    if (typeof b.text !== 'string' || b.text === '') return 'text buttons are unallowed in the inline keyboard';
    if (b.callback_data !== undefined && (typeof b.callback_data !== 'string' || Buffer.byteLength(b.callback_data) > 64))
      return 'BUTTON_DATA_INVALID';
  }
  return undefined;
}

/** A local stand-in for Telegram's Bot API `sendMessage` on 127.0.0.1: records each request, answers as told. */
export class FakeTelegram extends JsonStandIn<FakeTelegramBehaviour> {
  private messageId = 0;

  private constructor(private readonly botToken: string) {
    super();
  }

  /** Answers `POST /bot{botToken}/sendMessage`: Telegram's 401 for another token, 400 for a body it refuses. */
  static start(botToken: string): Promise<FakeTelegram> {
    return new FakeTelegram(botToken).listen();
  }

  protected refuse(request: FakeTelegramRequest): { status: number; body: unknown } | undefined {
    const m = /^\/bot([^/]+)\/sendMessage$/.exec(request.path);
    if (!m) return { status: 404, body: { ok: false, error_code: 404, description: 'Not Found' } };
    if (decodeURIComponent(m[1]!) !== this.botToken)
      return { status: 401, body: { ok: false, error_code: 401, description: 'Unauthorized' } };
    const problem = telegramMessageProblem(request.body);
    return problem === undefined
      ? undefined
      : { status: 400, body: { ok: false, error_code: 400, description: `Bad Request: ${problem}` } };
  }

  protected answer(res: ServerResponse, body: Record<string, unknown>, behaviour: FakeTelegramBehaviour | undefined): void {
    res.setHeader('content-type', 'application/json');
    if (behaviour?.kind === 'fail') {
      res.writeHead(behaviour.status).end(JSON.stringify({ ok: false, error_code: behaviour.status, description: behaviour.description }));
      return;
    }
    const chatId = Number(body['chat_id']);
    res
      .writeHead(200)
      .end(JSON.stringify({ ok: true, result: { message_id: ++this.messageId, chat: { id: chatId }, text: body['text'] } }));
  }
}
