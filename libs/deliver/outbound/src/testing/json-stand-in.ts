import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request a stand-in received: its path, its `Authorization` header if any, its JSON body. */
export interface StandInRequest {
  path: string;
  authorization?: string;
  body: Record<string, unknown>;
}

/**
 * A provider's JSON API stood in for on 127.0.0.1: records every request and answers the next one as
 * planned (`next`), accepting when nothing is planned. A provider's stand-in says only how it answers.
 */
export abstract class JsonStandIn<Behaviour extends { kind: string }> {
  readonly requests: StandInRequest[] = [];
  /** The requests the provider would have refused, with the answer given: a test expects none unless it sends a bad one. */
  readonly refused: { request: StandInRequest; status: number; body: unknown }[] = [];
  url = '';
  private readonly plan: Behaviour[] = [];
  private server: Server | undefined;

  /** Answers one request: `behaviour` is the planned one, undefined to accept. */
  protected abstract answer(res: ServerResponse, body: Record<string, unknown>, behaviour: Behaviour | undefined): void;

  /**
   * What the provider answers a request it refuses whatever was planned — a wrong credential, path or
   * body, as the real API checks them — or undefined to answer it (`answer`).
   */
  protected abstract refuse(request: StandInRequest): { status: number; body: unknown } | undefined;

  protected async listen(): Promise<this> {
    const server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.server = server;
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this;
  }

  next(...behaviours: Behaviour[]): void {
    this.plan.push(...behaviours);
  }

  close(): Promise<void> {
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
    const request: StandInRequest = {
      path: req.url ?? '',
      body,
      ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
    };
    this.requests.push(request);
    const refused = req.method === 'POST' ? this.refuse(request) : { status: 405, body: { error: 'method not allowed' } };
    if (refused) {
      this.refused.push({ request, ...refused });
      res.writeHead(refused.status, { 'content-type': 'application/json' }).end(JSON.stringify(refused.body));
      return;
    }
    this.answer(res, body, this.plan.shift());
  }
}
