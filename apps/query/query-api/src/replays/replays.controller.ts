import {
  BadRequestException,
  Body,
  ConflictException,
  Controller,
  Get,
  HttpCode,
  Inject,
  NotFoundException,
  Param,
  Post,
  Req,
  Res,
} from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { validateAs } from '@hub/contracts';
import {
  DEFAULT_REPLAY_OPTIONS,
  ReplayAlreadyRunningError,
  TIMELINE_REPLAYS,
  type ReplayOptions,
  type ReplayRun,
  type TimelineReplayJobs,
} from '@hub/timeline';
import { OperatorOnly } from '../auth/operator.decorator';
import { StartReplayDto } from './start-replay.dto';
import { ApiBody, ApiTags } from '@hub/platform/openapi';
import { OperatorOperation, VALIDATION_FAILED } from '../openapi';
import { Audited } from '../audit/audited.decorator';

const location = (id: string): string => `/replays/${id}`;

/** The request in the options `runTimelineReplay` takes. */
export function replayOptions(r: StartReplayDto): ReplayOptions {
  return {
    ...DEFAULT_REPLAY_OPTIONS,
    ...(r.tenantId ? { tenantId: r.tenantId } : {}),
    diff: r.diff ?? true,
    takeover: r.takeover ?? false,
    allowEmpty: r.allowEmpty ?? false,
    ...(r.diffLimit !== undefined ? { diffLimit: r.diffLimit } : {}),
    ...(r.batchSize !== undefined ? { batchSize: r.batchSize } : {}),
    ...(r.lockTimeoutSeconds !== undefined ? { lockTimeoutMs: r.lockTimeoutSeconds * 1000 } : {}),
    ...(r.catchUpTimeoutSeconds !== undefined ? { catchUpTimeoutMs: r.catchUpTimeoutSeconds * 1000 } : {}),
  };
}

/**
 * `hub replay` over HTTP, for operators: rebuild the timeline read model side by side, compare it
 * with the live one, optionally take it over. A replay runs in the background of the instance that
 * started it; its record (`timeline_replay_runs`) answers from any instance, after a restart too.
 */
@OperatorOnly()
@ApiTags('replays')
@Controller('replays')
export class ReplaysController {
  constructor(@Inject(TIMELINE_REPLAYS) private readonly replays: TimelineReplayJobs) {}

  /** 202 with the run and its Location; 409 while another replay runs (here, on another instance, or `hub replay`). */
  @Audited('replay.started')
  @Post()
  @HttpCode(202)
  @OperatorOperation(
    { summary: 'Rebuild the timeline read model side by side, compare it, optionally take it over (202 with Location)' },
    { ...VALIDATION_FAILED, 409: 'Another replay is running' },
  )
  @ApiBody({ type: StartReplayDto, required: false })
  async start(
    @Body() body: unknown,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ReplayRun & { location: string }> {
    const v = validateAs(StartReplayDto, body ?? {});
    if (!v.ok) throw new BadRequestException({ error: 'validation_failed', fields: v.errors });
    if (v.value.allowEmpty && !v.value.takeover)
      throw new BadRequestException({
        error: 'validation_failed',
        fields: [{ field: 'allowEmpty', messages: ['allowEmpty only applies with takeover'] }],
      });
    if (v.value.diffLimit !== undefined && v.value.diff === false)
      throw new BadRequestException({
        error: 'validation_failed',
        fields: [{ field: 'diffLimit', messages: ['diffLimit only applies with diff'] }],
      });
    const who = request.hubOperator;
    let run: ReplayRun;
    try {
      run = await this.replays.start(replayOptions(v.value), who ? `${who.operator} (key ${who.keyId})` : null);
    } catch (err) {
      if (!(err instanceof ReplayAlreadyRunningError)) throw err;
      throw new ConflictException({
        error: 'replay_running',
        reason: err.message,
        id: err.runningId ?? null,
        location: err.runningId ? location(err.runningId) : null,
      });
    }
    void reply.header('Location', location(run.id));
    return { ...run, location: location(run.id) };
  }

  /** The latest runs, newest first. */
  @Audited('replays.listed')
  @Get()
  @OperatorOperation({ summary: 'The latest replays, newest first' })
  async list(): Promise<{ replays: ReplayRun[] }> {
    return { replays: await this.replays.list(20) };
  }

  /** State, stage, progress (events done/total, rate, ETA), the report when finished (diff included), the error when failed. */
  @Audited('replay.read')
  @Get(':id')
  @OperatorOperation({ summary: 'One replay: state, stage, progress, and its report once finished' }, { 404: 'Unknown replay' })
  async get(@Param('id') id: string): Promise<ReplayRun> {
    const run = await this.replays.get(id);
    if (!run) throw new NotFoundException({ error: 'not_found', reason: 'unknown replay' });
    return run;
  }
}
