import {
  BadRequestException,
  Body,
  ConflictException,
  Controller,
  Get,
  HttpCode,
  HttpException,
  Inject,
  NotFoundException,
  Post,
  Query,
  ServiceUnavailableException,
} from '@nestjs/common';
import { HeaderNames, validateAs } from '@hub/contracts';
import { EVENT_STORE, PostgresCheckpointStore, type EventStore } from '@hub/event-store';
import {
  consumerGroupLag,
  readDeadLetter,
  readDeadLetters,
  redriveDeadLetters,
  type DeadLetterPage,
  type GroupLag,
  type RedriveReport,
} from '@hub/messaging';
import { PG_POOL } from '@hub/app-platform';
import { TIMELINE_PROJECTION_ID } from '@hub/timeline';
import type { Pool } from 'pg';
import { Audited } from '../audit/audited.decorator';
import { OperatorOnly } from '../auth/operator.decorator';
import { queryAs } from '../query-params';
import { DeadLettersQuery, RedriveDto } from './operations.dto';
import { OperatorInfra } from './operator-infra';
import { ApiBody, ApiTags } from '@hub/platform/openapi';
import { ApiQueryParams, OperatorOperation, VALIDATION_FAILED } from '../openapi';

const DEFAULT_DEAD_LETTER_PAGE = 50;

/** Kafka or Redis could not answer: 503, the rest of the API serves on. */
function unavailable(what: string, err: unknown): never {
  throw new ServiceUnavailableException({ error: 'unavailable', reason: `${what}: ${err instanceof Error ? err.message : String(err)}` });
}

export interface ProjectionLag {
  projection: string;
  /** The global position of the last event in the store. */
  head: string;
  /** Where the projection is (null: it never checkpointed). */
  checkpoint: string | null;
  /** Positions between them (a position is not always one event: the store's log may have gaps). */
  behind: string;
}

/**
 * What operators watch and fix beside replays (the console's Operations page): the dead letters and
 * their re-drive, the consumers' lag and the projection's, the decide queues. Kafka and Redis are
 * opened only for these routes (`OperatorInfra`).
 */
@OperatorOnly()
@ApiTags('operations (admin)')
@Controller('admin/v1')
export class OperationsController {
  constructor(
    private readonly infra: OperatorInfra,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(PG_POOL) private readonly pool: Pool,
  ) {}

  /** `?topic=&reason=&tenant=&limit=&before=` — newest first; what each dead letter holds, as it holds it. */
  @Audited('dead_letters.listed')
  @Get('dead-letters')
  @OperatorOperation(
    { summary: 'Dead letters, newest first, each as it is held (`?topic=&reason=&tenant=&limit=&before=`)' },
    { 400: 'A query parameter is not valid', 503: 'Kafka cannot be reached' },
  )
  @ApiQueryParams(DeadLettersQuery)
  async deadLetters(@Query() query: unknown): Promise<DeadLetterPage & { topic: string }> {
    const q = queryAs(DeadLettersQuery, query);
    const topic = this.infra.names.topics.deadLetter;
    try {
      const page = await readDeadLetters(this.infra.kafka, topic, {
        limit: q.limit ?? DEFAULT_DEAD_LETTER_PAGE,
        ...(q.before !== undefined ? { before: BigInt(q.before) } : {}),
        ...(q.topic !== undefined ? { sourceTopic: q.topic } : {}),
        ...(q.reason !== undefined ? { reason: q.reason } : {}),
        ...(q.tenant !== undefined ? { tenantId: q.tenant } : {}),
      });
      return { topic, ...page };
    } catch (err) {
      unavailable('the dead-letter topic could not be read', err);
    }
  }

  /**
   * `{ partition, offset }` one dead letter, or `{ topic, tenant?, code?, fromOffset? }` every one of a
   * source topic: back on their topic (`redriveDeadLetters`, as `hub dead-letters redrive`), its report.
   */
  @Audited('dead_letters.redriven')
  @Post('dead-letters/redrive')
  @OperatorOperation(
    { summary: 'Re-drive one dead letter, or every one of a source topic, back onto its topic; the report' },
    { ...VALIDATION_FAILED, 503: 'Kafka cannot be reached' },
  )
  @ApiBody({ type: RedriveDto })
  @HttpCode(200)
  async redrive(@Body() body: unknown): Promise<RedriveReport> {
    const v = validateAs(RedriveDto, body ?? {});
    if (!v.ok) throw new BadRequestException({ error: 'validation_failed', fields: v.errors });
    const r = v.value;
    const deadLetterTopic = this.infra.names.topics.deadLetter;
    try {
      if (r.topic === undefined) {
        const letter = await readDeadLetter(this.infra.kafka, deadLetterTopic, r.partition!, BigInt(r.offset!));
        if (!letter) throw new NotFoundException({ error: 'not_found', reason: 'no dead letter at that partition and offset' });
        if (!letter.redrive.possible) throw new ConflictException({ error: 'not_redrivable', reason: letter.redrive.why });
        return await redriveDeadLetters(this.infra.kafka, {
          deadLetterTopic,
          sourceTopic: letter.source!.topic,
          at: { partition: letter.partition, offset: letter.offset },
        });
      }
      if (!(await this.topicExists(r.topic))) throw new NotFoundException({ error: 'not_found', reason: `Kafka has no topic ${r.topic}` });
      const { tenant, code } = r;
      return await redriveDeadLetters(this.infra.kafka, {
        deadLetterTopic,
        sourceTopic: r.topic,
        select: (h) =>
          (tenant === undefined || h[HeaderNames.tenantId] === tenant) && (code === undefined || h[HeaderNames.dlqCode] === code),
        ...(r.fromOffset !== undefined ? { fromOffset: r.fromOffset } : {}),
      });
    } catch (err) {
      if (err instanceof HttpException) throw err;
      unavailable('the dead letters could not be re-driven', err);
    }
  }

  private async topicExists(topic: string): Promise<boolean> {
    const admin = this.infra.kafka.admin();
    await admin.connect();
    try {
      return (await admin.listTopics()).includes(topic);
    } finally {
      await admin.disconnect();
    }
  }

  /** The hub's consumer groups, per partition, and the timeline projection's checkpoint against the store's head. */
  @Audited('lag.read')
  @Get('lag')
  @OperatorOperation({ summary: "The consumer groups' lag and the projection's" }, { 503: 'Kafka cannot be reached' })
  async lag(): Promise<{ groups: (GroupLag | { groupId: string; topic: string; error: string })[]; projection: ProjectionLag }> {
    const { groups, topics } = this.infra.names;
    const wanted = [
      { groupId: groups.timelineProjector, topic: topics.interactions },
      { groupId: groups.nbaWorker, topic: topics.customerEvents },
      { groupId: groups.ingestApiRaw, topic: topics.rawInteractions },
      { groupId: groups.outbound, topic: topics.nbaDecisionsV2 },
      { groupId: groups.outgoingWebhooks, topic: topics.nbaDecisionsV2 },
      { groupId: groups.outgoingWebhooks, topic: topics.customerEvents },
    ];
    const [head, checkpoint] = await Promise.all([
      this.store.headPosition(),
      new PostgresCheckpointStore(this.pool).load(TIMELINE_PROJECTION_ID).catch(() => undefined),
    ]);
    const projection: ProjectionLag = {
      projection: TIMELINE_PROJECTION_ID,
      head: head.toString(),
      checkpoint: checkpoint === undefined ? null : checkpoint.toString(),
      behind: (head - (checkpoint ?? 0n) > 0n ? head - (checkpoint ?? 0n) : 0n).toString(),
    };
    const admin = this.infra.kafka.admin();
    try {
      await admin.connect();
    } catch (err) {
      unavailable('Kafka could not be reached', err);
    }
    try {
      const lags = await Promise.all(
        wanted.map((w) =>
          consumerGroupLag(admin, w.groupId, w.topic).catch((err: unknown) => ({
            ...w,
            error: err instanceof Error ? err.message : String(err),
          })),
        ),
      );
      return { groups: lags, projection };
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  /** Jobs per state in each of the hub's BullMQ queues (the nba-worker's, the outgoing webhooks'). */
  @Audited('queues.read')
  @Get('queues')
  @OperatorOperation(
    { summary: "The BullMQ queues' job counts (decide, follow-up, webhook deliveries)" },
    { 503: 'Redis cannot be reached' },
  )
  async queues(): Promise<{ queues: { name: string; counts: Record<string, number> }[] }> {
    if (!(await this.infra.redisReady(3_000))) unavailable('Redis could not be reached', new Error('not connected'));
    try {
      return {
        queues: await Promise.all(
          this.infra.bullQueues().map(async (q) => ({
            name: q.name,
            counts: await q.getJobCounts(
              'waiting',
              'active',
              'delayed',
              'prioritized',
              'waiting-children',
              'completed',
              'failed',
              'paused',
            ),
          })),
        ),
      };
    } catch (err) {
      unavailable('the queues could not be read', err);
    }
  }
}
