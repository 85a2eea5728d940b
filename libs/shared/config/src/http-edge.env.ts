import { isIP } from 'node:net';
import { Transform, Type } from 'class-transformer';
import {
  IsArray,
  IsBoolean,
  IsInt,
  Max,
  Min,
  Validate,
  ValidatorConstraint,
  type ValidationArguments,
  type ValidatorConstraintInterface,
} from 'class-validator';

const csv = ({ value }: { value: unknown }) =>
  typeof value === 'string'
    ? value
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : value;
const bool = ({ obj, key }: { obj: Record<string, unknown>; key: string }) =>
  typeof obj[key] === 'string' ? obj[key] === 'true' : obj[key];

/** The names `proxy-addr` (Fastify's `trustProxy`) knows for address ranges. */
const PROXY_RANGE_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/** One `HTTP_TRUST_PROXY` entry: an IP address, a CIDR range, or one of `loopback`, `linklocal`, `uniquelocal`. */
export function trustedProxyProblem(entry: string): string | undefined {
  if (PROXY_RANGE_NAMES.has(entry)) return undefined;
  const m = /^([^/]+)(?:\/(\d{1,3}))?$/.exec(entry);
  const version = m ? isIP(m[1]!) : 0;
  if (version === 0) return `${JSON.stringify(entry)} is not an IP address, a CIDR range or one of loopback, linklocal, uniquelocal`;
  if (m![2] !== undefined && Number(m![2]) > (version === 4 ? 32 : 128))
    return `${JSON.stringify(entry)}: the prefix length is out of range`;
  return undefined;
}

@ValidatorConstraint({ name: 'trustedProxyList' })
class TrustedProxyList implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return Array.isArray(value) && value.every((v) => typeof v === 'string' && trustedProxyProblem(v) === undefined);
  }
  defaultMessage(args: ValidationArguments): string {
    const value: unknown = args.value;
    if (!Array.isArray(value)) return 'HTTP_TRUST_PROXY must be a comma-separated list of addresses or CIDR ranges';
    return value
      .map((v) => trustedProxyProblem(String(v)))
      .filter(Boolean)
      .join('; ');
  }
}

/**
 * What every HTTP edge of the hub (query-api, ingest-api, the ingest-* webhook apps) takes from the
 * environment for its own protection: which proxies may name the client, how long a request may take
 * to arrive, how long a connection may sit idle, and the request rate limits (docs/operations.md,
 * "HTTP edge"). Loaded beside the app's own settings, with the same boot-time validation.
 */
export class HttpEdgeEnv {
  /**
   * Proxies whose `X-Forwarded-For` is believed, as addresses or CIDR ranges (`10.0.0.0/8,loopback`).
   * Empty (the default): the client is the TCP peer and `X-Forwarded-For` is ignored, so a caller
   * cannot pick the address its rate limit is counted under.
   */
  @Transform(csv)
  @IsArray()
  @Validate(TrustedProxyList)
  HTTP_TRUST_PROXY: string[] = [];

  /** The whole request (head and body) must arrive within this; a slower one gets 408 and its connection closes. */
  @Type(() => Number) @IsInt() @Min(1_000) @Max(600_000) HTTP_REQUEST_TIMEOUT_MS = 30_000;

  /** A connection with no byte read or written for this long is closed (the query API's live streams write a heartbeat within it: at least twice QUERY_LIVE_HEARTBEAT_MS). */
  @Type(() => Number) @IsInt() @Min(1_000) @Max(3_600_000) HTTP_CONNECTION_TIMEOUT_MS = 120_000;

  /** `false` turns every request rate limit of the app off (the SSE stream caps stay). */
  @Transform(bool) @IsBoolean() RATE_LIMIT_ENABLED = true;

  /** The window the rate limits count requests in (a fixed window per address or caller; 429 once over). */
  @Type(() => Number) @IsInt() @Min(1_000) @Max(3_600_000) RATE_LIMIT_WINDOW_MS = 10_000;

  /**
   * Requests per window from one client address (the TCP peer, or what a trusted proxy says), on every
   * route but the health and metrics probes. 3,000/s by default: providers deliver webhooks from a few
   * addresses, and one load generator drives the benchmarks; each app's caller limit (per key or per
   * source) is the finer one.
   */
  @Type(() => Number) @IsInt() @Min(1) @Max(100_000_000) RATE_LIMIT_PER_ADDRESS = 30_000;
}
