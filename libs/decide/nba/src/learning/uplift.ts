import type { CustomerEvent } from '@hub/customer';

/**
 * The uplift of each action with a control group (catalog `controlGroupShare`): decisions that
 * contacted the customer with the action (treated) against decisions that chose it and withheld it
 * (control, `NextBestActionDecided.withheld`). Pure; fed a store's customer events in log order
 * (each customer's in stream order), as `hub nba uplift` reads them.
 *
 * The unit is the decision. A treated decision converts when the customer accepted it
 * (`NbaOutcomeRecorded accepted`) or placed an order within the window after it; a control decision
 * converts when the customer placed an order within the window after it (nothing can be accepted:
 * nothing was sent). Uplift = treated rate − control rate, with a 95 % Wald interval (normal
 * approximation of the difference of two proportions; null while either arm is empty).
 */

export interface UpliftArm {
  /** Decisions in the arm, and the distinct customers they were made for. */
  decisions: number;
  customers: number;
  conversions: number;
  /** Of which accepted outcomes (treated only; always 0 for control). */
  accepted: number;
  /** Of which orders within the window. */
  orders: number;
  rate: number | null;
}

export interface UpliftRow {
  actionId: string;
  treated: UpliftArm;
  control: UpliftArm;
  /** treated.rate − control.rate; null while either arm is empty. */
  uplift: number | null;
  /** The 95 % interval of the uplift: [low, high]; null while either arm is empty. */
  ci95: [number, number] | null;
}

export interface UpliftReport {
  windowHours: number;
  from: string | null;
  to: string | null;
  /** Per action that has a control decision or a treated one of an action that has a control group somewhere, by action id. */
  actions: UpliftRow[];
}

interface Exposure {
  actionId: string;
  arm: 'treated' | 'control';
  customer: string;
  decidedAtMs: number;
  accepted: boolean;
  ordered: boolean;
}

const Z95 = 1.959964;

export class Uplift {
  private readonly byDecision = new Map<string, Exposure>();
  /** Per customer, their exposures whose window may still hold an order (in decision order). */
  private readonly open = new Map<string, Exposure[]>();
  /** Actions some decision withheld: the ones with a control group. */
  private readonly controlled = new Set<string>();
  private readonly windowMs: number;
  private readonly fromMs: number;
  private readonly toMs: number;

  constructor(private readonly o: { windowHours: number; from?: string; to?: string }) {
    this.windowMs = o.windowHours * 3_600_000;
    this.fromMs = o.from === undefined ? -Infinity : Date.parse(o.from);
    this.toMs = o.to === undefined ? Infinity : Date.parse(o.to);
  }

  /** One more customer event, in log order. */
  add(tenantId: string, customerId: string, event: CustomerEvent): void {
    const customer = `${tenantId}\u0000${customerId}`;
    const atMs = Date.parse(event.metadata.occurredAt);
    switch (event.type) {
      case 'NextBestActionDecided': {
        if (atMs < this.fromMs || atMs >= this.toMs) return;
        const d = event.data;
        const withheld = d.withheld;
        const treated = !withheld && d.action.kind !== 'none' && d.contactMode !== 'none';
        if (!withheld && !treated) return;
        const exposure: Exposure = {
          actionId: withheld ? withheld.actionId : d.action.code,
          arm: withheld ? 'control' : 'treated',
          customer,
          decidedAtMs: atMs,
          accepted: false,
          ordered: false,
        };
        if (withheld) this.controlled.add(withheld.actionId);
        this.byDecision.set(d.decisionId, exposure);
        const open = this.open.get(customer) ?? [];
        open.push(exposure);
        this.open.set(customer, open);
        return;
      }
      case 'NbaOutcomeRecorded': {
        const exposure = this.byDecision.get(event.data.decisionId);
        if (exposure && exposure.arm === 'treated' && event.data.outcome === 'accepted') exposure.accepted = true;
        return;
      }
      case 'OrderPlaced': {
        const open = this.open.get(customer);
        if (!open) return;
        const live = open.filter((x) => atMs - x.decidedAtMs <= this.windowMs);
        for (const x of live) if (atMs >= x.decidedAtMs) x.ordered = true;
        if (live.length === 0) this.open.delete(customer);
        else this.open.set(customer, live);
        return;
      }
      default:
        return;
    }
  }

  report(): UpliftReport {
    const rows = new Map<string, { treated: Exposure[]; control: Exposure[] }>();
    for (const x of this.byDecision.values()) {
      if (!this.controlled.has(x.actionId)) continue;
      const row = rows.get(x.actionId) ?? { treated: [], control: [] };
      row[x.arm].push(x);
      rows.set(x.actionId, row);
    }
    const actions = [...rows.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([actionId, { treated, control }]): UpliftRow => {
        const t = arm(treated);
        const c = arm(control);
        if (t.rate === null || c.rate === null) return { actionId, treated: t, control: c, uplift: null, ci95: null };
        const uplift = t.rate - c.rate;
        const se = Math.sqrt((t.rate * (1 - t.rate)) / t.decisions + (c.rate * (1 - c.rate)) / c.decisions);
        return { actionId, treated: t, control: c, uplift, ci95: [uplift - Z95 * se, uplift + Z95 * se] };
      });
    return { windowHours: this.o.windowHours, from: this.o.from ?? null, to: this.o.to ?? null, actions };
  }
}

function arm(exposures: readonly Exposure[]): UpliftArm {
  const conversions = exposures.filter((x) => x.accepted || x.ordered).length;
  return {
    decisions: exposures.length,
    customers: new Set(exposures.map((x) => x.customer)).size,
    conversions,
    accepted: exposures.filter((x) => x.accepted).length,
    orders: exposures.filter((x) => x.ordered).length,
    rate: exposures.length === 0 ? null : conversions / exposures.length,
  };
}
