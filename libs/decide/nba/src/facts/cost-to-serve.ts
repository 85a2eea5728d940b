import type { ChannelId } from '@hub/contracts';
import type { CustomerState } from '@hub/customer';

/**
 * What serving a customer costs, per interaction on each channel (a call costs an agent's minutes,
 * an SMS a carrier's fee, a web chat little): a catalog's table (catalog v4 on), in the minor unit
 * of one currency, like the revenue it is set against.
 */
export interface CostToServe {
  /** ISO 4217: the revenue in this currency is what the cost is set against. */
  currency: string;
  /** The cost of one interaction on a channel the table does not name. */
  defaultPerInteraction: number;
  /** The cost of one interaction, inbound or outbound, per channel. */
  perInteraction: Readonly<Partial<Record<ChannelId, number>>>;
}

/** A customer's value net of what serving them cost: revenue − cost to serve, in the table's currency. */
export interface Profitability {
  currency: string;
  /** Net revenue (ordered − refunded) in `currency`; revenue in other currencies is not counted. */
  revenue: number;
  costToServe: number;
  profit: number;
  /** Interactions and their cost per channel. */
  byChannel: Partial<Record<ChannelId, { interactions: number; cost: number }>>;
}

/** The customer's profitability under `costs`, from the folded state (every interaction recorded, either direction). Pure. */
export function profitabilityOf(state: CustomerState, costs: CostToServe): Profitability {
  const byChannel: Profitability['byChannel'] = {};
  let costToServe = 0;
  for (const [channel, engagement] of Object.entries(state.engagement.byChannel) as [ChannelId, { count: number } | undefined][]) {
    if (!engagement || engagement.count === 0) continue;
    const cost = engagement.count * (costs.perInteraction[channel] ?? costs.defaultPerInteraction);
    byChannel[channel] = { interactions: engagement.count, cost };
    costToServe += cost;
  }
  const revenue = state.value.revenue[costs.currency]?.net ?? 0;
  return { currency: costs.currency, revenue, costToServe, profit: revenue - costToServe, byChannel };
}
