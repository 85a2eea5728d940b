import type { ApiErrorBody, ApiProblem, FieldError } from '@hub/contracts';

/**
 * One thing wrong with a request, and the one body of every refusal of the generic API (4xx, and
 * 503): `{error, message, problems[{path, code, message}]}`, details beside them. The shapes are
 * the contract's (`ApiProblem`, `ApiErrorBody` in @hub/contracts), which @hub/client reads.
 */
export type Problem = ApiProblem;
export type { ApiErrorBody };

export function apiError(
  error: string,
  message: string,
  problems: readonly Problem[] = [],
  details: Record<string, unknown> = {},
): ApiErrorBody {
  return { ...details, error, message, problems: [...problems] };
}

/** Field errors as problems: one per message, each with its check's code (`fallback` where it has none). */
export function problemsOf(errors: readonly FieldError[], fallback: string): Problem[] {
  return errors.flatMap((e) => e.messages.map((message, i) => ({ path: e.field, code: e.codes?.[i] ?? fallback, message })));
}

/** A request-level problem (no field at fault). */
export function requestProblem(code: string, message: string): Problem {
  return { path: '(request)', code, message };
}

/** What the rejection codes of one event say, for `message`. */
export const REJECTION_MESSAGES: Readonly<Record<string, string>> = {
  invalid_json: 'the event is not a JSON document the API accepts',
  event_too_large: 'the event is larger than INGEST_MAX_EVENT_BYTES',
  invalid_event: 'the event is not valid: see problems (every one found)',
  tenant_mismatch: "the event names a tenant other than the API key's",
  source_mismatch: "the event names a source other than the API key's",
  tenant_not_allowed: 'the tenant may not send on the raw topic',
};

/** 413: the body is over INGEST_MAX_BODY_BYTES (declared, or once decoded). */
export function payloadTooLarge(limitBytes: number): ApiErrorBody {
  return apiError(
    'payload_too_large',
    `the body is larger than ${limitBytes} bytes (INGEST_MAX_BODY_BYTES)`,
    [requestProblem('payload_too_large', `is more than ${limitBytes} bytes`)],
    { limitBytes },
  );
}

/** The code of a refusal the framework answers itself, by its status. */
export const FRAMEWORK_ERROR_CODES: Readonly<Record<number, string>> = {
  400: 'bad_request',
  404: 'not_found',
  405: 'method_not_allowed',
  408: 'request_timeout',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
};
