import { foldCustomer, type CustomerEvent, type NextBestActionDecided } from '@hub/customer';
import type { CustomerRepository } from '@hub/customer-records';
import {
  catalogV1,
  contactHistoryFrom,
  contactsCustomer,
  decide,
  decidedEvent,
  decisionSeed,
  NBA_TRIGGER_TYPES,
  type Catalog,
  type ContactHistory,
  type OutcomeTally,
} from '@hub/nba';
import { NO_FOLLOW_UPS, type NbaFollowUps } from './nba-follow-ups.port';

/**
 * What calls for a decision:
 * - `realtime`: a customer event just recorded (debounced per customer): the decision answers the
 *   latest triggering event;
 * - `survey-follow-up`: a `ConversationResolved`, some hours later, unless the customer wrote again;
 * - `outbound-scan`: the always-on outbound scan picked the customer; the decision answers the
 *   stream as it stands (its latest event), and only one is made per customer and scan window.
 */
export const NBA_TRIGGER_KINDS = ['realtime', 'survey-follow-up', 'outbound-scan'] as const;
export type NbaTriggerKind = (typeof NBA_TRIGGER_KINDS)[number];

/** Data of one `NbaDecideJob`: which customer to decide for, and what triggered it. */
export type NbaDecideJobData =
  | { trigger?: 'realtime'; tenantId: string; customerId: string; triggerEventId: string; correlationId: string }
  | { trigger: 'survey-follow-up'; tenantId: string; customerId: string; triggerEventId: string; correlationId: string }
  /** `correlationId` names the scan window (`outboundScanCorrelationId`): at most one decision per customer and window. */
  | { trigger: 'outbound-scan'; tenantId: string; customerId: string; scanWindow: string; correlationId: string };

export type NbaDecideOutcome =
  | { kind: 'decided'; decisionId: string; action: string; revision: string }
  | { kind: 'already_decided'; decisionId: string }
  | { kind: 'nothing_to_decide' }
  /**
   * `customer_wrote_again` / `superseded`: a survey follow-up that a later message or resolution
   * overtook; `pending_realtime`: the scan found an event the real-time path has yet to answer;
   * `nothing_to_do`: the scan's decision was to do nothing (not recorded: a scan would otherwise
   * add one event per customer and window).
   */
  | { kind: 'skipped'; reason: 'customer_wrote_again' | 'superseded' | 'pending_realtime' | 'nothing_to_do' };

/** Triggers answered in real time; a resolution is answered by its survey follow-up instead. */
export const REALTIME_TRIGGER_TYPES: readonly string[] = NBA_TRIGGER_TYPES.filter((t) => t !== 'ConversationResolved');
export const SURVEY_TRIGGER_TYPE = 'ConversationResolved';

export const outboundScanCorrelationId = (scanWindow: string): string => `nba-outbound-scan-${scanWindow}`;

export interface NbaDecideJobOptions {
  catalog?: Catalog;
  /** Outcomes of all the tenant's customers by (action, segment); default: none (the catalog's priors). */
  outcomes?: (tenantId: string) => Promise<OutcomeTally>;
  followUps?: NbaFollowUps;
  /** When a decision without an outcome counts as `no_response`; default: the catalog's `noResponseAfterHours`. */
  noResponseAfterMs?: number;
}

type Picked =
  | { trigger: CustomerEvent }
  | { skip: Extract<NbaDecideOutcome, { kind: 'skipped' }>['reason'] }
  | { decided: string }
  | { none: true };

const isInbound = (e: CustomerEvent): boolean => e.type === 'InteractionRecorded' && e.data.direction === 'inbound';

/**
 * Decide the next best action for one customer. Orchestration only: read the stream, fold the state
 * and the contact history, decide (pure), append the decision with the revision it was made on,
 * then schedule what follows it (the no-response check of a decision that contacts the customer).
 * The decision's id and seed derive from the event it answers, so a retried job can never record
 * the same decision twice nor sample differently; a concurrent append surfaces as ConcurrencyError
 * and BullMQ retries the job on fresh state.
 */
export class NbaDecideJob {
  static readonly jobName = 'NbaDecideJob';
  private readonly catalog: Catalog;
  private readonly followUps: NbaFollowUps;
  private readonly noResponseAfterMs: number;

  constructor(
    private readonly customers: CustomerRepository,
    private readonly options: NbaDecideJobOptions = {},
  ) {
    this.catalog = options.catalog ?? catalogV1();
    this.followUps = options.followUps ?? NO_FOLLOW_UPS;
    this.noResponseAfterMs = options.noResponseAfterMs ?? this.catalog.learning.noResponseAfterHours * 3_600_000;
  }

  async run(data: NbaDecideJobData, now: Date): Promise<NbaDecideOutcome> {
    const { recorded, events } = await this.customers.history(data.tenantId, data.customerId);
    const revision = recorded.at(-1)?.revision;
    if (revision === undefined) return { kind: 'nothing_to_decide' };
    const state = foldCustomer(events);
    // Merged customers live on in their survivor; erased ones are not contacted again.
    if (state.status === 'merged' || state.status === 'erased') return { kind: 'nothing_to_decide' };
    const picked = this.pick(data, events);
    if ('none' in picked) return { kind: 'nothing_to_decide' };
    if ('skip' in picked) return { kind: 'skipped', reason: picked.skip };
    if ('decided' in picked) return { kind: 'already_decided', decisionId: picked.decided };
    const { trigger } = picked;
    const history = contactHistoryFrom(events);

    const earlier = events.find((e): e is NextBestActionDecided => e.type === 'NextBestActionDecided' && e.data.basedOnEventId === trigger.metadata.eventId);
    if (earlier) {
      // A retry after the append: make sure what follows the decision was scheduled too.
      await this.afterDecision(earlier, data, trigger, history, now);
      return { kind: 'already_decided', decisionId: earlier.data.decisionId };
    }

    const decision = decide({
      tenantId: data.tenantId,
      customerId: data.customerId,
      state,
      stateRevision: revision.toString(),
      trigger,
      catalog: this.catalog,
      outcomes: this.options.outcomes ? await this.options.outcomes(data.tenantId) : {},
      history,
      now: now.toISOString(),
      seed: decisionSeed(data.tenantId, data.customerId, trigger.metadata.eventId),
    });
    if (data.trigger === 'outbound-scan' && decision.chosen.kind === 'none') return { kind: 'skipped', reason: 'nothing_to_do' };
    const event = decidedEvent(decision, data.correlationId);
    const result = await this.customers.append(data.tenantId, data.customerId, [event], revision);
    await this.afterDecision(event, data, trigger, history, now);
    return { kind: 'decided', decisionId: decision.decisionId, action: decision.chosen.actionId, revision: result.nextExpectedRevision.toString() };
  }

  /** The event the decision answers, or why there is none. */
  private pick(data: NbaDecideJobData, events: readonly CustomerEvent[]): Picked {
    switch (data.trigger) {
      case undefined:
      case 'realtime': {
        for (let i = events.length - 1; i >= 0; i--) if (REALTIME_TRIGGER_TYPES.includes(events[i]!.type)) return { trigger: events[i]! };
        return { none: true };
      }
      case 'survey-follow-up': {
        const at = events.findIndex((e) => e.metadata.eventId === data.triggerEventId && e.type === SURVEY_TRIGGER_TYPE);
        if (at < 0) return { none: true };
        const later = events.slice(at + 1);
        if (later.some(isInbound)) return { skip: 'customer_wrote_again' };
        if (later.some((e) => e.type === SURVEY_TRIGGER_TYPE)) return { skip: 'superseded' };
        return { trigger: events[at]! };
      }
      case 'outbound-scan': {
        const inWindow = events.find((e) => e.type === 'NextBestActionDecided' && e.metadata.correlationId === data.correlationId);
        if (inWindow?.type === 'NextBestActionDecided') return { decided: inWindow.data.decisionId };
        const last = events.at(-1);
        if (!last) return { none: true };
        // A trigger not answered yet belongs to the real-time path (or to its survey follow-up).
        if ((NBA_TRIGGER_TYPES as readonly string[]).includes(last.type)) return { skip: 'pending_realtime' };
        return { trigger: last };
      }
      default: {
        const _exhaustive: never = data;
        return _exhaustive;
      }
    }
  }

  /**
   * A decision that contacts the customer gets its no-response check; a message from the customer
   * answers the earlier open decisions, whose checks are dropped (their jobs would find the reply
   * and record nothing anyway).
   */
  private async afterDecision(decision: NextBestActionDecided, data: NbaDecideJobData, trigger: CustomerEvent, history: ContactHistory, now: Date): Promise<void> {
    if (contactsCustomer(decision)) {
      const dueAt = Date.parse(decision.metadata.occurredAt) + this.noResponseAfterMs;
      await this.followUps.scheduleNoResponse(
        { tenantId: data.tenantId, customerId: data.customerId, decisionId: decision.data.decisionId, correlationId: decision.metadata.correlationId },
        Math.max(0, dueAt - now.getTime()),
      );
    }
    if (!isInbound(trigger)) return;
    const answered = new Set(history.outcomes.map((o) => o.decisionId));
    const since = Date.parse(trigger.metadata.occurredAt) - this.noResponseAfterMs;
    for (const d of history.decisions) {
      if (d.decisionId === decision.data.decisionId || answered.has(d.decisionId) || d.contactMode === 'none' || d.kind === 'none') continue;
      if (Date.parse(d.decidedAt) >= since && Date.parse(d.decidedAt) <= Date.parse(trigger.metadata.occurredAt)) await this.followUps.cancelNoResponse(d.decisionId);
    }
  }
}
