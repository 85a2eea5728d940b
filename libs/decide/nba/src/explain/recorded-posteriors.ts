import type { NbaArbitration, NextBestActionDecided } from '@hub/customer';
import type { Catalog } from '../catalog/catalog.types';
import { posterior, UNKNOWN_SEGMENT, type OutcomeCounts, type OutcomeTally } from '../learning/outcomes';

/**
 * Posteriors as a decision recorded them. A decision samples each action's Beta(alpha, beta) from
 * the population's outcome tally at that moment, which no stream keeps (it is every customer's
 * outcomes as a projection had them when the decision was made). What the decision recorded is
 * alpha and beta per scored action (`score.propensity`); this gives back a tally that, through the
 * engine's own `posterior` and the decision's catalog, yields exactly those numbers, bit for bit.
 */

const view = new DataView(new ArrayBuffer(8));

/** The next double after `x` towards +∞ (`up`) or −∞. */
function nextAfter(x: number, up: boolean): number {
  if (x === 0) return up ? Number.MIN_VALUE : -Number.MIN_VALUE;
  view.setFloat64(0, x);
  const bits = view.getBigUint64(0);
  view.setBigUint64(0, x > 0 === up ? bits + 1n : bits - 1n);
  return view.getFloat64(0);
}

/**
 * A count `y` with `prior + y === target` in floating point: the integer the tally held when there
 * is one (the usual case), else the nearest double that adds up exactly (a no-response weighted 0.5
 * makes beta's count fractional, and the engine adds it in a different order than one sum).
 */
export function countAddingUpTo(prior: number, target: number): number | undefined {
  if (!Number.isFinite(prior) || !Number.isFinite(target)) return undefined;
  const whole = Math.round(target - prior);
  if (prior + whole === target) return whole;
  let lo = target - prior;
  let hi = lo;
  if (prior + lo === target) return lo;
  for (let i = 0; i < 64; i++) {
    lo = nextAfter(lo, false);
    hi = nextAfter(hi, true);
    if (prior + lo === target) return lo;
    if (prior + hi === target) return hi;
  }
  return undefined;
}

export interface RecordedOutcomes {
  /** Counts for (action, the decision's segment) of every action the decision scored. */
  tally: OutcomeTally;
  /** Scored actions whose recorded alpha/beta no count reproduces with this catalog (missing from it, or its prior cannot add up). */
  unmatched: string[];
}

/**
 * The outcome tally that reproduces the posteriors a decision recorded, read against `catalog` (the
 * catalog the decision was made with: its base propensities and learning settings are the priors).
 * Counts go in `accepted` and `declined` only (no-responses folded into `declined`: the engine only
 * ever reads alpha and beta).
 */
export function recordedOutcomes(arbitration: Pick<NbaArbitration, 'segment' | 'candidates'>, catalog: Catalog): RecordedOutcomes {
  const tally: Record<string, Record<string, OutcomeCounts>> = {};
  const unmatched: string[] = [];
  const { learning } = catalog;
  for (const candidate of arbitration.candidates) {
    if (!candidate.score) continue;
    const action = catalog.actions.find((a) => a.id === candidate.actionId);
    const { alpha, beta } = candidate.score.propensity;
    const accepted = action ? countAddingUpTo(action.basePropensity * learning.priorStrength, alpha) : undefined;
    const declined = action ? countAddingUpTo((1 - action.basePropensity) * learning.priorStrength, beta) : undefined;
    if (!action || accepted === undefined || declined === undefined) {
      unmatched.push(candidate.actionId);
      continue;
    }
    const counts: OutcomeCounts = { accepted, declined, noResponse: 0 };
    // Checked with the engine's own arithmetic, not assumed.
    const check = posterior(action.basePropensity, counts, learning);
    if (check.alpha !== alpha || check.beta !== beta) {
      unmatched.push(candidate.actionId);
      continue;
    }
    tally[candidate.actionId] = { [arbitration.segment]: counts };
  }
  return { tally, unmatched };
}

/** `base` with the counts of `overlay` in place of its own for the (action, segment) pairs `overlay` holds. */
export function overlayTally(base: OutcomeTally, overlay: OutcomeTally): OutcomeTally {
  const out: Record<string, Readonly<Record<string, OutcomeCounts>>> = { ...base };
  for (const [actionId, bySegment] of Object.entries(overlay)) out[actionId] = { ...(out[actionId] ?? {}), ...bySegment };
  return out;
}

/**
 * The outcome tally a recorded decision sampled from, as far as it read it: a v3 decision recorded
 * the counts themselves (`outcomes`, in its segment); a v2 decision recorded the posteriors, turned
 * back into counts against `catalog` (`recordedOutcomes`).
 */
export function recordedTally(
  data: Pick<NextBestActionDecided['data'], 'arbitration' | 'segment' | 'outcomes'>,
  catalog: Catalog,
): RecordedOutcomes {
  if (data.arbitration) return recordedOutcomes(data.arbitration, catalog);
  const segment = data.segment ?? UNKNOWN_SEGMENT;
  const tally: Record<string, Record<string, OutcomeCounts>> = {};
  for (const [actionId, c] of Object.entries(data.outcomes ?? {})) {
    tally[actionId] = { [segment]: { accepted: c.accepted, declined: c.declined, noResponse: c.noResponse } };
  }
  return { tally, unmatched: [] };
}
