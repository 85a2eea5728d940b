import { applyDecorators, Controller, Get, Inject, Post, Query, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { EventPublisher } from '@hub/messaging';
import { METRICS_CONTENT_TYPE, renderMetrics } from '@hub/metrics';
import { answers, HEALTH_PROBES, serverSpan, type DependencyProbe } from '@hub/platform';
import { EventIntakeService, type BatchOutcome, type BusRefusal, type SingleOutcome } from './event-intake.service';
import { apiError, problemsOf, type ApiErrorBody, REJECTION_MESSAGES, requestProblem } from './api-error';
import type { AcceptedResponse, BatchLineResult, BatchResponse, FieldError, IngestApiHealth } from '@hub/contracts';
import { IntakeCounters } from './intake-counters';
import type { SourceKey } from './source-keys';
import {
  ApiBody,
  ApiConsumes,
  ApiErrorBody as ApiErrorBodySchema,
  ApiErrors,
  ApiKeyAuth,
  ApiOkResponse,
  ApiOperation,
  ApiResponse,
  ApiTags,
} from '@hub/platform/openapi';
import {
  AcceptedSchema,
  BatchSchema,
  ConsentSchema,
  ConversationStatusSchema,
  InteractionReceivedInputSchema,
  TraitsSchema,
} from './openapi.schemas';

/** What any /v1 route may refuse (docs/operations.md, "Generic ingest API"). */
const SINGLE_REFUSALS = {
  400: 'Not JSON, or not a valid event: `problems` lists every one found',
  401: 'No API key, or one that is not valid (`WWW-Authenticate: Bearer`)',
  413: 'The body is over INGEST_MAX_BODY_BYTES, or the event over INGEST_MAX_EVENT_BYTES',
  415: 'A Content-Type or Content-Encoding the route does not take',
  429: 'Too many requests from this address or with this key, or ingestion is saturated (`Retry-After`); nothing was accepted',
  503: 'The event bus is unavailable, or the key store cannot be read (its body: `{error, reason}`) (`Retry-After`); nothing was accepted',
} as const;

/** One fact about a platform's customers or conversations, as application/json: 202 once Kafka acknowledged it. */
const FactOperation = (summary: string, body: new () => object): MethodDecorator =>
  applyDecorators(
    ApiOperation({ summary }),
    ApiConsumes(...JSON_MEDIA_TYPES),
    ApiBody({ type: body }),
    ApiResponse({ status: 202, description: 'Kafka acknowledged it', type: AcceptedSchema }),
    ApiErrors(ApiErrorBodySchema, SINGLE_REFUSALS),
  );

export const EVENT_INTAKE = Symbol('EVENT_INTAKE');
export const INTAKE_PUBLISHER = Symbol('INTAKE_PUBLISHER');
export const INTAKE_COUNTERS = Symbol('INTAKE_COUNTERS');
export const RAW_CONSUMER_STATE = Symbol('RAW_CONSUMER_STATE');

/** Bodies the API reads, all as their exact bytes (see `bootstrap-ingest-api`). */
export const JSON_MEDIA_TYPES = ['application/json'] as const;
export const NDJSON_MEDIA_TYPES = ['application/x-ndjson', 'application/ndjson'] as const;

/** A request under /v1 once the API-key hook let it through: the key it presented. */
export type IntakeRequest = FastifyRequest & { ingestCaller?: SourceKey };

function mediaType(req: FastifyRequest): string {
  return (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
}

/**
 * The HTTP edge of the generic API: turns outcomes into status codes, and nothing else.
 * `POST /v1/events` takes one event as `application/json` or a batch as `application/x-ndjson`;
 * `POST /v1/events/batch` takes NDJSON only.
 */
@ApiTags('events')
@ApiKeyAuth()
@Controller('v1/events')
export class EventsController {
  constructor(
    @Inject(EVENT_INTAKE) private readonly intake: EventIntakeService,
    @Inject(INTAKE_COUNTERS) private readonly counters: IntakeCounters,
  ) {}

  @Post()
  @ApiOperation({
    summary: "One canonical event (application/json: 202) or a batch (application/x-ndjson, one event per line: 200 with each line's fate)",
  })
  @ApiConsumes(...JSON_MEDIA_TYPES, ...NDJSON_MEDIA_TYPES)
  @ApiBody({
    type: InteractionReceivedInputSchema,
    description: 'One event, or one per line as NDJSON (`Content-Encoding: gzip` accepted)',
  })
  @ApiResponse({ status: 202, description: 'Kafka acknowledged the event', type: AcceptedSchema })
  @ApiResponse({ status: 200, description: 'A batch read to the end: every line has its final status', type: BatchSchema })
  @ApiErrors(ApiErrorBodySchema, { ...SINGLE_REFUSALS, 403: "The event names a tenant other than the key's" })
  events(@Req() req: IntakeRequest, @Res() reply: FastifyReply): Promise<void> {
    return serverSpan(
      '/v1/events',
      'POST',
      req.headers,
      () => this.submitEvents(req, reply),
      () => reply.statusCode,
    );
  }

  private async submitEvents(req: IntakeRequest, reply: FastifyReply): Promise<void> {
    const caller = req.ingestCaller;
    if (!caller) return this.unauthenticated(reply);
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    if ((NDJSON_MEDIA_TYPES as readonly string[]).includes(mediaType(req)))
      return this.sendBatch(reply, await this.intake.submitBatch(caller, body));
    return this.sendSingle(reply, await this.intake.submitOne(caller, body));
  }

  @Post('batch')
  @ApiOperation({ summary: "A batch of canonical events as NDJSON, one per line: 200 with each line's fate" })
  @ApiConsumes(...NDJSON_MEDIA_TYPES)
  @ApiBody({ type: InteractionReceivedInputSchema, description: 'One event per line (`Content-Encoding: gzip` accepted)' })
  @ApiResponse({ status: 200, description: 'Read to the end: every line has its final status', type: BatchSchema })
  @ApiErrors(ApiErrorBodySchema, {
    ...SINGLE_REFUSALS,
    400: 'The batch holds no event, or its encoding cannot be decoded',
    413: 'The body, or the number of events, is over its limit',
  })
  batch(@Req() req: IntakeRequest, @Res() reply: FastifyReply): Promise<void> {
    return serverSpan(
      '/v1/events/batch',
      'POST',
      req.headers,
      () => this.submitBatch(req, reply),
      () => reply.statusCode,
    );
  }

  private async submitBatch(req: IntakeRequest, reply: FastifyReply): Promise<void> {
    const caller = req.ingestCaller;
    if (!caller) return this.unauthenticated(reply);
    if (!(NDJSON_MEDIA_TYPES as readonly string[]).includes(mediaType(req))) {
      this.counters.inc('http.rejected.unsupported_media_type');
      await reply.code(415).send(unsupportedMediaType(`send ${NDJSON_MEDIA_TYPES[0]}: one event per line`));
      return;
    }
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    return this.sendBatch(reply, await this.intake.submitBatch(caller, body));
  }

  private async sendSingle(reply: FastifyReply, outcome: SingleOutcome): Promise<void> {
    switch (outcome.kind) {
      case 'accepted':
        await reply.code(202).send({
          status: 'accepted',
          eventId: outcome.eventId,
          ...(outcome.clientEventId !== undefined ? { clientEventId: outcome.clientEventId } : {}),
        } satisfies AcceptedResponse);
        return;
      case 'rejected': {
        const status = outcome.code === 'tenant_mismatch' ? 403 : outcome.code === 'event_too_large' ? 413 : 400;
        await reply.code(status).send(rejection(outcome.code, outcome.errors));
        return;
      }
      case 'unavailable':
      case 'saturated':
        return this.sendRefusal(reply, outcome);
      default: {
        const exhaustive: never = outcome;
        throw new Error(`unhandled outcome ${JSON.stringify(exhaustive)}`);
      }
    }
  }

  private async sendBatch(reply: FastifyReply, outcome: BatchOutcome): Promise<void> {
    switch (outcome.kind) {
      case 'processed':
        // Every line has its final status: 200, whatever the mix (207-like, in the body).
        await reply.code(200).send({
          accepted: outcome.accepted,
          invalid: outcome.invalid,
          results: outcome.results.map(
            (r): BatchLineResult =>
              r.status === 'accepted' ? r : { line: r.line, status: r.status, code: r.code, problems: problemsOf(r.errors, r.code) },
          ),
        } satisfies BatchResponse);
        return;
      case 'empty':
        await reply
          .code(400)
          .send(
            apiError('empty_batch', 'the body holds no event (one JSON event per line)', [requestProblem('empty_batch', 'holds no event')]),
          );
        return;
      case 'too_many_events':
        await reply
          .code(413)
          .send(
            apiError(
              'too_many_events',
              `the batch holds ${outcome.events} events; at most ${outcome.limit} are accepted (INGEST_MAX_BATCH_EVENTS)`,
              [requestProblem('too_many_events', `holds ${outcome.events} events, more than ${outcome.limit}`)],
              { limit: 'INGEST_MAX_BATCH_EVENTS', max: outcome.limit, events: outcome.events },
            ),
          );
        return;
      case 'unavailable':
      case 'saturated':
        return this.sendRefusal(reply, outcome);
      default: {
        const exhaustive: never = outcome;
        throw new Error(`unhandled outcome ${JSON.stringify(exhaustive)}`);
      }
    }
  }

  private async sendRefusal(reply: FastifyReply, refusal: BusRefusal): Promise<void> {
    await sendBusRefusal(reply, refusal);
  }

  /** Unreachable while the API-key hook guards /v1; closed rather than open if it ever is not. */
  private async unauthenticated(reply: FastifyReply): Promise<void> {
    await reply.code(401).send(unauthorized('api_key_missing'));
  }
}

/**
 * Facts about a platform's conversations, beside its events: `POST /v1/conversations/status` takes
 * one status change as `application/json` (`ConversationStatusBody`); 202 once Kafka acknowledged.
 */
@ApiTags('customer facts')
@ApiKeyAuth()
@Controller('v1/conversations')
export class ConversationsController {
  constructor(@Inject(EVENT_INTAKE) private readonly intake: EventIntakeService) {}

  @Post('status')
  @FactOperation("One of the platform's conversations with a customer changed status", ConversationStatusSchema)
  async status(@Req() req: IntakeRequest, @Res() reply: FastifyReply): Promise<void> {
    await submitFact(req, reply, 'one status change', (caller, body) => this.intake.submitConversationStatus(caller, body));
  }
}

/**
 * Facts about a platform's customers: `POST /v1/customers/consent` takes one consent change
 * (`ConsentBody`), `POST /v1/customers/traits` profile attributes (`TraitsBody`).
 */
@ApiTags('customer facts')
@ApiKeyAuth()
@Controller('v1/customers')
export class CustomerFactsController {
  constructor(@Inject(EVENT_INTAKE) private readonly intake: EventIntakeService) {}

  @Post('consent')
  @FactOperation("A customer's consent to be contacted on one channel changed", ConsentSchema)
  async consent(@Req() req: IntakeRequest, @Res() reply: FastifyReply): Promise<void> {
    await submitFact(req, reply, 'one consent change', (caller, body) => this.intake.submitConsent(caller, body));
  }

  @Post('traits')
  @FactOperation("A customer's profile attributes (`null` clears one)", TraitsSchema)
  async traits(@Req() req: IntakeRequest, @Res() reply: FastifyReply): Promise<void> {
    await submitFact(req, reply, 'one update of profile attributes', (caller, body) => this.intake.submitTraits(caller, body));
  }
}

/** One fact as `application/json`: 202 once Kafka acknowledged it, or why not. */
async function submitFact(
  req: IntakeRequest,
  reply: FastifyReply,
  what: string,
  submit: (caller: SourceKey, body: Buffer) => Promise<SingleOutcome>,
): Promise<void> {
  const caller = req.ingestCaller;
  if (!caller) {
    await reply.code(401).send(unauthorized('api_key_missing'));
    return;
  }
  if (!(JSON_MEDIA_TYPES as readonly string[]).includes(mediaType(req))) {
    await reply.code(415).send(unsupportedMediaType(`send ${JSON_MEDIA_TYPES[0]}: ${what}`));
    return;
  }
  const outcome = await submit(caller, Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0));
  switch (outcome.kind) {
    case 'accepted':
      await reply.code(202).send({ status: 'accepted', eventId: outcome.eventId } satisfies AcceptedResponse);
      return;
    case 'rejected':
      await reply.code(outcome.code === 'event_too_large' ? 413 : 400).send(rejection(outcome.code, outcome.errors));
      return;
    case 'unavailable':
    case 'saturated':
      await sendBusRefusal(reply, outcome);
      return;
    default: {
      const exhaustive: never = outcome;
      throw new Error(`unhandled outcome ${JSON.stringify(exhaustive)}`);
    }
  }
}

/** One event refused: its code, and every problem found in it. */
function rejection(code: string, errors: readonly FieldError[]): ApiErrorBody {
  return apiError(code, REJECTION_MESSAGES[code] ?? code, problemsOf(errors, code));
}

function unsupportedMediaType(message: string): ApiErrorBody {
  return apiError('unsupported_media_type', message, [requestProblem('unsupported_media_type', `Content-Type: ${message}`)]);
}

/** 401 in the API's shape; `reason` (the auth hook's code) kept beside it. */
export function unauthorized(reason: string): ApiErrorBody {
  return apiError(
    'unauthorized',
    'a valid API key is required (Authorization: Bearer <key>)',
    [requestProblem(reason, 'the API key is missing or not valid')],
    {
      reason,
    },
  );
}

/** 429/503: nothing of the request was accepted; retry after `Retry-After`. */
async function sendBusRefusal(reply: FastifyReply, refusal: BusRefusal): Promise<void> {
  const retryAfterSeconds = refusal.retryAfterSeconds;
  const [status, body] =
    refusal.kind === 'saturated'
      ? [429, apiError('too_many_requests', 'ingestion is saturated; nothing was accepted', [], { retryAfterSeconds })]
      : [503, apiError('unavailable', 'event bus unavailable; nothing was accepted', [], { retryAfterSeconds })];
  await reply.code(status).header('retry-after', String(retryAfterSeconds)).send(body);
}

/** /health and /metrics: open, no key needed. */
@ApiTags('operations')
@Controller()
export class IngestApiOpsController {
  constructor(
    @Inject(INTAKE_PUBLISHER) private readonly publisher: EventPublisher,
    @Inject(INTAKE_COUNTERS) private readonly counters: IntakeCounters,
    @Inject(RAW_CONSUMER_STATE) private readonly rawConsumer: { readonly state: string },
    @Inject(HEALTH_PROBES) private readonly probes: readonly DependencyProbe[],
  ) {}

  /**
   * Always 200: `kafka` is true while the broker answers (the readiness probe's bounded check) and
   * the last publish did not fail; a consumer cannot run without a broker, so `rawConsumer` says
   * `disconnected` rather than `running` while it does not answer. Orchestrators use `/health/ready`.
   */
  @Get('health')
  @ApiOperation({ summary: 'Health: `degraded` while Kafka cannot be reached; open, no key needed' })
  @ApiOkResponse({ description: '`{status, kafka, rawConsumer}`' })
  async health(): Promise<IngestApiHealth> {
    const reachable = await answers(this.probes, 'kafka');
    const kafka = this.publisher.ready && reachable;
    const state = this.rawConsumer.state;
    return { status: kafka ? 'ok' : 'degraded', kafka, rawConsumer: state === 'running' && !reachable ? 'disconnected' : state };
  }

  /** The process's metrics in the Prometheus text format; `?format=json`, this app's outcome counts by key. */
  @Get('metrics')
  @ApiOperation({
    summary: "The process's metrics in the Prometheus text format (`?format=json`: this app's outcome counts); open, no key needed",
  })
  @ApiOkResponse({ description: 'Prometheus text exposition format, or counter name → value with ?format=json' })
  async metrics(@Query('format') format: string | undefined, @Res() reply: FastifyReply): Promise<void> {
    if (format === 'json') {
      await reply.send(this.counters.toJSON());
      return;
    }
    await reply.header('content-type', METRICS_CONTENT_TYPE).send(await renderMetrics());
  }
}
