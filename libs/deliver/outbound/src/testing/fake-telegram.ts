import type { ServerResponse } from 'node:http';
import { JsonStandIn, type StandInRequest } from './json-stand-in';

export type FakeTelegramRequest = StandInRequest;

/** What the fake answers the next `sendMessage`. */
export type FakeTelegramBehaviour = { kind: 'accept' } | { kind: 'fail'; status: number; description: string };

/** A local stand-in for Telegram's Bot API `sendMessage` on 127.0.0.1: records each request, answers as told. */
export class FakeTelegram extends JsonStandIn<FakeTelegramBehaviour> {
  private messageId = 0;

  static start(): Promise<FakeTelegram> {
    return new FakeTelegram().listen();
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
