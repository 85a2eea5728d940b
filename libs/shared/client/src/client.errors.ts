import { HubError, type ApiErrorBody } from '@hub/contracts';

/**
 * The generic API refused the request and sending it again unchanged cannot help: a 4xx other than
 * 429 (an invalid event, a tenant or source the key does not open, a missing or wrong key, a body
 * too large). Carries the API's one error shape: `error` (its stable code), `message`, and every
 * problem found (`problems[{path, code, message}]`).
 */
export class HubApiError extends HubError {
  readonly code = 'HUB_API_REFUSED';
  readonly retryable = false;
  /** The API's own code (`invalid_event`, `unauthorized`, `payload_too_large`, …). */
  readonly error: string;
  readonly problems: ApiErrorBody['problems'];

  constructor(
    readonly status: number,
    readonly body: ApiErrorBody,
    readonly path: string,
  ) {
    super(`${path} refused with ${status} ${body.error}: ${body.message}`);
    this.error = body.error;
    this.problems = body.problems;
  }
}

/**
 * The API did not take the request within the client's bounded attempts: it kept answering 429 or
 * 5xx, asked to wait longer than the client may (`Retry-After` over `maxRetryAfterMs`), or could not
 * be reached. Nothing of the last attempt is known to be accepted; the same call may succeed later
 * (event ids make a resend the same event).
 */
export class HubApiUnavailableError extends HubError {
  readonly code = 'HUB_API_UNAVAILABLE';
  readonly retryable = true;

  constructor(
    readonly path: string,
    readonly attempts: number,
    /** The last answer, when there was one (0: no answer, see `cause`). */
    readonly status: number,
    readonly body: ApiErrorBody | undefined,
    /** What the API last asked to wait, when it said. */
    readonly retryAfterMs: number | undefined,
    options?: { cause?: unknown },
  ) {
    super(
      `${path} not accepted after ${attempts} attempt(s): ${status === 0 ? `no answer (${String(options?.cause)})` : `${status} ${body?.error ?? ''}`}`,
      options,
    );
  }
}

/** The client was given options it cannot work with (no base URL, an empty or malformed key). */
export class HubClientConfigError extends HubError {
  readonly code = 'HUB_CLIENT_CONFIG';
  readonly retryable = false;
}
