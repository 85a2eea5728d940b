import type { NextBestActionDecided } from '@hub/customer';

/** A JSON value, as a decision reads once stored and read back. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * A recorded decision as one JSON object: the event's data plus the metadata that belong to the
 * decision (event id, tenant, when it was decided, what caused it). Everything a `Decision` holds is
 * in it, so two records are equal exactly when the decisions are; the correlation id and the
 * recording time are not part of a decision and are left out. Passed through JSON, as the store
 * does (`undefined` fields vanish, -0 reads as 0).
 */
export function decisionRecord(event: NextBestActionDecided): { [key: string]: Json } {
  const { metadata, data } = event;
  return JSON.parse(
    JSON.stringify({
      eventId: metadata.eventId,
      tenantId: metadata.tenantId,
      decidedAt: metadata.occurredAt,
      causationId: metadata.causationId,
      ...data,
    }),
  ) as { [key: string]: Json };
}

/** One place two JSON values differ; a side that has nothing there has no `stored` / `recomputed` key. */
export interface Difference {
  /** Dotted path from the record's root: `arbitration.candidates.3.score.priority`. */
  path: string;
  stored?: Json;
  recomputed?: Json;
}

const kindOf = (v: Json): string => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

/**
 * Every path where `recomputed` differs from `stored`, depth first, in the stored value's key order
 * (keys only the recomputed side has come after). Numbers are compared exactly (`Object.is`, so 0 and
 * -0 differ, NaN equals NaN): bit for bit.
 */
export function jsonDifferences(stored: Json | undefined, recomputed: Json | undefined, path = ''): Difference[] {
  const at = (key: string | number) => (path === '' ? String(key) : `${path}.${key}`);
  if (stored === undefined || recomputed === undefined) {
    if (stored === recomputed) return [];
    return [{ path, ...(stored !== undefined ? { stored } : {}), ...(recomputed !== undefined ? { recomputed } : {}) }];
  }
  const kind = kindOf(stored);
  if (kind !== kindOf(recomputed)) return [{ path, stored, recomputed }];
  if (kind === 'array') {
    const [a, b] = [stored as Json[], recomputed as Json[]];
    const out: Difference[] = [];
    for (let i = 0; i < Math.max(a.length, b.length); i++) out.push(...jsonDifferences(a[i], b[i], at(i)));
    return out;
  }
  if (kind === 'object') {
    const [a, b] = [stored as { [key: string]: Json }, recomputed as { [key: string]: Json }];
    const keys = [...Object.keys(a), ...Object.keys(b).filter((k) => !Object.hasOwn(a, k))];
    return keys.flatMap((k) => jsonDifferences(Object.hasOwn(a, k) ? a[k] : undefined, Object.hasOwn(b, k) ? b[k] : undefined, at(k)));
  }
  return Object.is(stored, recomputed) ? [] : [{ path, stored, recomputed }];
}
