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
  /** Net revenue less the cost to serve, under the catalog's cost table (null without one; absent from older query APIs). */
  profitability?: { currency: string; revenue: number; costToServe: number; profit: number } | null;
}

export interface NbaDecision {
  decisionId: string;
  action: { kind: string; code: string; channel?: string; detail: string };
  contactMode: string;
  explanation: { ruleId: string; reason: string; inputs: Record<string, string | number | boolean | null> };
  strategyVersion: string;
  decidedAt: string;
  /** What became of it: accepted / declined / no_response, who observed it, when; null while open (absent from older query APIs). */
  outcome?: { outcome: string; source: string; at: string } | null;
  /** What the outbound sender did with it, per channel (the send ledger). */
  sends?: NbaSend[];
}

/** One send of a decision, as the query API shows it (never the recipient or the text). */
export interface NbaSend {
  channel: string;
  state: 'intent' | 'sent' | 'failed_permanent' | 'not_sent' | 'in_doubt' | 'skipped';
  attempts: number;
  provider: string;
  updatedAt: string;
  providerMessageId?: string;
  errorCode?: string;
  errorMessage?: string;
  skipReason?: string;
  /** What the provider later said of the message (its furthest delivery status), linked by its message id. */
  delivery?: { status: 'sent' | 'delivered' | 'read' | 'failed'; at: string; errorCode?: string };
}

/** `GET /tenants/:t/work-items`: an escalation handed to people (the nba-worker's projection of `WorkItem*`). */
export interface WorkItem {
  workItemId: string;
  customerId: string;
  decisionId: string;
  actionId: string;
  queue: string;
  priority: 'urgent' | 'high' | 'normal' | 'low';
  status: 'open' | 'claimed' | 'resolved';
  assignee: string | null;
  openedAt: string;
  dueAt: string;
  resolvedAt: string | null;
  resolution: string | null;
}

export interface MergeAnswer {
  outcome: 'merged' | 'proposed' | 'refused' | 'unchanged' | 'rejected';
  mergeId?: string;
  reasonCode: string;
  reason: string;
}

/** `GET /replays` (the query API's `ReplayRun`, as much as the console shows). */
export interface ReplayRun {
  id: string;
  state: 'running' | 'succeeded' | 'failed';
  stage: string;
  options: { tenantId?: string; diff?: boolean; takeover?: boolean };
  requestedBy: string | null;
  progress: { eventsDone: number; eventsTotal: number; percent: number; eventsPerSecond: number; etaSeconds: number | null } | null;
  report: {
    rebuild: { events: number; seconds: number; eventsPerSecond: number };
    diff?: { customers: number; missing: number; extra: number; changed: number; compared: { live: number; rebuilt: number } };
    takeover?: Record<string, unknown>;
  } | null;
  error: { code: string; message: string } | null;
  startedAt: string;
  finishedAt: string | null;
}

/** `GET /admin/v1/dead-letters` (`DeadLetter` of @hub/messaging). */
export interface DeadLetter {
  partition: number;
  offset: string;
  at: string;
  key: string | null;
  code: string | null;
  reason: string | null;
  tenantId: string | null;
  channel: string | null;
  eventType: string | null;
  eventId: string | null;
  source: { topic: string; partition: number | null; offset: string | null } | null;
  body: unknown;
  redrive: { possible: true; from: 'dead-letter' | 'source' } | { possible: false; why: string };
}

export interface DeadLetterPage {
  topic: string;
  deadLetters: DeadLetter[];
  nextBefore: string | null;
  scanned: number;
}

/** `POST /admin/v1/dead-letters/redrive` (`RedriveReport` of @hub/messaging): coordinates on the source topic. */
export interface RedriveResult {
  selected: number;
  redriven: { topic: string; partition: number; offset: string }[];
  /** No longer on the source topic (past its retention). */
  gone: { topic: string; partition: number; offset: string }[];
  /** On the source topic, but not the bytes the dead letter's SHA-256 names. */
  changed: { topic: string; partition: number; offset: string }[];
}

/** `GET /admin/v1/lag`. */
export interface LagReport {
  groups: (
    | {
        groupId: string;
        topic: string;
        lag: number;
        partitions: { partition: number; committed: string | null; end: string; lag: number }[];
      }
    | { groupId: string; topic: string; error: string }
  )[];
  projection: { projection: string; head: string; checkpoint: string | null; behind: string };
}

/** `GET /admin/v1/queues`. */
export interface QueueCounts {
  queues: { name: string; counts: Record<string, number> }[];
}
