import {
  DEFAULT_QUADRANT_THRESHOLDS,
  foldCustomer,
  quadrantOf,
  type Quadrant,
  type QuadrantThresholds,
  type SatisfactionState,
  type ValueState,
} from '@hub/customer';
import type { SummaryFact } from './timeline.projection';

/** The customer's value as the summary shows it: `ValueState` without the list of order ids. */
export type SummaryValue = Omit<ValueState, 'orderIds'>;

/** What the summary (`timeline_customers`) derives from the customer's orders, refunds and survey answers. */
export interface FactsSummary {
  /** Orders, revenue per currency (minor units: gross, refunded, net) and when; null without any order or refund. */
  value: SummaryValue | null;
  /** Latest CSAT and NPS, the latest answers and the trend; null without any survey answer. */
  satisfaction: SatisfactionState | null;
  /** `quadrantOf` the customer's state; null while neither value nor satisfaction is known. */
  quadrant: Quadrant | null;
}

/**
 * Pure: the summary's value, satisfaction and quadrant from the customer's own facts, in stream
 * order. The facts are folded with the customer domain's own `evolve` and the quadrant is its
 * `quadrantOf`, so the read model agrees with the customer's folded state (value and satisfaction
 * depend on nothing else). A customer with no fact at all has no quadrant rather than the one the
 * thresholds would give an empty history (`low_value_happy`): nothing is known about them yet.
 */
export function summaryOfFacts(facts: readonly SummaryFact[], thresholds: QuadrantThresholds = DEFAULT_QUADRANT_THRESHOLDS): FactsSummary {
  if (facts.length === 0) return { value: null, satisfaction: null, quadrant: null };
  const state = foldCustomer(facts);
  const { orderIds: _orderIds, ...value } = state.value;
  const hasValue = facts.some((f) => f.type === 'OrderPlaced' || f.type === 'OrderRefunded');
  const hasSatisfaction = facts.some((f) => f.type === 'SurveyAnswered');
  return {
    value: hasValue ? value : null,
    satisfaction: hasSatisfaction ? state.satisfaction : null,
    quadrant: quadrantOf(state, thresholds),
  };
}
