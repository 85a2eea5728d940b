import type { ServerResponse } from 'node:http';
import { JsonStandIn, type StandInRequest } from './json-stand-in';

export type FakeSendGridRequest = StandInRequest;

export type FakeSendGridBehaviour = { kind: 'accept' } | { kind: 'fail'; status: number; message: string };

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** What SendGrid's v3 Mail Send refuses of a body (its required fields), or undefined. */
export function sendGridMailProblem(body: Record<string, unknown>): { message: string; field: string } | undefined {
  const personalizations = body['personalizations'] as { to?: { email?: unknown }[] }[] | undefined;
  if (!Array.isArray(personalizations) || personalizations.length === 0)
    return { message: 'The personalizations field is required and must have at least one personalization.', field: 'personalizations' };
  if (
    !personalizations.every(
      (p) => Array.isArray(p.to) && p.to.length > 0 && p.to.every((t) => typeof t.email === 'string' && EMAIL.test(t.email)),
    )
  )
    return { message: 'Each personalization needs a to array of valid email addresses.', field: 'personalizations.0.to' };
  const from = body['from'] as { email?: unknown } | undefined;
  if (typeof from?.email !== 'string' || !EMAIL.test(from.email))
    return { message: 'The from object must be provided for every email send.', field: 'from' };
  if (typeof body['subject'] !== 'string' || body['subject'] === '') return { message: 'The subject is required.', field: 'subject' };
  const content = body['content'] as { type?: unknown; value?: unknown }[] | undefined;
  if (
    !Array.isArray(content) ||
    content.length === 0 ||
    !content.every((c) => typeof c.type === 'string' && typeof c.value === 'string' && c.value !== '')
  )
    return { message: 'Unless a valid template_id is provided, the content parameter is required.', field: 'content' };
  return undefined;
}

/** A local stand-in for SendGrid's `POST /v3/mail/send` on 127.0.0.1: 202 with `X-Message-Id`, or an error as told. */
export class FakeSendGrid extends JsonStandIn<FakeSendGridBehaviour> {
  private sequence = 0;

  private constructor(private readonly apiKey: string) {
    super();
  }

  /** Answers `POST /v3/mail/send` with `Authorization: Bearer {apiKey}`: 401 for another key, 400 for a body SendGrid refuses. */
  static start(apiKey: string): Promise<FakeSendGrid> {
    return new FakeSendGrid(apiKey).listen();
  }

  protected refuse(request: FakeSendGridRequest): { status: number; body: unknown } | undefined {
    const errors = (message: string, field: string | null = null) => ({ errors: [{ message, field, help: null }] });
    if (request.path !== '/v3/mail/send') return { status: 404, body: errors('Not Found') };
    if (request.authorization !== `Bearer ${this.apiKey}`)
      return { status: 401, body: errors('The provided authorization grant is invalid, expired, or revoked') };
    const problem = sendGridMailProblem(request.body);
    return problem === undefined ? undefined : { status: 400, body: errors(problem.message, problem.field) };
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
