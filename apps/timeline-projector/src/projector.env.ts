import { Type } from 'class-transformer';
import { IsInt, Max, Min } from 'class-validator';
import { RecordEnv } from '@hub/config';

export class ProjectorEnv extends RecordEnv {
  /** Partitions of the interactions topic handled in parallel by one instance. */
  @Type(() => Number) @IsInt() @Min(1) @Max(64) PROJECTOR_CONCURRENCY = 3;
}
