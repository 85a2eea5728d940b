import type { ServerResponse } from 'node:http';
import { JsonStandIn, type StandInRequest } from './json-stand-in';

/** The business phone number's credentials the Cloud API checks. */
export interface FakeWhatsAppAccount {
  phoneNumberId: string;
  accessToken: string;
}

/** A Graph API error, as the Cloud API answers one. */
const graphError = (status: number, code: number, message: string) => ({
  status,
  body: { error: { message, type: 'OAuthException', code, fbtrace_id: 'AbCdEfGhIjK' } },
});
const text = (v: unknown, max: number): boolean => typeof v === 'string' && v.length > 0 && v.length <= max;

/** What the Cloud API's `/messages` refuses of a body (the limits of its reference), or undefined. */
export function whatsAppMessageProblem(body: Record<string, unknown>): string | undefined {
  if (body['messaging_product'] !== 'whatsapp') return 'messaging_product must be whatsapp';
  if (typeof body['to'] !== 'string' || !/^\+?\d{6,15}$/.test(body['to'])) return 'to must be a phone number';
  switch (body['type']) {
    case 'text':
      return text((body['text'] as { body?: unknown } | undefined)?.body, 4096) ? undefined : 'text.body must be 1–4096 characters';
    case 'template': {
      const t = body['template'] as { name?: unknown; language?: { code?: unknown } } | undefined;
      return text(t?.name, 512) && text(t?.language?.code, 15) ? undefined : 'template needs a name and a language code';
    }
    case 'interactive': {
      const i = body['interactive'] as { type?: unknown; body?: { text?: unknown }; action?: Record<string, unknown> } | undefined;
      if (!text(i?.body?.text, 1024)) return 'interactive.body.text must be 1–1024 characters';
      if (i?.type === 'button') {
        const buttons = (i.action?.['buttons'] ?? []) as { type?: unknown; reply?: { id?: unknown; title?: unknown } }[];
        if (!Array.isArray(buttons) || buttons.length < 1 || buttons.length > 3) return 'interactive buttons: 1 to 3';
        const ok = buttons.every((b) => b.type === 'reply' && text(b.reply?.id, 256) && text(b.reply?.title, 20));
        return ok ? undefined : 'each button: type reply, an id of at most 256 and a title of at most 20 characters';
      }
      if (i?.type === 'list') {
        const sections = (i.action?.['sections'] ?? []) as { rows?: { id?: unknown; title?: unknown }[] }[];
        const rows = sections.flatMap((x) => x.rows ?? []);
        if (!text(i.action?.['button'], 20)) return 'interactive list: a button label of at most 20 characters';
        if (rows.length < 1 || rows.length > 10) return 'interactive list: 1 to 10 rows';
        return rows.every((r) => text(r.id, 200) && text(r.title, 24))
          ? undefined
          : 'each row: an id of at most 200, a title of at most 24';
      }
      return 'interactive.type must be button or list';
    }
    default:
      return 'type must be text, template or interactive';
  }
}

export type FakeWhatsAppRequest = StandInRequest;

/** What the fake answers the next message: accept, or a Graph API error. */
export type FakeWhatsAppBehaviour = { kind: 'accept' } | { kind: 'fail'; status: number; code: number; message: string };

/** A local stand-in for the WhatsApp Cloud API's `/{version}/{phone-number-id}/messages` on 127.0.0.1. */
export class FakeWhatsApp extends JsonStandIn<FakeWhatsAppBehaviour> {
  private sequence = 0;
  private readonly answered = new WeakMap<Record<string, unknown>, string>();

  private constructor(private readonly account: FakeWhatsAppAccount) {
    super();
  }

  /** Answers `POST /{version}/{account.phoneNumberId}/messages` with `Authorization: Bearer {account.accessToken}`. */
  static start(account: FakeWhatsAppAccount): Promise<FakeWhatsApp> {
    return new FakeWhatsApp(account).listen();
  }

  protected refuse(request: FakeWhatsAppRequest): { status: number; body: unknown } | undefined {
    const path = /^\/v\d+\.\d+\/([^/]+)\/messages$/.exec(request.path);
    if (!path) return graphError(400, 2500, 'Unknown path components');
    if (request.authorization !== `Bearer ${this.account.accessToken}`)
      return graphError(401, 190, 'Invalid OAuth access token - Cannot parse access token');
    if (path[1] !== this.account.phoneNumberId)
      return graphError(400, 100, `Unsupported post request. Object with ID '${path[1]}' does not exist`);
    const problem = whatsAppMessageProblem(request.body);
    return problem === undefined ? undefined : graphError(400, 100, `(#100) Invalid parameter: ${problem}`);
  }

  /** The message id (`wamid`) the fake answered `request` with; a customer's reply to it names it as its context. */
  wamidOf(request: FakeWhatsAppRequest): string | undefined {
    return this.answered.get(request.body);
  }

  protected answer(res: ServerResponse, body: Record<string, unknown>, behaviour: FakeWhatsAppBehaviour | undefined): void {
    res.setHeader('content-type', 'application/json');
    if (behaviour?.kind === 'fail') {
      res
        .writeHead(behaviour.status)
        .end(JSON.stringify({ error: { code: behaviour.code, message: behaviour.message, type: 'OAuthException' } }));
      return;
    }
    const id = `wamid.${(++this.sequence).toString(16).padStart(12, '0')}`;
    this.answered.set(body, id);
    res
      .writeHead(200)
      .end(JSON.stringify({ messaging_product: 'whatsapp', contacts: [{ input: body['to'], wa_id: body['to'] }], messages: [{ id }] }));
  }
}
