import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeWhatsAppRequest {
  path: string;
  authorization?: string;
  body: Record<string, unknown>;
}

/** What the fake answers the next message: accept, or a Graph API error. */
export type FakeWhatsAppBehaviour = { kind: 'accept' } | { kind: 'fail'; status: number; code: number; message: string };

/** A local stand-in for the WhatsApp Cloud API's `/{version}/{phone-number-id}/messages` on 127.0.0.1. */
export class FakeWhatsApp {
  readonly requests: FakeWhatsAppRequest[] = [];
  private readonly plan: FakeWhatsAppBehaviour[] = [];
  private sequence = 0;

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<FakeWhatsApp> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const fake = new FakeWhatsApp(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => void fake.handle(req, res));
    return fake;
  }

  next(...behaviours: FakeWhatsAppBehaviour[]): void {
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
    res.setHeader('content-type', 'application/json');
    if (behaviour.kind === 'fail') {
      res
        .writeHead(behaviour.status)
        .end(JSON.stringify({ error: { code: behaviour.code, message: behaviour.message, type: 'OAuthException' } }));
      return;
    }
    const id = `wamid.${(++this.sequence).toString(16).padStart(12, '0')}`;
    res
      .writeHead(200)
      .end(JSON.stringify({ messaging_product: 'whatsapp', contacts: [{ input: body['to'], wa_id: body['to'] }], messages: [{ id }] }));
  }
}
