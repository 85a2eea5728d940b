import type { NbaOutcome } from '@hub/customer';

/** Outcomes of one action in one segment. */
export interface OutcomeCounts {
  accepted: number;
  declined: number;
  noResponse: number;
}

/** Outcome counts by action id, then by segment: the sufficient statistics of every posterior. */
export type OutcomeTally = Readonly<Record<string, Readonly<Record<string, OutcomeCounts>>>>;

export interface OutcomeObservation {
  actionId: string;
  /** Null (a decision of the first rule set) counts in the segment `unknown`. */
  segment: string | null;
  outcome: NbaOutcome;
}

export const UNKNOWN_SEGMENT = 'unknown';
const ZERO: OutcomeCounts = { accepted: 0, declined: 0, noResponse: 0 };
const own = <T>(o: Readonly<Record<string, T>>, k: string): T | undefined =>
  Object.prototype.hasOwnProperty.call(o, k) ? o[k] : undefined;

/** The tally after one more outcome (a fold step: a projection over all customers keeps it current). */
export function tallyAfter(tally: OutcomeTally, o: OutcomeObservation): OutcomeTally {
  const segment = o.segment ?? UNKNOWN_SEGMENT;
  const bySegment = own(tally, o.actionId) ?? {};
  const c = own(bySegment, segment) ?? ZERO;
  const next: OutcomeCounts =
    o.outcome === 'accepted'
      ? { ...c, accepted: c.accepted + 1 }
      : o.outcome === 'declined'
        ? { ...c, declined: c.declined + 1 }
        : { ...c, noResponse: c.noResponse + 1 };
  return { ...tally, [o.actionId]: { ...bySegment, [segment]: next } };
}

export function tallyOutcomes(outcomes: Iterable<OutcomeObservation>): OutcomeTally {
  let tally: OutcomeTally = {};
  for (const o of outcomes) tally = tallyAfter(tally, o);
  return tally;
}

export function countsOf(tally: OutcomeTally, actionId: string, segment: string): OutcomeCounts {
  return own(own(tally, actionId) ?? {}, segment) ?? ZERO;
}

export interface LearningSettings {
  /** Weight of the prior, in pseudo-observations: Beta(p·n, (1 − p)·n) for base propensity p. */
  priorStrength: number;
  /** How much a no-response counts as a failure (1: like a decline). */
  noResponseWeight: number;
}

export interface Posterior {
  alpha: number;
  beta: number;
  mean: number;
}

/**
 * The Beta-Bernoulli posterior of "the customer accepts" for one (action, segment): the catalog's
 * base propensity as prior, updated with accepted as successes and declined (+ weighted
 * no-responses) as failures.
 */
export function posterior(basePropensity: number, counts: OutcomeCounts, s: LearningSettings): Posterior {
  const alpha = basePropensity * s.priorStrength + counts.accepted;
  const beta = (1 - basePropensity) * s.priorStrength + counts.declined + s.noResponseWeight * counts.noResponse;
  return { alpha, beta, mean: alpha / (alpha + beta) };
}
