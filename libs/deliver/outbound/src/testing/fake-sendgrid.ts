import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeSendGridRequest {
  path: string;
  authorization?: string;
  body: Record<string, unknown>;
}

export type FakeSendGridBehaviour = { kind: 'accept' } | { kind: 'fail'; status: number; message: string };

/** A local stand-in for SendGrid's `POST /v3/mail/send` on 127.0.0.1: 202 with `X-Message-Id`, or an error as told. */
export class FakeSendGrid {
  readonly requests: FakeSendGridRequest[] = [];
  private readonly plan: FakeSendGridBehaviour[] = [];
  private sequence = 0;

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<FakeSendGrid> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const fake = new FakeSendGrid(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => void fake.handle(req, res));
    return fake;
  }

  next(...behaviours: FakeSendGridBehaviour[]): void {
    this.plan.push(...behaviours);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
    this.requests.push({ path: req.url ?? '', body, ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}) });
    const behaviour = this.plan.shift() ?? { kind: 'accept' };
    if (behaviour.kind === 'fail') {
      res
        .writeHead(behaviour.status, { 'content-type': 'application/json' })
        .end(JSON.stringify({ errors: [{ message: behaviour.message }] }));
      return;
    }
    res.writeHead(202, { 'x-message-id': `sg${(++this.sequence).toString(16).padStart(16, '0')}` }).end();
  }
}
