import {
  DEFAULT_WORK_ITEM_SLAS,
  workItemOpened,
  type CustomerEvent,
  type CustomerState,
  type WorkItemOpened,
  type WorkItemSlas,
} from '@hub/customer';
import { GroupedAppends, type CustomerRepository } from '@hub/customer-records';
import { ConcurrencyError } from '@hub/event-store';
import {
  channelAddress,
  currentCatalog,
  decide,
  decidedEvent,
  decisionSeed,
  decisionTriggers,
  workItemQueueOf,
  type Catalog,
  type ContactHistory,
  type Decision,
  type DecisionDelivery,
  type OutcomeTally,
} from '@hub/nba';
import { DecisionFoldCache } from './decision-fold.cache';
import { isInbound, lastIsTrigger, type DecisionFold, type DecisionRef } from './decision-fold';
import { NO_FOLLOW_UPS, type NbaFollowUps } from './nba-follow-ups.port';
import { childSpan, linksOf, traceparentOf } from '@hub/messaging';

/**
 * What calls for a decision:
 * - `realtime`: a customer event just recorded (debounced per customer): the decision answers the
 *   latest triggering event, and names every trigger it folds (those no earlier decision answered:
 *   the fold's `pendingTriggers`, read from the stream, so a job that replaced others loses none);
 * - `survey-follow-up`: a `ConversationResolved`, some hours later, unless the customer wrote again;
 * - `outbound-scan`: the always-on outbound scan picked the customer; the decision answers the
 *   stream as it stands (its latest event), and only one is made per customer and scan window.
 */
export const NBA_TRIGGER_KINDS = ['realtime', 'survey-follow-up', 'outbound-scan'] as const;
export type NbaTriggerKind = (typeof NBA_TRIGGER_KINDS)[number];

/** Data of one `NbaDecideJob`: which customer to decide for, and what triggered it. */
/**
 * `triggerRevision`: the trigger's revision in the customer's stream (absent on jobs enqueued before
 * it was added): when the worker's kept fold already covers it, the job decides without reading the
 * store (see `DecisionFoldCache.current`).
 */
export type NbaDecideJobData =
  | {
      trigger?: 'realtime';
      tenantId: string;
      customerId: string;
      triggerEventId: string;
      correlationId: string;
      triggerRevision?: string;
      traceparents?: string[];
    }
  | {
      trigger: 'survey-follow-up';
      tenantId: string;
      customerId: string;
      triggerEventId: string;
      correlationId: string;
      triggerRevision?: string;
      traceparents?: string[];
    }
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

export { REALTIME_TRIGGER_TYPES, SURVEY_TRIGGER_TYPE } from './decision-fold';

export const outboundScanCorrelationId = (scanWindow: string): string => `nba-outbound-scan-${scanWindow}`;

export interface NbaDecideJobOptions {
  catalog?: Catalog;
  /** Outcomes of all the tenant's customers by (action, segment); default: none (the catalog's priors). */
  outcomes?: (tenantId: string) => Promise<OutcomeTally>;
  followUps?: NbaFollowUps;
  /** When a decision without an outcome counts as `no_response`; default: the catalog's `noResponseAfterHours`. */
  noResponseAfterMs?: number;
  /** How many customers' folds are kept between jobs (`DecisionFoldCache`); default 0: every job folds the whole stream. */
  foldCacheSize?: number;
  /** How long a kept fold may be used at most (from its full read); default 5 minutes. */
  foldCacheTtlMs?: number;
  /** The SLA of each work-item queue (when an escalation's work item is due); default 8 hours for every queue. */
  workItemSlas?: WorkItemSlas;
}

type Picked =
  | { trigger: CustomerEvent }
  | { skip: Extract<NbaDecideOutcome, { kind: 'skipped' }>['reason'] }
  | { decided: string }
  | { none: true };

/**
 * Decide the next best action for one customer. Orchestration only: bring the customer's fold up to
 * the stream's revision (the kept fold advanced by the events since, or the whole stream), decide
 * (pure), append the decision with the revision it was made on, then schedule what follows it (the
 * no-response check of a decision that contacts the customer). The decision's id and seed derive
 * from the event it answers, so a retried job can never record the same decision twice nor sample
 * differently; a concurrent append surfaces as ConcurrencyError and BullMQ retries the job on
 * fresh state.
 */
export class NbaDecideJob {
  static readonly jobName = 'NbaDecideJob';
  private readonly catalog: Catalog;
  private readonly followUps: NbaFollowUps;
  private readonly noResponseAfterMs: number;
  readonly folds: DecisionFoldCache;
  /** Decisions of concurrent jobs appended together (one write while another is in flight). */
  private readonly appends: GroupedAppends;

  constructor(
    private readonly customers: CustomerRepository,
    private readonly options: NbaDecideJobOptions = {},
  ) {
    this.catalog = options.catalog ?? currentCatalog();
    this.followUps = options.followUps ?? NO_FOLLOW_UPS;
    this.noResponseAfterMs = options.noResponseAfterMs ?? this.catalog.learning.noResponseAfterHours * 3_600_000;
    this.folds = new DecisionFoldCache(customers, options.foldCacheSize ?? 0, options.foldCacheTtlMs);
    this.appends = new GroupedAppends(customers);
  }

  /**
   * A `nba decide` span, linked to the trace context of every input event the debounced job carries
   * (`traceparents`: the appends that recorded them); the decision's append is its child.
   */
  run(data: NbaDecideJobData, now: Date): Promise<NbaDecideOutcome> {
    const links = linksOf('traceparents' in data ? (data.traceparents ?? []) : []);
    return childSpan('nba decide', { 'hub.nba.trigger': data.trigger ?? 'realtime' }, () => this.decideOnce(data, now), links);
  }

  private async decideOnce(data: NbaDecideJobData, now: Date): Promise<NbaDecideOutcome> {
    const seen = data.trigger !== 'outbound-scan' && data.triggerRevision !== undefined ? BigInt(data.triggerRevision) : undefined;
    try {
      return await this.decide(data, now, seen);
    } catch (err) {
      if (seen === undefined || !(err instanceof ConcurrencyError)) throw err;
      // Decided on the kept fold without reading the store, and the stream had moved on: read it.
      this.folds.forget(data.tenantId, data.customerId);
      return this.decide(data, now, undefined);
    }
  }

  private async decide(data: NbaDecideJobData, now: Date, seen: bigint | undefined): Promise<NbaDecideOutcome> {
    const { fold } = await this.folds.current(data.tenantId, data.customerId, seen);
    if (fold.revision < 0n) return { kind: 'nothing_to_decide' };
    const { state, history, revision } = fold;
    // Merged customers live on in their survivor; erased ones are not contacted again — nor when an
    // event reached their stream after the erasure (the fold then reads them as active again, with
    // whatever identity that event named: `erasedAt` stays).
    if (state.status === 'merged' || state.status === 'erased' || state.erasedAt !== undefined) return { kind: 'nothing_to_decide' };
    const picked = pick(data, fold);
    if ('none' in picked) return { kind: 'nothing_to_decide' };
    if ('skip' in picked) return { kind: 'skipped', reason: picked.skip };
    if ('decided' in picked) return { kind: 'already_decided', decisionId: picked.decided };
    const { trigger } = picked;

    const earlier = fold.decisionsByTrigger.get(trigger.metadata.eventId);
    if (earlier) {
      // A retry after the append: make sure what follows the decision was scheduled too.
      await this.afterDecision(earlier, data, trigger, history, now);
      return { kind: 'already_decided', decisionId: earlier.decisionId };
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
    // What a platform acts on: every trigger the decision folds (a debounced burst names each) and
    // the chosen channel's address, from the state it was decided on (opened: it is sealed again in the store).
    const address = channelAddress(state, decision.chosen.channel);
    const delivery: DecisionDelivery = { triggers: decisionTriggers(fold.pendingTriggers, trigger), ...(address ? { address } : {}) };
    const decided = decidedEvent(decision, data.correlationId, delivery);
    // The decision's own trace context (the decide span's), kept in its metadata as an append's is.
    const traceparent = traceparentOf();
    const event = traceparent ? { ...decided, metadata: { ...decided.metadata, traceparent } } : decided;
    // An escalation opens its work item in the same append: both are recorded, or neither (a retry decides again).
    const workItem = this.workItemOf(decision, state, trigger, data.correlationId);
    const result = await this.appends.append(data.tenantId, data.customerId, workItem ? [event, workItem] : [event], revision);
    const { kind, contactMode } = decision.chosen;
    const ref: DecisionRef = {
      decisionId: decision.decisionId,
      kind,
      contactMode,
      occurredAt: decision.decidedAt,
      correlationId: data.correlationId,
    };
    await this.afterDecision(ref, data, trigger, history, now);
    return {
      kind: 'decided',
      decisionId: decision.decisionId,
      action: decision.chosen.actionId,
      revision: result.nextExpectedRevision.toString(),
    };
  }

  /**
   * The work item an escalation hands to people: in the queue of the action's catalog entry, due
   * after the queue's SLA, about the conversation the decision answered (when it answered a message).
   */
  private workItemOf(decision: Decision, state: CustomerState, trigger: CustomerEvent, correlationId: string): WorkItemOpened | undefined {
    if (decision.chosen.kind !== 'escalation') return undefined;
    const action = this.catalog.actions.find((a) => a.id === decision.chosen.actionId);
    const conversation =
      trigger.type === 'InteractionRecorded'
        ? { channel: trigger.data.channel, ...(trigger.data.threadId !== undefined ? { threadId: trigger.data.threadId } : {}) }
        : undefined;
    return workItemOpened(state, {
      tenantId: decision.tenantId,
      customerId: decision.customerId,
      decisionId: decision.decisionId,
      actionId: decision.chosen.actionId,
      queue: action ? workItemQueueOf(action) : decision.chosen.actionId,
      now: decision.decidedAt,
      correlationId,
      slas: this.options.workItemSlas ?? DEFAULT_WORK_ITEM_SLAS,
      ...(conversation ? { conversation } : {}),
    });
  }

  /**
   * A decision that contacts the customer gets its no-response check; a message from the customer
   * answers the earlier open decisions, whose checks are dropped (their jobs would find the reply
   * and record nothing anyway).
   */
  private async afterDecision(
    decision: DecisionRef,
    data: NbaDecideJobData,
    trigger: CustomerEvent,
    history: ContactHistory,
    now: Date,
  ): Promise<void> {
    if (decision.kind !== 'none' && decision.contactMode !== 'none') {
      const dueAt = Date.parse(decision.occurredAt) + this.noResponseAfterMs;
      await this.followUps.scheduleNoResponse(
        { tenantId: data.tenantId, customerId: data.customerId, decisionId: decision.decisionId, correlationId: decision.correlationId },
        Math.max(0, dueAt - now.getTime()),
      );
    }
    if (!isInbound(trigger)) return;
    const answered = new Set(history.outcomes.map((o) => o.decisionId));
    const since = Date.parse(trigger.metadata.occurredAt) - this.noResponseAfterMs;
    const open = history.decisions.filter(
      (d) =>
        d.decisionId !== decision.decisionId &&
        !answered.has(d.decisionId) &&
        d.contactMode !== 'none' &&
        d.kind !== 'none' &&
        Date.parse(d.decidedAt) >= since &&
        Date.parse(d.decidedAt) <= Date.parse(trigger.metadata.occurredAt),
    );
    // Independent jobs, each cancel idempotent: side by side, one round trip's wait however many
    // decisions the window holds (one after another it grew with every message of a busy customer).
    await Promise.all(open.map((d) => this.followUps.cancelNoResponse(d.decisionId)));
  }
}

/** The event the decision answers, or why there is none. */
function pick(data: NbaDecideJobData, fold: DecisionFold): Picked {
  switch (data.trigger) {
    case undefined:
    case 'realtime':
      return fold.lastRealtimeTrigger ? { trigger: fold.lastRealtimeTrigger } : { none: true };
    case 'survey-follow-up': {
      const at = fold.resolutions.get(data.triggerEventId);
      if (at === undefined || !fold.lastResolution) return { none: true };
      if (fold.lastInboundStep > at) return { skip: 'customer_wrote_again' };
      if (fold.lastResolution.step > at) return { skip: 'superseded' };
      return { trigger: fold.lastResolution.event };
    }
    case 'outbound-scan': {
      const inWindow = fold.decisionsByCorrelation.get(data.correlationId);
      if (inWindow !== undefined) return { decided: inWindow };
      if (!fold.last) return { none: true };
      // A trigger not answered yet belongs to the real-time path (or to its survey follow-up).
      if (lastIsTrigger(fold)) return { skip: 'pending_realtime' };
      return { trigger: fold.last };
    }
    default: {
      const _exhaustive: never = data;
      return _exhaustive;
    }
  }
}
