import {
  evolve,
  initialCustomerState,
  NBA_OUTCOMES,
  type CustomerEvent,
  type CustomerState,
  type NbaContactMode,
  type NbaOutcome,
  type NextBestActionDecided,
} from '@hub/customer';
import type { Catalog } from '../catalog/catalog.types';
import { catalogByVersion } from '../catalog/catalog-versions';
import { decide, type Decision } from '../engine/decide';
import { buildDecisionInput } from '../engine/decision-input';
import { overlayTally, recordedTally } from '../explain/recorded-posteriors';
import { contactHistoryAfter, emptyContactHistory, type ContactHistory } from '../history/contact-history';
import { tallyAfter, type OutcomeTally } from '../learning/outcomes';

/** One customer event of the log, in global order, with where it is. */
export interface BacktestEvent {
  tenantId: string;
  customerId: string;
  /** Its revision in the customer's stream. */
  revision: bigint;
  event: CustomerEvent;
}

export interface BacktestOptions {
  /** The catalog to try. */
  candidate: Catalog;
  /** Decisions decided (`occurredAt`) at or after `from` and before `to` are replayed. */
  from: string;
  to: string;
  /** The catalogs the decisions were made with, by version; default the shipped ones. */
  catalogOf?: (catalogVersion: string) => Catalog | undefined;
}

/** What one side (what was decided, or what the candidate decides) chose at one decision point. */
export interface BacktestChoice {
  actionId: string;
  channel: string | null;
  contactMode: NbaContactMode;
  /** V of the chosen action in the catalog that chose it (0 for doing nothing). */
  value: number;
}

export interface BacktestDecision {
  decisionId: string;
  tenantId: string;
  customerId: string;
  decidedAt: string;
  catalogVersion: string;
  decided: BacktestChoice;
  candidate: BacktestChoice;
  /** Where the posteriors came from: the decision's record (as it was decided), or the outcomes replayed up to it (catalog unknown to this build). */
  posteriors: 'recorded' | 'replayed';
}

export const BACKTEST_SKIP_REASONS = ['first_rule_set', 'revision_not_found', 'trigger_not_found'] as const;
export type BacktestSkipReason = (typeof BACKTEST_SKIP_REASONS)[number];

interface CustomerReplay {
  events: CustomerEvent[];
  revisions: bigint[];
  state: CustomerState;
  history: ContactHistory;
}

const OUTSIDE = Symbol('outside');

/**
 * A backtest: the log replayed in global order, and at every decision recorded in the window, the
 * engine asked again with a candidate catalog, on the input the decision had (`buildDecisionInput`:
 * the customer's stream up to `basedOnRevision`, the trigger, the decision's `now` and seed).
 *
 * Posteriors: for the (action, segment) pairs the decision scored, the counts its recorded posterior
 * implies (`recordedOutcomes`), so the decision's own catalog gives back exactly what was decided;
 * for the others, the outcomes recorded earlier in the log (the population tally as a projection
 * would have had it). Contact history is what really happened (the recorded decisions and
 * outcomes): the candidate's caps and cooldowns count the contacts that were made, not the ones it
 * would have made instead. Pure and in memory: feed `add` the events, read `report`.
 */
export class Backtest {
  private readonly customers = new Map<string, CustomerReplay>();
  private readonly fromMs: number;
  private readonly toMs: number;
  private readonly catalogOf: (catalogVersion: string) => Catalog | undefined;
  private tally: OutcomeTally = {};
  /** The first outcome recorded per decision (the one that stands). */
  private readonly outcomes = new Map<string, NbaOutcome>();
  readonly decisions: BacktestDecision[] = [];
  readonly skipped: Record<BacktestSkipReason, number> = { first_rule_set: 0, revision_not_found: 0, trigger_not_found: 0 };

  constructor(private readonly o: BacktestOptions) {
    this.fromMs = Date.parse(o.from);
    this.toMs = Date.parse(o.to);
    if (Number.isNaN(this.fromMs) || Number.isNaN(this.toMs)) throw new RangeError('Backtest: from and to must be ISO 8601 instants');
    this.catalogOf = o.catalogOf ?? catalogByVersion;
  }

  /** The next event of the log (global order). */
  add({ tenantId, customerId, revision, event }: BacktestEvent): void {
    const key = `${tenantId}\u0000${customerId}`;
    let customer = this.customers.get(key);
    if (!customer) {
      customer = { events: [], revisions: [], state: initialCustomerState(), history: emptyContactHistory() };
      this.customers.set(key, customer);
    }
    if (event.type === 'NextBestActionDecided') {
      const replayed = this.replay(tenantId, customerId, customer, event);
      if (replayed !== OUTSIDE) {
        if (typeof replayed === 'string') this.skipped[replayed] += 1;
        else this.decisions.push(replayed);
      }
    }
    if (event.type === 'NbaOutcomeRecorded') {
      const d = event.data;
      this.tally = tallyAfter(this.tally, { actionId: d.actionId, segment: d.segment, outcome: d.outcome });
      if (!this.outcomes.has(d.decisionId)) this.outcomes.set(d.decisionId, d.outcome);
    }
    customer.events.push(event);
    customer.revisions.push(revision);
    customer.state = evolve(customer.state, event);
    customer.history = contactHistoryAfter(customer.history, event);
  }

  /** The outcome that stands for a decision, or undefined while none was recorded. */
  outcomeOf(decisionId: string): NbaOutcome | undefined {
    return this.outcomes.get(decisionId);
  }

  private replay(
    tenantId: string,
    customerId: string,
    customer: CustomerReplay,
    decided: NextBestActionDecided,
  ): BacktestDecision | BacktestSkipReason | typeof OUTSIDE {
    const at = Date.parse(decided.metadata.occurredAt);
    if (!(at >= this.fromMs && at < this.toMs)) return OUTSIDE;
    const d = decided.data;
    if (d.arbitration === null || d.seed === null || d.catalogVersion === null) return 'first_rule_set';
    const revision = /^\d+$/.test(d.basedOnRevision) ? BigInt(d.basedOnRevision) : undefined;
    const last = customer.revisions.at(-1);
    if (revision === undefined || last === undefined || revision > last) return 'revision_not_found';
    // Usually the decision comes right after the revision it was based on: the folds are current.
    const current = revision === last;
    const count = current ? customer.events.length : customer.revisions.findIndex((r) => r > revision);
    const events = current ? customer.events : customer.events.slice(0, count);

    const recordedCatalog = this.catalogOf(d.catalogVersion);
    const outcomes = recordedCatalog ? overlayTally(this.tally, recordedTally(d, recordedCatalog).tally) : this.tally;
    const input = buildDecisionInput({
      tenantId,
      customerId,
      events,
      revision,
      triggerEventId: d.basedOnEventId,
      catalog: this.o.candidate,
      outcomes,
      now: decided.metadata.occurredAt,
      seed: d.seed,
      ...(current ? { folded: { state: customer.state, history: customer.history } } : {}),
    });
    if (!input) return 'trigger_not_found';
    const candidate = decide(input);
    return {
      decisionId: d.decisionId,
      tenantId,
      customerId,
      decidedAt: decided.metadata.occurredAt,
      catalogVersion: d.catalogVersion,
      decided: {
        actionId: d.action.code,
        channel: d.action.channel ?? null,
        contactMode: d.contactMode,
        value: decidedValue(d, recordedCatalog),
      },
      candidate: choiceOf(candidate),
      posteriors: recordedCatalog ? 'recorded' : 'replayed',
    };
  }

  report(): BacktestReport {
    return backtestReport(this, this.o);
  }
}

/** V of the decided action: as a v2 decision scored it, else the catalog's (the do-nothing action is never scored: 0). */
function decidedValue(d: NextBestActionDecided['data'], catalog: Catalog | undefined): number {
  if (d.arbitration) return d.arbitration.candidates.find((c) => c.actionId === d.action.code)?.score?.value ?? 0;
  if (d.action.kind === 'none') return 0;
  return catalog?.actions.find((a) => a.id === d.action.code)?.value ?? 0;
}

function choiceOf(decision: Decision): BacktestChoice {
  const { chosen } = decision;
  return {
    actionId: chosen.actionId,
    channel: chosen.channel,
    contactMode: chosen.contactMode,
    value: decision.candidates.find((c) => c.actionId === chosen.actionId)?.score?.value ?? 0,
  };
}

export interface OutcomeCountsRow {
  accepted: number;
  declined: number;
  noResponse: number;
  /** No outcome recorded (yet). */
  pending: number;
  /** accepted / (accepted + declined + no response); null when none has an outcome. */
  acceptance: number | null;
}

export interface BacktestReport {
  from: string;
  to: string;
  candidateCatalogVersion: string;
  /** Replayed decisions per catalog version they were made with. */
  decidedCatalogVersions: Record<string, number>;
  decisions: number;
  skipped: Record<BacktestSkipReason, number>;
  /** Decisions whose posteriors were replayed from the log rather than taken from the record (their catalog is not shipped). */
  replayedPosteriors: number;
  agreement: { sameAction: number; sameActionAndChannel: number; rate: number | null };
  /** Per action id: how often each side chose it, and what became of the decided ones. */
  actions: ({ actionId: string; decided: number; candidate: number } & OutcomeCountsRow)[];
  /** Per channel (`none`: no channel): choices of each side, and how many were proactive contacts. */
  channels: { channel: string; decided: number; candidate: number; decidedProactive: number; candidateProactive: number }[];
  /** Outcomes of the decided actions that reach the customer (all but doing nothing). */
  outcomes: OutcomeCountsRow;
  /** Sum of V (catalog value) of the chosen actions; `decidedAccepted`: of the decided ones accepted. */
  value: { decided: number; decidedAccepted: number; candidate: number };
  proactive: { decided: number; candidate: number };
  /** Where the candidate chose another action: decided → candidate, most frequent first. */
  changes: { from: string; to: string; count: number }[];
}

function outcomeRow(outcomes: readonly (NbaOutcome | undefined)[]): OutcomeCountsRow {
  const n = { accepted: 0, declined: 0, no_response: 0 } satisfies Record<(typeof NBA_OUTCOMES)[number], number>;
  let pending = 0;
  for (const o of outcomes) {
    if (o === undefined) pending += 1;
    else n[o] += 1;
  }
  const answered = n.accepted + n.declined + n.no_response;
  return {
    accepted: n.accepted,
    declined: n.declined,
    noResponse: n.no_response,
    pending,
    acceptance: answered === 0 ? null : n.accepted / answered,
  };
}

const bump = (m: Map<string, number>, k: string, by = 1) => m.set(k, (m.get(k) ?? 0) + by);

/** The aggregate comparison of a backtest's decisions. */
export function backtestReport(
  run: Pick<Backtest, 'decisions' | 'skipped' | 'outcomeOf'>,
  o: Pick<BacktestOptions, 'candidate' | 'from' | 'to'>,
): BacktestReport {
  const { decisions } = run;
  const versions = new Map<string, number>();
  const actionIds: string[] = [];
  const seen = new Set<string>();
  const addAction = (id: string) => {
    if (!seen.has(id)) actionIds.push(id);
    seen.add(id);
  };
  o.candidate.actions.forEach((a) => addAction(a.id));
  const decidedBy = new Map<string, number>();
  const candidateBy = new Map<string, number>();
  const outcomesBy = new Map<string, (NbaOutcome | undefined)[]>();
  const channels = new Map<string, { decided: number; candidate: number; decidedProactive: number; candidateProactive: number }>();
  const channel = (c: string | null) => {
    const k = c ?? 'none';
    let row = channels.get(k);
    if (!row) channels.set(k, (row = { decided: 0, candidate: 0, decidedProactive: 0, candidateProactive: 0 }));
    return row;
  };
  const changes = new Map<string, number>();
  let sameAction = 0;
  let sameActionAndChannel = 0;
  const value = { decided: 0, decidedAccepted: 0, candidate: 0 };
  const proactive = { decided: 0, candidate: 0 };
  const contacted: (NbaOutcome | undefined)[] = [];

  for (const d of decisions) {
    bump(versions, d.catalogVersion);
    addAction(d.decided.actionId);
    addAction(d.candidate.actionId);
    bump(decidedBy, d.decided.actionId);
    bump(candidateBy, d.candidate.actionId);
    const outcome = run.outcomeOf(d.decisionId);
    if (d.decided.contactMode !== 'none') {
      contacted.push(outcome);
      outcomesBy.set(d.decided.actionId, [...(outcomesBy.get(d.decided.actionId) ?? []), outcome]);
    }
    const dc = channel(d.decided.channel);
    const cc = channel(d.candidate.channel);
    dc.decided += 1;
    cc.candidate += 1;
    if (d.decided.contactMode === 'proactive') {
      dc.decidedProactive += 1;
      proactive.decided += 1;
    }
    if (d.candidate.contactMode === 'proactive') {
      cc.candidateProactive += 1;
      proactive.candidate += 1;
    }
    value.decided += d.decided.value;
    value.candidate += d.candidate.value;
    if (outcome === 'accepted') value.decidedAccepted += d.decided.value;
    if (d.decided.actionId === d.candidate.actionId) {
      sameAction += 1;
      if (d.decided.channel === d.candidate.channel) sameActionAndChannel += 1;
    } else {
      bump(changes, `${d.decided.actionId}\u0000${d.candidate.actionId}`);
    }
  }

  return {
    from: o.from,
    to: o.to,
    candidateCatalogVersion: o.candidate.catalogVersion,
    decidedCatalogVersions: Object.fromEntries(versions),
    decisions: decisions.length,
    skipped: { ...run.skipped },
    replayedPosteriors: decisions.filter((d) => d.posteriors === 'replayed').length,
    agreement: { sameAction, sameActionAndChannel, rate: decisions.length === 0 ? null : sameAction / decisions.length },
    actions: actionIds
      .map((actionId) => ({
        actionId,
        decided: decidedBy.get(actionId) ?? 0,
        candidate: candidateBy.get(actionId) ?? 0,
        ...outcomeRow(outcomesBy.get(actionId) ?? []),
      }))
      .filter((r) => r.decided > 0 || r.candidate > 0),
    channels: [...channels.entries()]
      .map(([c, row]) => ({ channel: c, ...row }))
      .sort((a, b) => b.decided + b.candidate - (a.decided + a.candidate) || a.channel.localeCompare(b.channel)),
    outcomes: outcomeRow(contacted),
    value,
    proactive,
    changes: [...changes.entries()]
      .map(([k, count]) => {
        const [from, to] = k.split('\u0000') as [string, string];
        return { from, to, count };
      })
      .sort((a, b) => b.count - a.count || a.from.localeCompare(b.from) || a.to.localeCompare(b.to)),
  };
}
