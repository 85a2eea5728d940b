import { Transform, Type } from 'class-transformer';
import { ArrayMaxSize, ArrayNotEmpty, IsArray, IsIn, IsInt, Max, Min } from 'class-validator';
import { ProbeServerEnv } from '@hub/config';
import { DEFAULT_DISABLE_POLICY, DEFAULT_RETRY_SCHEDULE_MS } from '@hub/webhooks';

const DAY_MS = 24 * 3_600_000;
const intList = ({ value }: { value: unknown }) =>
  typeof value === 'string'
    ? value
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
        .map((s) => (/^\d+$/.test(s) ? Number(s) : s))
    : value;

export class OutgoingWebhooksEnv extends ProbeServerEnv {
  /** `GET /health/live` and `/health/ready` (docs/operations.md, "Health"); `off` serves none. */
  override HEALTH_PORT: number | 'off' = 3103;

  /**
   * The delays between a delivery's attempts, in milliseconds (comma-separated): the first attempt
   * is at once, then one per delay. Default Svix's: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h (27.6 h).
   */
  @Transform(intList)
  @IsArray()
  @ArrayNotEmpty()
  @ArrayMaxSize(20)
  @IsInt({ each: true, message: 'WEBHOOK_RETRY_SCHEDULE_MS must be comma-separated milliseconds' })
  @Min(0, { each: true })
  @Max(7 * DAY_MS, { each: true })
  WEBHOOK_RETRY_SCHEDULE_MS: number[] = [...DEFAULT_RETRY_SCHEDULE_MS];

  /** A subscription is disabled when a message is given up and it has failed continuously this long (default 5 days)… */
  @Type(() => Number) @IsInt() @Min(0) @Max(90 * DAY_MS) WEBHOOK_DISABLE_AFTER_MS = DEFAULT_DISABLE_POLICY.failingForMs;
  /** … or when this many messages in a row were given up (default 50). */
  @Type(() => Number) @IsInt() @Min(1) @Max(100_000) WEBHOOK_DISABLE_AFTER_MESSAGES = DEFAULT_DISABLE_POLICY.exhaustedMessages;

  /** One attempt's time limit: an endpoint that has not answered by then failed (and is retried). */
  @Type(() => Number) @IsInt() @Min(100) @Max(60_000) WEBHOOK_TIMEOUT_MS = 15_000;
  /** Deliveries in flight per instance. */
  @Type(() => Number) @IsInt() @Min(1) @Max(256) WEBHOOK_CONCURRENCY = 16;

  /**
   * `on`: endpoints may be `http://` on a loopback host (127.0.0.1, localhost, [::1]) — tests and
   * development. Otherwise only `https://` is delivered to. The query API has the same switch.
   */
  @IsIn(['on', 'off']) WEBHOOK_ALLOW_LOOPBACK_HTTP: 'on' | 'off' = 'off';

  /**
   * Where the consumer group starts when it has no committed offset: `end` (only what is published
   * from now on, the default: a new deployment does not deliver a week of old decisions) or `beginning`.
   */
  @IsIn(['beginning', 'end']) WEBHOOKS_START: 'beginning' | 'end' = 'end';
}
