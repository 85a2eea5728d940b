import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeTelegramRequest {
  path: string;
  body: Record<string, unknown>;
}

/** What the fake answers the next `sendMessage`. */
export type FakeTelegramBehaviour = { kind: 'accept' } | { kind: 'fail'; status: number; description: string };

/** A local stand-in for Telegram's Bot API `sendMessage` on 127.0.0.1: records each request, answers as told. */
export class FakeTelegram {
  readonly requests: FakeTelegramRequest[] = [];
  private readonly plan: FakeTelegramBehaviour[] = [];
  private messageId = 0;

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<FakeTelegram> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const fake = new FakeTelegram(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => void fake.handle(req, res));
    return fake;
  }

  next(...behaviours: FakeTelegramBehaviour[]): void {
    this.plan.push(...behaviours);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
    this.requests.push({ path: req.url ?? '', body });
    const behaviour = this.plan.shift() ?? { kind: 'accept' };
    res.setHeader('content-type', 'application/json');
    if (behaviour.kind === 'fail') {
      res.writeHead(behaviour.status).end(JSON.stringify({ ok: false, error_code: behaviour.status, description: behaviour.description }));
      return;
    }
    const chatId = Number(body['chat_id']);
    res
      .writeHead(200)
      .end(JSON.stringify({ ok: true, result: { message_id: ++this.messageId, chat: { id: chatId }, text: body['text'] } }));
  }
}
