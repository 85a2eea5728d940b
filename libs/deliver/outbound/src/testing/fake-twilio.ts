import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** What the fake does with the next message-creation request. */
export type FakeTwilioBehaviour =
  | { kind: 'accept' }
  /** Keep the answer back until `release()`; `create`: the message exists meanwhile (Twilio took it), or not (the request was lost). */
  | { kind: 'hold'; create: boolean }
  | { kind: 'fail'; status: number; code: number; message: string };

export interface FakeTwilioMessage {
  sid: string;
  account_sid: string;
  to: string;
  from: string;
  body: string;
  status: 'queued';
  date_created: string;
  status_callback?: string;
}

/** The account whose credentials the fake checks. */
export interface FakeTwilioAccount {
  accountSid: string;
  authToken: string;
}

export interface FakeTwilioRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  form: Record<string, string>;
  authorization?: string;
}

/**
 * A local stand-in for Twilio's Messages API on 127.0.0.1 (node:http): creates messages, lists them
 * newest first (`To`/`From` filters), records every request, and can fail or hold an answer back
 * on request — a test's provider that "hangs" while the process under test is killed.
 */
export class FakeTwilio {
  readonly requests: FakeTwilioRequest[] = [];
  /** The requests Twilio would have refused (a wrong credential or a missing parameter), with the answer given. */
  readonly refused: { request: FakeTwilioRequest; status: number; body: unknown }[] = [];
  readonly messages: FakeTwilioMessage[] = [];
  private readonly plan: FakeTwilioBehaviour[] = [];
  private readonly held: { res: ServerResponse; message: FakeTwilioMessage | undefined }[] = [];
  private readonly sockets = new Set<Socket>();
  private sequence = 0;

  private constructor(
    private readonly server: Server,
    readonly url: string,
    private readonly account: FakeTwilioAccount,
  ) {}

  /** Serves the account's Messages resource, checking HTTP Basic auth with its SID and auth token as Twilio does. */
  static async start(account: FakeTwilioAccount): Promise<FakeTwilio> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const fake = new FakeTwilio(server, `http://127.0.0.1:${port}`, account);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => void fake.handle(req, res));
    server.on('connection', (s: Socket) => {
      fake.sockets.add(s);
      s.once('close', () => fake.sockets.delete(s));
    });
    return fake;
  }

  /** The behaviours of the next creation requests, in order (then `accept`). */
  next(...behaviours: FakeTwilioBehaviour[]): void {
    this.plan.push(...behaviours);
  }

  /** Creation requests received (whatever became of them). */
  get posts(): FakeTwilioRequest[] {
    return this.requests.filter((r) => r.method === 'POST');
  }

  get heldCount(): number {
    return this.held.length;
  }

  /** Answer every held request: 201 with the message it created, or a dropped connection for one it did not. */
  release(): void {
    for (const { res, message } of this.held.splice(0)) {
      if (res.destroyed) continue;
      if (message) json(res, 201, message);
      else res.destroy();
    }
  }

  async close(): Promise<void> {
    this.release();
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const url = new URL(req.url ?? '/', this.url);
    const form = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
    const m = /^\/2010-04-01\/Accounts\/([^/]+)\/Messages\.json$/.exec(url.pathname);
    this.requests.push({
      method: req.method ?? '',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      form,
      ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
    });
    if (!m) return json(res, 404, { code: 20404, message: 'not found', status: 404 });
    const account = decodeURIComponent(m[1]!);
    const refused = this.refuse(req.method ?? '', account, req.headers.authorization, form);
    if (refused) {
      this.refused.push({ request: this.requests.at(-1)!, ...refused });
      return json(res, refused.status, refused.body);
    }
    if (req.method === 'GET') {
      const to = url.searchParams.get('To');
      const from = url.searchParams.get('From');
      const list = this.messages.filter((x) => (!to || x.to === to) && (!from || x.from === from)).reverse();
      return json(res, 200, { messages: list, page: 0, page_size: 50 });
    }
    if (req.method !== 'POST') return json(res, 405, { code: 20004, message: 'method not allowed', status: 405 });
    const behaviour = this.plan.shift() ?? { kind: 'accept' };
    if (behaviour.kind === 'fail')
      return json(res, behaviour.status, { code: behaviour.code, message: behaviour.message, status: behaviour.status });
    const create = behaviour.kind === 'accept' || behaviour.create;
    const message = create ? this.create(account, form) : undefined;
    if (behaviour.kind === 'hold') {
      this.held.push({ res, message });
      return;
    }
    json(res, 201, message);
  }

  /** What Twilio answers instead: 401 for other credentials, 404 for another account's path, 400 for a missing parameter. */
  private refuse(method: string, account: string, authorization: string | undefined, form: Record<string, string>) {
    const expected = `Basic ${Buffer.from(`${this.account.accountSid}:${this.account.authToken}`).toString('base64')}`;
    const error = (status: number, code: number, message: string) => ({
      status,
      body: { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status },
    });
    if (authorization !== expected) return error(401, 20003, 'Authenticate');
    if (account !== this.account.accountSid)
      return error(404, 20404, `The requested resource /2010-04-01/Accounts/${account}/Messages.json was not found`);
    if (method !== 'POST') return undefined;
    if (!form['To']) return error(400, 21604, "A 'To' phone number is required.");
    if (!form['From'] && !form['MessagingServiceSid']) return error(400, 21603, "A 'From' phone number is required.");
    if (!form['Body'] && !form['MediaUrl'] && !form['ContentSid']) return error(400, 21602, 'Message body is required.');
    return undefined;
  }

  private create(account: string, form: Record<string, string>): FakeTwilioMessage {
    const sid = `SM${(++this.sequence).toString(16).padStart(32, '0')}`;
    const message: FakeTwilioMessage = {
      sid,
      account_sid: account,
      to: form['To'] ?? '',
      from: form['From'] ?? form['MessagingServiceSid'] ?? '',
      body: form['Body'] ?? '',
      status: 'queued',
      date_created: new Date().toUTCString(),
      ...(form['StatusCallback'] ? { status_callback: form['StatusCallback'] } : {}),
    };
    this.messages.push(message);
    return message;
  }
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
