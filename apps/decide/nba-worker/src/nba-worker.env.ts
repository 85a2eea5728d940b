import { Transform, Type } from 'class-transformer';
import { IsArray, IsIn, IsInt, IsOptional, Matches, Max, Min } from 'class-validator';
import { ProbeServerEnv } from '@hub/config';
import { TENANT_ID_PATTERN } from '@hub/contracts';
import { DEFAULT_WORK_ITEM_SLAS, QUADRANTS, type WorkItemSlas } from '@hub/customer';

const csv = ({ value }: { value: unknown }) =>
  typeof value === 'string'
    ? value
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : value;
const DAY_MS = 24 * 3_600_000;

/** One `WORK_ITEM_SLA_MINUTES` entry: a queue (or `*`) and its minutes. */
const WORK_ITEM_SLA_ENTRY = /^([a-z0-9][a-z0-9_-]*|\*)=([1-9][0-9]{0,5})$/;

export class NbaWorkerEnv extends ProbeServerEnv {
  /** `GET /health/live` and `/health/ready` (docs/operations.md, "Health"); `off` serves none. */
  override HEALTH_PORT: number | 'off' = 3102;

  /** Customer events within this window are folded into one decision (BullMQ debounce). */
  @Type(() => Number) @IsInt() @Min(0) @Max(60_000) NBA_DEBOUNCE_MS = 250;
  /**
   * Jobs run in parallel by one worker, per queue. A decide job spends most of its time waiting on
   * PostgreSQL and Redis round trips, so jobs in flight, not CPU, bound the worker: at 8 the due
   * jobs queued for a slot from ~100 decisions/s on (docs/benchmarks.md, "Pipeline").
   */
  @Type(() => Number) @IsInt() @Min(1) @Max(256) NBA_CONCURRENCY = 32;
  /** PostgreSQL connections of one worker; default min(NBA_CONCURRENCY, 16) + 4 (jobs hold one only while a query runs). */
  @Type(() => Number) @IsInt() @Min(2) @Max(200) @IsOptional() NBA_PG_POOL_MAX?: number;
  @Type(() => Number) @IsInt() @Min(1) @Max(50) NBA_JOB_ATTEMPTS = 8;
  /**
   * BullMQ job lock: a job whose worker died (no lock renewal for this long) is re-run by another
   * worker, found by the stalled-job check every `NBA_STALLED_INTERVAL_MS`.
   */
  @Type(() => Number) @IsInt() @Min(500) @Max(600_000) NBA_LOCK_DURATION_MS = 30_000;
  @Type(() => Number) @IsInt() @Min(200) @Max(600_000) NBA_STALLED_INTERVAL_MS = 30_000;

  /**
   * A decision that contacted the customer and has no outcome this long after it counts as
   * `no_response` (a delayed job per decision). Default: the catalog's `learning.noResponseAfterHours`.
   */
  @IsOptional() @Type(() => Number) @IsInt() @Min(0) @Max(90 * DAY_MS) NBA_NO_RESPONSE_AFTER_MS?: number;
  /** After `ConversationResolved`, the survey follow-up is decided this much later, unless the customer wrote again. */
  @Type(() => Number) @IsInt() @Min(0) @Max(30 * DAY_MS) NBA_SURVEY_DELAY_MS = 2 * 3_600_000;

  /**
   * At boot, enqueue again the decide jobs of customers whose last trigger has no decision (what a
   * Redis restart without persistence loses; `reenqueuePendingDecisions`). Reads every customer
   * stream's last trigger/decision once; `off` skips it.
   */
  @IsIn(['on', 'off']) NBA_RECONCILE_AT_START: 'on' | 'off' = 'on';

  /** Always-on outbound: scan the segment this often (a BullMQ job scheduler); 0 turns it off. */
  @Type(() => Number) @IsInt() @Min(0) @Max(30 * DAY_MS) NBA_OUTBOUND_EVERY_MS = 3_600_000;
  /** At most this many decide jobs per scan (the volume limit; the contact policy still applies its caps). */
  @Type(() => Number) @IsInt() @Min(1) @Max(100_000) NBA_OUTBOUND_MAX_PER_RUN = 200;
  /** The segment: customers of the timeline read model in these experience × value quadrants. */
  @Transform(csv)
  @IsArray()
  @IsIn(QUADRANTS, { each: true, message: `each NBA_OUTBOUND_QUADRANTS entry must be one of ${QUADRANTS.join(', ')}` })
  NBA_OUTBOUND_QUADRANTS: string[] = ['at_risk'];
  /** Only these tenants (empty: every tenant). */
  @Transform(csv) @IsArray() @Matches(TENANT_ID_PATTERN, { each: true }) NBA_OUTBOUND_TENANTS: string[] = [];

  /**
   * How many customers' folded state the decide worker keeps between jobs (an LRU by customer): a
   * hot customer's next job reads only the events after the kept revision. 0 folds every stream whole.
   */
  @Type(() => Number) @IsInt() @Min(0) @Max(1_000_000) NBA_FOLD_CACHE_SIZE = 10_000;
  /**
   * A kept fold holds the customer's opened personal fields: it is used and kept at most this long
   * after it was read whole (so an erased customer's outlives the erasure by at most this much in an
   * instance that did not see the `CustomerErased`).
   */
  @Type(() => Number) @IsInt() @Min(1_000) @Max(3_600_000) NBA_FOLD_CACHE_TTL_MS = 300_000;
  /** How long the population's outcome tally is reused before the worker reads it again. */
  @Type(() => Number) @IsInt() @Min(0) @Max(3_600_000) NBA_OUTCOMES_CACHE_MS = 5_000;
  /**
   * Where the decisions relay starts when it never ran against this database: `end` (decisions from
   * now on: senders are not sent the past) or `beginning`.
   */
  @IsIn(['end', 'beginning']) NBA_DECISIONS_RELAY_START: 'end' | 'beginning' = 'end';
  /**
   * Tenants whose decisions are published without the customer's channel address (`address`). A
   * message on Kafka cannot be crypto-shredded: it keeps the address until the topic's retention
   * ends (7 days), erasure or not. The address stays recorded with the decision (sealed).
   */
  @Transform(csv) @IsArray() @Matches(TENANT_ID_PATTERN, { each: true }) NBA_DECISIONS_OMIT_ADDRESS_TENANTS: string[] = [];
  /**
   * The SLA of each work-item queue, in minutes: `queue=minutes` pairs, comma-separated, `*` for
   * every queue not named (`escalate_manager=60,*=480`). Default: 480 minutes for every queue.
   */
  @Transform(csv)
  @IsArray()
  @Matches(WORK_ITEM_SLA_ENTRY, { each: true, message: 'each WORK_ITEM_SLA_MINUTES entry must be queue=minutes (or *=minutes)' })
  WORK_ITEM_SLA_MINUTES: string[] = [];
}

/** `WORK_ITEM_SLA_MINUTES` (validated) as the decide job's `WorkItemSlas`. */
export function workItemSlasOf(entries: readonly string[]): WorkItemSlas {
  let defaultMinutes = DEFAULT_WORK_ITEM_SLAS.defaultMinutes;
  const byQueue: Record<string, number> = {};
  for (const entry of entries) {
    const [, queue, minutes] = WORK_ITEM_SLA_ENTRY.exec(entry) ?? [];
    if (queue === undefined || minutes === undefined) throw new RangeError(`not queue=minutes: ${entry}`);
    if (queue === '*') defaultMinutes = Number(minutes);
    else byQueue[queue] = Number(minutes);
  }
  return { defaultMinutes, byQueue };
}
