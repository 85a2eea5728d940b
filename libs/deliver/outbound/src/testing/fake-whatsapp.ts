import type { ServerResponse } from 'node:http';
import { JsonStandIn, type StandInRequest } from './json-stand-in';

export type FakeWhatsAppRequest = StandInRequest;

/** What the fake answers the next message: accept, or a Graph API error. */
export type FakeWhatsAppBehaviour = { kind: 'accept' } | { kind: 'fail'; status: number; code: number; message: string };

/** A local stand-in for the WhatsApp Cloud API's `/{version}/{phone-number-id}/messages` on 127.0.0.1. */
export class FakeWhatsApp extends JsonStandIn<FakeWhatsAppBehaviour> {
  private sequence = 0;
  private readonly answered = new WeakMap<Record<string, unknown>, string>();

  static start(): Promise<FakeWhatsApp> {
    return new FakeWhatsApp().listen();
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
