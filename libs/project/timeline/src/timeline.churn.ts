import {
  CHURN_LEVEL_WITH_SILENCE,
  CHURN_RISK_LEVELS,
  DEFAULT_CHURN_RISK_RULE,
  storedChurnRisk,
  withSilence,
  type ChurnRisk,
  type ChurnRiskInputs,
  type ChurnRiskLevel,
  type ChurnRiskReason,
  type ChurnRiskRule,
  type SatisfactionState,
} from '@hub/customer';
import type { TimelineEntry } from './timeline.projection';
import type { SummaryValue } from './timeline.summary';

/*
 * The churn risk of the timeline read model (`churnRisk…` of @hub/customer, docs/operations.md
 * "Segments: churn risk"). `timeline_customers` keeps, per customer, what the rule reads — value and
 * satisfaction (the facts' summary), and the inbound contacts: how many, the first and latest, and
 * when the customer's words last carried each text signal — plus the level and reasons without
 * silence. Every one of those inputs combines by sum, min or max, so a batch adds its own new
 * entries to them (`ChurnDelta`) instead of reading the customer's history again; silence depends on
 * now and is applied when read (`churnLevelSql`, `churnRiskOfRow`).
 */

/** What a batch's newly inserted entries add to one customer's churn inputs. */
export interface ChurnDelta {
  inbound: number;
  firstInboundAt: string | null;
  lastInboundAt: string | null;
  complaintAt: string | null;
  cancellationAt: string | null;
  repeatContactAt: string | null;
}

const NO_DELTA: ChurnDelta = {
  inbound: 0,
  firstInboundAt: null,
  lastInboundAt: null,
  complaintAt: null,
  cancellationAt: null,
  repeatContactAt: null,
};

const earlier = (a: string | null, b: string): string => (a === null || Date.parse(b) < Date.parse(a) ? b : a);
const later = (a: string | null, b: string): string => (a === null || Date.parse(b) > Date.parse(a) ? b : a);

/**
 * Pure: what these entries (each inserted once: the batch's new rows, not redeliveries) add to their
 * customers' churn inputs, keyed `JSON.stringify([tenant, customer])`. Only inbound entries count.
 */
export function churnDeltas(
  entries: Iterable<Pick<TimelineEntry, 'tenantId' | 'customerId' | 'direction' | 'occurredAt' | 'textSignals'>>,
  into = new Map<string, ChurnDelta>(),
): Map<string, ChurnDelta> {
  for (const e of entries) {
    if (e.direction !== 'inbound') continue;
    const key = JSON.stringify([e.tenantId, e.customerId]);
    const d = into.get(key) ?? { ...NO_DELTA };
    const said = new Set(e.textSignals ?? []);
    into.set(key, {
      inbound: d.inbound + 1,
      firstInboundAt: earlier(d.firstInboundAt, e.occurredAt),
      lastInboundAt: later(d.lastInboundAt, e.occurredAt),
      complaintAt: said.has('complaint') ? later(d.complaintAt, e.occurredAt) : d.complaintAt,
      cancellationAt: said.has('refund_cancel') ? later(d.cancellationAt, e.occurredAt) : d.cancellationAt,
      repeatContactAt: said.has('repeat_contact') ? later(d.repeatContactAt, e.occurredAt) : d.repeatContactAt,
    });
  }
  return into;
}

export function deltaOf(deltas: ReadonlyMap<string, ChurnDelta>, tenantId: string, customerId: string): ChurnDelta {
  return deltas.get(JSON.stringify([tenantId, customerId])) ?? NO_DELTA;
}

/** The columns of `timeline_customers` the rule reads, as `alias.column`. */
export const churnInputColumns = (alias: string): string =>
  [
    'value',
    'satisfaction',
    'inbound_contacts',
    'first_inbound_at',
    'last_inbound_at',
    'last_complaint_at',
    'last_cancellation_at',
    'last_repeat_contact_at',
  ]
    .map((c) => `${alias}.${c}`)
    .join(', ');

export interface ChurnInputRow {
  value: SummaryValue | null;
  satisfaction: SatisfactionState | null;
  inbound_contacts: number;
  first_inbound_at: Date | null;
  last_inbound_at: Date | null;
  last_complaint_at: Date | null;
  last_cancellation_at: Date | null;
  last_repeat_contact_at: Date | null;
}

const iso = (d: Date | null): string | null => d?.toISOString() ?? null;

export function churnInputsOfRow(row: ChurnInputRow): ChurnRiskInputs {
  return {
    value: row.value,
    satisfaction: row.satisfaction,
    inbound: { count: Number(row.inbound_contacts), firstAt: iso(row.first_inbound_at), lastAt: iso(row.last_inbound_at) },
    said: {
      complaint: iso(row.last_complaint_at),
      refund_cancel: iso(row.last_cancellation_at),
      repeat_contact: iso(row.last_repeat_contact_at),
    },
  };
}

/** The level and reasons to store for a row: `storedChurnRisk` of its inputs. */
export function storedChurnRiskOfRow(
  row: ChurnInputRow,
  rule: ChurnRiskRule = DEFAULT_CHURN_RISK_RULE,
): { level: ChurnRiskLevel; reasons: string[] } {
  return storedChurnRisk(churnInputsOfRow(row), rule);
}

/** A customer's churn risk as of `now`, from its stored level and reasons and its inbound contacts (silence). */
export function churnRiskOfRow(
  row: Pick<ChurnInputRow, 'inbound_contacts' | 'first_inbound_at' | 'last_inbound_at'> & {
    churn_level: string | null;
    churn_reasons: string[] | null;
  },
  now: string,
  rule: ChurnRiskRule = DEFAULT_CHURN_RISK_RULE,
): ChurnRisk {
  const level = (row.churn_level ?? 'unknown') as ChurnRiskLevel;
  const inbound = { count: Number(row.inbound_contacts), firstAt: iso(row.first_inbound_at), lastAt: iso(row.last_inbound_at) };
  return withSilence({ level, reasons: (row.churn_reasons ?? []) as ChurnRiskReason[] }, inbound, now, rule);
}

/**
 * SQL: `gone_silent` of `alias`'s row as of `now` (a timestamptz expression), as `isGoneSilent` says
 * it, in seconds since the epoch. The rule's numbers are constants of the code, not input.
 */
export function silentSql(alias: string, now: string, rule: ChurnRiskRule = DEFAULT_CHURN_RISK_RULE): string {
  const span = `extract(epoch from (${alias}.last_inbound_at - ${alias}.first_inbound_at))`;
  const day = 86_400;
  return `(${alias}.inbound_contacts >= ${Number(rule.silenceMinContacts)} and ${span} >= ${Number(rule.silenceMinSpanDays) * day}
    and extract(epoch from (${now} - ${alias}.last_inbound_at)) > greatest(${Number(rule.silenceGapMultiple)} * ${span} / nullif(${alias}.inbound_contacts - 1, 0), ${Number(rule.silenceMinDays) * day}))`;
}

/** SQL: `alias`'s churn level as of `now`: the stored one (null: `unknown`), one step up when gone silent. */
export function churnLevelSql(alias: string, now: string, rule: ChurnRiskRule = DEFAULT_CHURN_RISK_RULE): string {
  const stored = `coalesce(${alias}.churn_level, 'unknown')`;
  const raised = CHURN_RISK_LEVELS.filter((l) => CHURN_LEVEL_WITH_SILENCE[l] !== l)
    .map((l) => `when '${l}' then '${CHURN_LEVEL_WITH_SILENCE[l]}'`)
    .join(' ');
  return `(case when coalesce(${silentSql(alias, now, rule)}, false) then (case ${stored} ${raised} else ${stored} end) else ${stored} end)`;
}
