import type { ServerOptions } from 'node:http';
import fastifyRateLimit, { normalizeIP } from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/**
 * How every HTTP edge of the hub protects itself (docs/operations.md, "HTTP edge"): which proxies
 * may name the client, how long a request may take to arrive, how long a connection may idle, and
 * per-address and per-caller request rate limits answered with 429, `Retry-After` and the hub's
 * error body.
 */
export interface HttpEdgeSettings {
  /** Proxies (addresses, CIDR ranges, `loopback`…) whose `X-Forwarded-For` is believed; empty: none. */
  trustProxy: readonly string[];
  /** The whole request must arrive within this (Node's `requestTimeout`: receiving it, not answering it). */
  requestTimeoutMs: number;
  /** A socket idle for this long is closed (Node's `server.setTimeout`). */
  connectionTimeoutMs: number;
}

/** The Fastify server options for these settings (passed to `new FastifyAdapter(…)`). */
export function httpServerOptions(settings: HttpEdgeSettings): {
  trustProxy: boolean | string[];
  requestTimeout: number;
  connectionTimeout: number;
  http: ServerOptions;
} {
  return {
    // Off unless proxies are named: `true` would let any caller choose its address with a header.
    trustProxy: settings.trustProxy.length > 0 ? [...settings.trustProxy] : false,
    requestTimeout: settings.requestTimeoutMs,
    connectionTimeout: settings.connectionTimeoutMs,
    http: {
      // Node refuses a head timeout longer than the request's, and checks both only this often.
      headersTimeout: Math.min(60_000, settings.requestTimeoutMs),
      connectionsCheckingInterval: Math.min(30_000, Math.max(250, Math.floor(settings.requestTimeoutMs / 4))),
    },
  };
}

/** One request rate limit: whom it counts (`keyOf`; undefined: not counted by this rule) and how many per window. */
export interface RateLimitRule {
  /** What it counts by, for logs and the 429 body: `address`, `key`, `source`. */
  per: 'address' | 'key' | 'source';
  max: number;
  /** The caller's own limit per window, when it has one (a stored key's `rateLimitPerMinute`); else `max`. */
  maxOf?(req: FastifyRequest): number | undefined | Promise<number | undefined>;
  keyOf(req: FastifyRequest): string | undefined;
  /** Said in the 429 body. */
  reason: string;
}

/** What a limit that refused a request tells the app (to count and log it). */
export type RateLimited = (req: FastifyRequest, rule: RateLimitRule, retryAfterSeconds: number) => void;

/** The 429's body as the limits write it; an app may put it in its own error shape (`install`'s `shape`). */
export interface RateLimitedBody {
  error: 'too_many_requests';
  reason: string;
  limit: { per: RateLimitRule['per']; max: number; windowMs: number };
  retryAfterSeconds: number;
}

/**
 * Request rate limits of one app, counted in process by `@fastify/rate-limit` (a fixed window per
 * key, the least recently seen keys forgotten past `cacheSize`). Each rule becomes an `onRequest`
 * hook, added where the app wants it: a per-address rule before authentication (floods of bad keys
 * count), a per-key rule after it.
 */
export class RequestRateLimits {
  private constructor(
    private readonly instance: FastifyInstance,
    private readonly windowMs: number,
    private readonly onLimited: RateLimited,
    private readonly shape: (body: RateLimitedBody) => object,
  ) {}

  static async install(
    instance: FastifyInstance,
    windowMs: number,
    onLimited: RateLimited,
    shape: (body: RateLimitedBody) => object = (body) => body,
  ): Promise<RequestRateLimits> {
    // `global: false`: no route gets the plugin's own hook; the rules below are the only limits.
    await instance.register(fastifyRateLimit, { global: false, cache: 10_000 });
    return new RequestRateLimits(instance, windowMs, onLimited, shape);
  }

  /** The `onRequest` hook of one rule, for requests `applies` accepts: 429 once a key is over `max` in the window. */
  hook(rule: RateLimitRule, applies: (req: FastifyRequest) => boolean): (req: FastifyRequest, reply: FastifyReply) => Promise<void> {
    const maxOf = rule.maxOf;
    const check = this.instance.createRateLimit({
      max: maxOf ? async (req) => (await maxOf(req)) ?? rule.max : rule.max,
      timeWindow: this.windowMs,
      keyGenerator: (req) => rule.keyOf(req) ?? '',
      allowList: (_req, key) => key === '',
    });
    return async (req, reply) => {
      if (!applies(req)) return;
      const r = await check(req);
      if (r.isAllowed || !r.isExceeded) return;
      const retryAfterSeconds = Math.max(1, r.ttlInSeconds);
      this.onLimited(req, rule, retryAfterSeconds);
      await reply
        .code(429)
        .header('retry-after', String(retryAfterSeconds))
        .header('x-ratelimit-limit', String(r.max))
        .send(
          this.shape({
            error: 'too_many_requests',
            reason: rule.reason,
            limit: { per: rule.per, max: r.max, windowMs: this.windowMs },
            retryAfterSeconds,
          }),
        );
    };
  }
}

/** A per-minute limit as a count in a window of `windowMs` (at least 1). */
export function perWindow(perMinute: number, windowMs: number): number {
  return Math.max(1, Math.round((perMinute * windowMs) / 60_000));
}

/** The client's address as the limits count it: Fastify's `req.ip` (the peer, or a trusted proxy's word), IPv6 by /64. */
export function clientAddress(req: FastifyRequest): string {
  return normalizeIP(req.ip);
}
