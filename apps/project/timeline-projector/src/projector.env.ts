import { Type } from 'class-transformer';
import { IsIn, IsInt, Max, Min } from 'class-validator';
import { ProbeServerEnv } from '@hub/config';

export class ProjectorEnv extends ProbeServerEnv {
  /** `GET /health/live` and `/health/ready` (docs/operations.md, "Health"); `off` serves none. */
  override HEALTH_PORT: number | 'off' = 3101;

  /**
   * Partitions of the interactions topic taken from one fetch at a time by one instance; their runs
   * are recorded together (one `recordInteractions`), so this is how many partitions share a call.
   */
  @Type(() => Number) @IsInt() @Min(1) @Max(64) PROJECTOR_CONCURRENCY = 6;

  /** Most interactions of one partition recorded together (claims read at once, one append for all their customers). */
  @Type(() => Number) @IsInt() @Min(1) @Max(5000) PROJECTOR_BATCH_SIZE = 500;

  /**
   * Where a projection that has never run starts: `beginning` (rebuild the whole history, the
   * default) or `end` (only what is recorded from now on: a fresh environment sharing an old store).
   */
  @IsIn(['beginning', 'end']) PROJECTOR_START: 'beginning' | 'end' = 'beginning';
}
