import type { ServerResponse } from 'node:http';
import { JsonStandIn, type StandInRequest } from './json-stand-in';

export type FakeSendGridRequest = StandInRequest;

export type FakeSendGridBehaviour = { kind: 'accept' } | { kind: 'fail'; status: number; message: string };

/** A local stand-in for SendGrid's `POST /v3/mail/send` on 127.0.0.1: 202 with `X-Message-Id`, or an error as told. */
export class FakeSendGrid extends JsonStandIn<FakeSendGridBehaviour> {
  private sequence = 0;

  static start(): Promise<FakeSendGrid> {
    return new FakeSendGrid().listen();
  }

  protected answer(res: ServerResponse, _body: Record<string, unknown>, behaviour: FakeSendGridBehaviour | undefined): void {
    if (behaviour?.kind === 'fail') {
      res
        .writeHead(behaviour.status, { 'content-type': 'application/json' })
        .end(JSON.stringify({ errors: [{ message: behaviour.message }] }));
      return;
    }
    res.writeHead(202, { 'x-message-id': `sg${(++this.sequence).toString(16).padStart(16, '0')}` }).end();
  }
}
