import { BadRequestException } from '@nestjs/common';
import { Transform, Type, type ClassConstructor } from 'class-transformer';
import {
  ArrayMaxSize,
  buildMessage,
  IsIn,
  IsInt,
  IsOptional,
  Length,
  Matches,
  Max,
  Min,
  ValidateBy,
  type ValidationOptions,
} from 'class-validator';
import {
  ALL_CHANNEL_IDS,
  DIRECTIONS,
  IDENTITY_KINDS,
  INTERACTION_KINDS,
  validateAs,
  type FieldError,
  type IdentityKind,
  type IdentityRef,
} from '@hub/contracts';
import { getCountries, type CountryCode } from 'libphonenumber-js';
import {
  CHURN_RISK_LEVELS,
  HANDLE_PLATFORMS,
  normalizeEmail,
  normalizeExternalId,
  normalizeHandle,
  normalizePhone,
  type ChurnRiskLevel,
  type NormalizeResult,
} from '@hub/customer';
import {
  decodeCursor,
  InvalidCursorError,
  MAX_PAGE_SIZE,
  MAX_SEARCH_LENGTH,
  SEGMENT_QUADRANTS,
  STATS_DIMENSIONS,
  type StatsDimension,
  type CursorScope,
  type SegmentQuadrant,
  type TimelineFilter,
} from '@hub/timeline';

/** 400 in the hub's format: every failing field with its messages. */
export function validationFailed(fields: FieldError[]): BadRequestException {
  return new BadRequestException({ error: 'validation_failed', fields });
}

/** Runs a paged read; a cursor the read refuses (it pages another query) is a 400 on `cursor`, like a malformed one. */
export async function pagedRead<T>(read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (err) {
    if (err instanceof InvalidCursorError) throw validationFailed([{ field: 'cursor', messages: [err.message] }]);
    throw err;
  }
}

/** Validate a query string against a DTO (unknown parameters are errors: a typo must not widen a query); 400 otherwise. */
export function queryAs<T extends object>(cls: ClassConstructor<T>, query: unknown): T {
  const v = validateAs(cls, query ?? {});
  if (!v.ok) throw validationFailed(v.errors);
  return v.value;
}

/** `a,b` (or the parameter repeated) → `['a', 'b']`. */
const list = ({ value }: { value: unknown }) =>
  (Array.isArray(value) ? value : [value])
    .flatMap((v) => (typeof v === 'string' ? v.split(',') : [v]))
    .map((v) => (typeof v === 'string' ? v.trim() : v))
    .filter((v) => v !== '');

const CHANNEL_MESSAGE = `each channel must be one of ${ALL_CHANNEL_IDS.join(', ')}`;
const CHURN_RISK_MESSAGE = `each churnRisk must be one of ${CHURN_RISK_LEVELS.join(', ')}`;
const INSTANT = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,6})?)?(Z|[+-](\d{2}):(\d{2})))?$/;

/** A real instant: a calendar date (UTC midnight), or a date-time with a zone (`Z` or an offset up to ±14:00). */
export function isInstant(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  const m = INSTANT.exec(value);
  if (!m) return false;
  const n = (i: number) => Number(m[i] ?? 0);
  const [year, month, day] = [n(1), n(2), n(3)];
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  const dateOk = month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth;
  const timeOk = n(4) <= 23 && n(5) <= 59 && n(6) <= 59 && n(8) <= 14 && n(9) <= 59;
  return dateOk && timeOk && !Number.isNaN(Date.parse(value));
}

/** The instant as PostgreSQL should read it: a bare date is UTC midnight (not the server's time zone). */
export function instant(value: string): string {
  return value.length === 10 ? `${value}T00:00:00Z` : value;
}

export function IsInstant(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isInstant',
      validator: {
        validate: isInstant,
        defaultMessage: buildMessage(
          (each) => `${each}$property must be an ISO 8601 date or date-time with a time zone (2025-03-01, 2025-03-01T10:00:00Z)`,
          options,
        ),
      },
    },
    options,
  );
}

/** Later than another (valid) instant property of the same object. */
export function IsLaterThan(property: string, options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isLaterThan',
      constraints: [property],
      validator: {
        validate: (value, args) => {
          const other = (args?.object as Record<string, unknown> | undefined)?.[property];
          return !isInstant(value) || !isInstant(other) || Date.parse(instant(value)) > Date.parse(instant(other));
        },
        defaultMessage: buildMessage((each) => `${each}$property must be later than ${property}`, options),
      },
    },
    options,
  );
}

function IsCursor(scope: CursorScope, options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isCursor',
      validator: {
        validate: (value) => {
          if (typeof value !== 'string') return false;
          try {
            decodeCursor(scope, value);
            return true;
          } catch {
            return false;
          }
        },
        defaultMessage: buildMessage((each) => `${each}$property must be the \`next\` of a previous page of this listing`, options),
      },
    },
    options,
  );
}

export type ParsedIdentity = { ok: true; identity: IdentityRef } | { ok: false; reason: string };

/** ISO 3166-1 alpha-2 codes libphonenumber knows: what `region` and the tenants' default regions may be. */
export const PHONE_REGIONS: readonly CountryCode[] = getCountries();

/**
 * `phone:+14155550100` → the identity, normalised the way the projector stores it. A national
 * number (`phone:(650) 555-0123`) needs the region it is dialled in: the request's `region`, else
 * the tenant's default (QUERY_DEFAULT_REGIONS); without one the refusal says so. `handle` and
 * `external` identities live in a namespace, named before the value: `handle:<platform>:<id>`
 * (`handle:telegram:4242`), `external:<system>:<id>` (`external:salesforce:0035g00000AbCdE`; the id
 * may itself contain `:`), normalised like the intake does.
 */
export function parseIdentityParam(raw: string, region?: CountryCode): ParsedIdentity {
  const sep = raw.indexOf(':');
  const kind = raw.slice(0, sep) as IdentityKind;
  const value = raw.slice(sep + 1);
  if (sep <= 0 || !IDENTITY_KINDS.includes(kind) || value.length === 0)
    return { ok: false, reason: `identity must be <kind>:<value>, kind one of ${IDENTITY_KINDS.join(', ')}` };
  const normalized = normalizeIdentityParam(kind, value, region);
  if (normalized.ok) return { ok: true, identity: normalized.identity };
  const hint =
    kind !== 'phone'
      ? ''
      : region === undefined
        ? " — a number without its country code (+…) needs region=<ISO 3166 country code> (e.g. region=US), or the tenant's default region (QUERY_DEFAULT_REGIONS)"
        : ` (read as a number of region ${region})`;
  return { ok: false, reason: `${normalized.reason}${hint}` };
}

function normalizeIdentityParam(kind: IdentityKind, value: string, region?: CountryCode): NormalizeResult {
  if (kind === 'phone') return normalizePhone(value, region);
  if (kind === 'email') return normalizeEmail(value);
  const sep = value.indexOf(':');
  if (sep <= 0 || sep === value.length - 1) {
    return {
      ok: false,
      reason:
        kind === 'handle'
          ? `a handle is handle:<platform>:<id>, platform one of ${HANDLE_PLATFORMS.join(', ')} (e.g. handle:telegram:4242)`
          : 'an external id is external:<system>:<id> (e.g. external:salesforce:0035g00000AbCdE)',
    };
  }
  const [namespace, id] = [value.slice(0, sep), value.slice(sep + 1)];
  return kind === 'handle' ? normalizeHandle(namespace, id) : normalizeExternalId(namespace, id);
}

/** The shape only (`<kind>:<value>`); the value is normalised in the handler, which knows the region. */
function IsIdentityParam(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isIdentityParam',
      validator: {
        validate: (value) => {
          if (typeof value !== 'string' || value.length > 400) return false;
          const sep = value.indexOf(':');
          return sep > 0 && IDENTITY_KINDS.includes(value.slice(0, sep) as IdentityKind) && sep < value.length - 1;
        },
        defaultMessage: () => `identity must be <kind>:<value>, kind one of ${IDENTITY_KINDS.join(', ')}`,
      },
    },
    options,
  );
}

/**
 * `q`: free text, 1…MAX_SEARCH_LENGTH characters with a word in it, in web-search syntax (`"exact
 * phrase"`, `or`, `-word`); matched in every text search configuration (timeline.search.ts).
 */
function IsSearchText(): PropertyDecorator {
  return (target, key) => {
    Length(1, MAX_SEARCH_LENGTH, { message: `q must be 1…${MAX_SEARCH_LENGTH} characters` })(target, key);
    Matches(/[\p{L}\p{N}]/u, { message: 'q must contain a word (letters or digits)' })(target, key);
  };
}

/**
 * Filters shared by timelines, exports and stats. Lists are comma-separated (`channel=sms,email`).
 * Two clocks: `from`/`to` are on when it happened (occurred time, what an analyst means by a date
 * range; `occurredAtSource` of each entry says whether that is the provider's time or the receive
 * time), `recordedFrom`/`recordedTo` and `asOf` on when the hub recorded it. Every instant is a date
 * (UTC midnight) or a date-time with a zone: a time without one is refused, as everywhere.
 */
export class EntryFilterQuery {
  @IsOptional() @Transform(list) @ArrayMaxSize(20) @IsIn(ALL_CHANNEL_IDS, { each: true, message: CHANNEL_MESSAGE }) channel?: string[];
  @IsOptional()
  @Transform(list)
  @IsIn(DIRECTIONS, { each: true, message: `each direction must be one of ${DIRECTIONS.join(', ')}` })
  direction?: string[];
  @IsOptional()
  @Transform(list)
  @ArrayMaxSize(20)
  @IsIn(INTERACTION_KINDS, { each: true, message: `each kind must be one of ${INTERACTION_KINDS.join(', ')}` })
  kind?: string[];
  /** occurred at or after (inclusive) */
  @IsOptional() @IsInstant() from?: string;
  /** occurred before (exclusive) */
  @IsOptional() @IsInstant() @IsLaterThan('from') to?: string;
  /** recorded at or after (inclusive) */
  @IsOptional() @IsInstant() recordedFrom?: string;
  /** recorded before (exclusive) */
  @IsOptional() @IsInstant() @IsLaterThan('recordedFrom') recordedTo?: string;
  /** recorded at or before: the timeline as the hub knew it then */
  @IsOptional() @IsInstant() asOf?: string;
  /** free text the entry's text matches */
  @IsOptional() @IsSearchText() q?: string;
}

export class TimelineQuery extends EntryFilterQuery {
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(MAX_PAGE_SIZE) limit?: number;
  @IsOptional() @IsCursor('timeline') cursor?: string;
}

export class ConversationsQuery {
  @IsOptional() @Transform(list) @ArrayMaxSize(20) @IsIn(ALL_CHANNEL_IDS, { each: true, message: CHANNEL_MESSAGE }) channel?: string[];
  @IsOptional() @IsInstant() asOf?: string;
}

export const EXPORT_FORMATS = ['ndjson', 'csv'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export class TimelineExportQuery extends EntryFilterQuery {
  @IsOptional() @IsIn(EXPORT_FORMATS) format?: ExportFormat;
  /** CSV: start with a UTF-8 byte order mark (spreadsheets then read non-ASCII text right). */
  @IsOptional() @IsIn(['true', 'false'], { message: 'bom must be true or false' }) bom?: 'true' | 'false';
  @IsOptional() @Transform(list) @ArrayMaxSize(1000) @Length(1, 128, { each: true }) customerIds?: string[];
  /** A segment: the timelines of customers in any of these quadrants (no list of ids needed) … */
  @IsOptional()
  @Transform(list)
  @ArrayMaxSize(5)
  @IsIn(SEGMENT_QUADRANTS, { each: true, message: `each quadrant must be one of ${SEGMENT_QUADRANTS.join(', ')}` })
  quadrant?: SegmentQuadrant[];
  /** … preferring any of these channels … */
  @IsOptional()
  @Transform(list)
  @ArrayMaxSize(20)
  @IsIn(ALL_CHANNEL_IDS, { each: true, message: `each preferredChannel must be one of ${ALL_CHANNEL_IDS.join(', ')}` })
  preferredChannel?: string[];
  /** … at any of these churn risk levels (as of the request). */
  @IsOptional()
  @Transform(list)
  @ArrayMaxSize(4)
  @IsIn(CHURN_RISK_LEVELS, { each: true, message: CHURN_RISK_MESSAGE })
  churnRisk?: ChurnRiskLevel[];
}

/** `GET /tenants/:t/stats`: one dimension, and the entry filters (a window on occurred time). */
export class StatsQuery extends EntryFilterQuery {
  @IsIn(STATS_DIMENSIONS, { message: `by must be one of ${STATS_DIMENSIONS.join(', ')}` }) by!: StatsDimension;
}

/** `GET …/state`: the same instants as every other endpoint (a date, or a date-time with a zone). */
export class StateQuery {
  /** recorded at or before: the state as the hub knew it then */
  @IsOptional() @IsInstant() asOf?: string;
  @IsOptional() @Matches(/^\d{1,18}$/, { message: 'revision must be a whole number' }) revision?: string;
}

export class CustomerSearchQuery {
  /** `<kind>:<value>`, normalised like the projector does (`phone:+1 415 555 0100` finds `+14155550100`). */
  @IsOptional() @IsIdentityParam() identity?: string;
  /** The region a national phone number in `identity` is dialled in (ISO 3166-1 alpha-2); default: the tenant's. */
  @IsOptional()
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.toUpperCase() : value))
  @IsIn(PHONE_REGIONS, { message: 'region must be an ISO 3166-1 alpha-2 country code, e.g. US or GB' })
  region?: CountryCode;
  /** channels the customer used (any of them), `channel=sms,whatsapp` as on timelines */
  @IsOptional() @Transform(list) @ArrayMaxSize(20) @IsIn(ALL_CHANNEL_IDS, { each: true, message: CHANNEL_MESSAGE }) channel?: string[];
  @IsOptional()
  @Transform(list)
  @ArrayMaxSize(20)
  @IsIn(ALL_CHANNEL_IDS, { each: true, message: `each preferredChannel must be one of ${ALL_CHANNEL_IDS.join(', ')}` })
  preferredChannel?: string[];
  /** quadrants (any of them); `unknown`: neither an order nor a survey answer yet */
  @IsOptional()
  @Transform(list)
  @ArrayMaxSize(5)
  @IsIn(SEGMENT_QUADRANTS, { each: true, message: `each quadrant must be one of ${SEGMENT_QUADRANTS.join(', ')}` })
  quadrant?: SegmentQuadrant[];
  /** churn risk levels (any of them), as of the request: `high`, `medium`, `low`, `unknown` */
  @IsOptional()
  @Transform(list)
  @ArrayMaxSize(4)
  @IsIn(CHURN_RISK_LEVELS, { each: true, message: CHURN_RISK_MESSAGE })
  churnRisk?: ChurnRiskLevel[];
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(MAX_PAGE_SIZE) limit?: number;
  @IsOptional() @IsCursor('customers') cursor?: string;
  /** A contact pattern: at least this many inbound contacts … */
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(10_000) minContacts?: number;
  /** … on at least this many channels (default 1) … */
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(20) minChannels?: number;
  /** … that happened in the last this many days (default 7). */
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(3_660) withinDays?: number;
  /** free text an entry of the customer's timeline (merged-in customers included) matches */
  @IsOptional() @IsSearchText() q?: string;
}

/** The validated filters in the form the queries take. */
export function entryFilter(q: EntryFilterQuery): TimelineFilter {
  return {
    ...(q.channel?.length ? { channels: q.channel } : {}),
    ...(q.direction?.length ? { directions: q.direction } : {}),
    ...(q.kind?.length ? { kinds: q.kind } : {}),
    ...(q.from ? { from: instant(q.from) } : {}),
    ...(q.to ? { to: instant(q.to) } : {}),
    ...(q.recordedFrom ? { recordedFrom: instant(q.recordedFrom) } : {}),
    ...(q.recordedTo ? { recordedTo: instant(q.recordedTo) } : {}),
    ...(q.asOf ? { asOf: instant(q.asOf) } : {}),
    ...(q.q !== undefined ? { q: q.q } : {}),
  };
}
