import type IORedis from 'ioredis';
import type { HubLogger } from '@hub/platform';

/** What the worker learned at boot about whether its Redis keeps jobs across a restart. */
export type RedisPersistence =
  | { kind: 'append_only' }
  | { kind: 'not_persistent'; appendonly: string }
  | { kind: 'unknown'; reason: string };

/**
 * Reads `CONFIG GET appendonly`. A managed Redis may refuse CONFIG (renamed or ACL-denied):
 * that is `unknown`, not an error — the worker still boots.
 */
export async function checkRedisPersistence(redis: Pick<IORedis, 'config'>): Promise<RedisPersistence> {
  try {
    const reply = (await redis.config('GET', 'appendonly')) as unknown;
    const pairs = Array.isArray(reply) ? (reply as unknown[]) : [];
    const i = pairs.findIndex((v) => String(v).toLowerCase() === 'appendonly');
    if (i < 0 || pairs[i + 1] === undefined) return { kind: 'unknown', reason: 'CONFIG GET appendonly returned no value' };
    const value = String(pairs[i + 1]).toLowerCase();
    return value === 'yes' ? { kind: 'append_only' } : { kind: 'not_persistent', appendonly: value };
  } catch (err) {
    return { kind: 'unknown', reason: (err as Error).message };
  }
}

/** Logs what `checkRedisPersistence` found; a Redis without appendonly is a warning, never a refusal to boot. */
export function logRedisPersistence(logger: HubLogger, p: RedisPersistence): void {
  if (p.kind === 'not_persistent') {
    logger.warn(
      {
        appendonly: p.appendonly,
        risk:
          'a Redis restart loses pending decide jobs, delayed no-response follow-ups and the outbound scan scheduler; ' +
          'the decide jobs are re-enqueued by the start-up reconciliation, see docs/operations.md',
      },
      'nba.redis.not_persistent',
    );
  } else if (p.kind === 'unknown') {
    logger.warn({ reason: p.reason }, 'nba.redis.persistence_unknown');
  }
}
