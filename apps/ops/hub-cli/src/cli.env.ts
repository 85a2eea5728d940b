import { IsIn } from 'class-validator';
import { RecordEnv } from '@hub/config';

/**
 * The CLI's settings: `DATABASE_URL`, `KAFKA_BROKERS` and `HUB_KEK` as the apps read them (so
 * personal fields are opened with the same key), validated before anything connects. `REDIS_URL`
 * is accepted and unused.
 */
export class CliEnv extends RecordEnv {
  /** Log lines (JSON, on stderr) below this level are dropped: a CLI is quiet unless something goes wrong. */
  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  override LOG_LEVEL = 'warn';
}
