import { Type } from 'class-transformer';
import { IsInt, Max, Min } from 'class-validator';
import { RecordEnv } from '@hub/config';

export class NbaWorkerEnv extends RecordEnv {
  /** Customer events within this window are folded into one decision (BullMQ debounce). */
  @Type(() => Number) @IsInt() @Min(0) @Max(60_000) NBA_DEBOUNCE_MS = 250;
  /** Decisions computed in parallel by one worker. */
  @Type(() => Number) @IsInt() @Min(1) @Max(256) NBA_CONCURRENCY = 8;
  @Type(() => Number) @IsInt() @Min(1) @Max(50) NBA_JOB_ATTEMPTS = 8;
}
