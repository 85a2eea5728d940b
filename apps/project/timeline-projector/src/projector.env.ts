import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Max, Min } from 'class-validator';
import { RecordEnv } from '@hub/config';

export class ProjectorEnv extends RecordEnv {
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

  /**
   * Where `GET /metrics` (Prometheus text) is served; unset, nowhere (the app has no other HTTP
   * server). When the app gets a health server, both share one port.
   */
  @IsOptional() @Type(() => Number) @IsInt() @Min(0) @Max(65535) METRICS_PORT?: number;

  /** The address `METRICS_PORT` listens on (`0.0.0.0` for a scraper on another host). */
  @IsString() METRICS_HOST = '127.0.0.1';
}
