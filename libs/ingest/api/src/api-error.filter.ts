import { Catch, HttpException, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { apiError, FRAMEWORK_ERROR_CODES, payloadTooLarge, requestProblem } from './api-error';

/**
 * Refusals the framework answers itself — an unknown route (404), a Content-Type no parser takes
 * (Fastify's 415), a chunked body over the limit (Fastify's 413) — in the API's one error shape
 * rather than Nest's `{ statusCode, message }`. The handlers answer their own refusals; anything
 * that is not an `HttpException` is a bug, and stays Nest's 500.
 */
@Catch(HttpException)
export class ApiErrorFilter implements ExceptionFilter {
  /** `maxBodyBytes`: INGEST_MAX_BODY_BYTES, named in a 413 as the API's own 413s name it. */
  constructor(private readonly maxBodyBytes: number) {}

  catch(exception: HttpException, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const status = exception.getStatus();
    if (status === 413) {
      void reply.code(413).send(payloadTooLarge(this.maxBodyBytes));
      return;
    }
    const code = FRAMEWORK_ERROR_CODES[status] ?? (status >= 500 ? 'internal_error' : 'bad_request');
    const message =
      status === 415
        ? `send application/json, or application/x-ndjson (one event per line) to /v1/events: ${exception.message}`
        : exception.message;
    void reply.code(status).send(apiError(code, message, [requestProblem(code, exception.message)]));
  }
}
