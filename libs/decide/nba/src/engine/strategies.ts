/**
 * Every version of the engine's logic that recorded decisions, runnable side by side. A decision
 * names the one it ran (`strategyVersion`, in its id too), and `reproduceDecision` runs that one, so
 * a change of meaning adds a version here and never takes one away: the versions that recorded
 * decisions stay runnable. The worker decides with `STRATEGY_VERSION`.
 *
 * A version is the engine (`decide`) with what differs between versions switched by the fields
 * below; everything else (facts, policies, arbitration, sampling) is shared, and a change to it is a
 * change of meaning for every version: it needs a new version, and the old behaviour kept behind a
 * field here (a test replays decisions recorded by every version: `strategies.spec.ts`).
 */
export interface Strategy {
  version: string;
  /**
   * The customer's own words count: the text signals recorded on inbound interactions
   * (`state.textSignals`, `InteractionRecorded.data.textSignals`) feed `intent.complaintWithin24h`,
   * `churn.signals` (stated complaint, stated cancellation, a stated repeat contact) and the facts
   * `signals.trigger` and `signals.last24h`, and the explanation names them (`inputs.signals`). When
   * false the signals are not read at all: those two facts and `inputs.signals` are absent.
   */
  textSignals: boolean;
  /**
   * What a decision's state and contact history were folded from: the customer's own stream, or
   * their whole history (their stream and the streams of the customers merged into them, by global
   * position: `wholeHistory` in @hub/customer). Only a survivor of a merge tells the two apart.
   */
  reads: 'own-stream' | 'whole-history';
}

export const STRATEGIES = {
  /** The first catalog engine (b4a35a5 to 918f975): keyword intents, no text signals, a survivor's own stream only. */
  'nba-engine-v1': { version: 'nba-engine-v1', textSignals: false, reads: 'own-stream' },
  /** v2: the customer's words count (text signals), and a survivor is decided on as the whole person (its whole history). */
  'nba-engine-v2': { version: 'nba-engine-v2', textSignals: true, reads: 'whole-history' },
} as const satisfies Record<string, Strategy>;

export type StrategyVersion = keyof typeof STRATEGIES;

/** The version the worker decides with today. Bump (add a version above) on any change of meaning. */
export const STRATEGY_VERSION: StrategyVersion = 'nba-engine-v2';

export const STRATEGY_VERSIONS = Object.keys(STRATEGIES) as StrategyVersion[];

/** The strategy of a version a decision names; undefined for a version this build does not have. */
export function strategyOf(version: string): Strategy | undefined {
  return Object.prototype.hasOwnProperty.call(STRATEGIES, version) ? STRATEGIES[version as StrategyVersion] : undefined;
}
