import { Type } from 'class-transformer';
import { IsIn, IsInt, Max, Min } from 'class-validator';
import { RecordEnv } from '@hub/config';

export class ProjectorEnv extends RecordEnv {
  /** Partitions of the interactions topic recorded in parallel by one instance. */
  @Type(() => Number) @IsInt() @Min(1) @Max(64) PROJECTOR_CONCURRENCY = 3;

  /**
   * Where a projection that has never run starts: `beginning` (rebuild the whole history, the
   * default) or `end` (only what is recorded from now on: a fresh environment sharing an old store).
   */
  @IsIn(['beginning', 'end']) PROJECTOR_START: 'beginning' | 'end' = 'beginning';
}
