/** The parts of the query API's answers the console reads (docs/operations.md; apps/query/query-api). */

export interface Identity {
  kind: string;
  value: string;
  namespace?: string;
}

export interface TimelineEntry {
  eventId: string;
  customerId: string;
  occurredAt: string;
  recordedAt: string;
  channel: string;
  direction: string;
  kind: string;
  text: string | null;
  threadId?: string;
  textSignals?: string[];
  /** The interaction's facets (a call's, an email's, a survey's, an order's), when it has any. */
  details?: {
    call?: { status: string; durationSeconds?: number };
    email?: { subject?: string };
    survey?: { kind: 'csat' | 'nps'; score: number };
    order?: { orderId: string; action: 'created' | 'refunded'; amount: number; currency: string };
  };
}

export interface SurveyScore {
  survey: 'csat' | 'nps';
  score: number;
  at: string;
}

export interface CustomerState {
  status: string;
  customerId?: string;
  registeredAt?: string;
  identities: Identity[];
  engagement: { total: number; inbound: number; byChannel: Record<string, { count: number; lastAt: string } | undefined> };
  consent: Record<string, string | undefined>;
  preferredChannel?: string;
  satisfaction: { csat?: SurveyScore; nps?: SurveyScore; answers: SurveyScore[]; trend: string };
  value: { orders: number; revenue: Record<string, { gross: number; refunded: number; net: number } | undefined>; lastOrderAt?: string };
  textSignals: Record<string, { count: number; lastAt: string } | undefined>;
  mergedInto?: string;
  mergedFrom: string[];
  mergeProposals: { proposalId: string; otherId: string; source: string; reason: string; proposedAt: string }[];
  rejectedMergeProposals: { proposalId: string; otherId: string; reason: string; rejectedAt: string }[];
}

export interface CustomerSummary {
  customerId: string;
  firstSeenAt: string;
  lastSeenAt: string | null;
  interactions: number;
  channels: string[];
  preferredChannel: string | null;
  quadrant: string;
  churnRisk: { level: string; reasons: string[] };
  identities: Identity[];
}

export interface CustomerLookup extends CustomerSummary {
  state: CustomerState;
  revision: string;
}

export interface NbaDecision {
  decisionId: string;
  action: { kind: string; code: string; channel?: string; detail: string };
  contactMode: string;
  explanation: { ruleId: string; reason: string; inputs: Record<string, string | number | boolean | null> };
  strategyVersion: string;
  decidedAt: string;
}

export interface MergeAnswer {
  outcome: 'merged' | 'proposed' | 'refused' | 'unchanged' | 'rejected';
  mergeId?: string;
  reasonCode: string;
  reason: string;
}
