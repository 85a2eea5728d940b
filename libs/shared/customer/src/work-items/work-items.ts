import { deterministicId, type ChannelId } from '@hub/contracts';
import { CURRENT_SCHEMA_VERSIONS } from '../events/schema-versions';
import {
  type ConversationResolved,
  type WorkItemClaimed,
  type WorkItemOpened,
  type WorkItemPriority,
  type WorkItemReassigned,
  type WorkItemResolved,
} from '../events/customer.events';
import { churnRiskAt, type ChurnRiskInputs, type ChurnRiskLevel } from '../insights/churn-risk';
import { DEFAULT_QUADRANT_THRESHOLDS, isHighValue, type QuadrantThresholds } from '../insights/customer.insights';
import type { CustomerState, WorkItemState } from '../state/customer.state';
import { own } from '../state/own';
import { instant } from '../time/instant';

/**
 * Work items: escalations handed to people. The nba-worker opens one when it decides an escalation
 * (`workItemOpened`); agents claim, reassign and resolve it through the query API
 * (`decideWorkItemCommand`). Pure: time and ids enter as data.
 */

export type WorkItemEvent = WorkItemOpened | WorkItemClaimed | WorkItemReassigned | WorkItemResolved;

/** The work item a decision opens: one per decision, whoever records it and however often. */
export const workItemIdOf = (tenantId: string, customerId: string, decisionId: string): string =>
  deterministicId('work-item', tenantId, customerId, decisionId);

/**
 * Priority from value and risk: a valuable customer likely to leave first. `urgent` = high value and
 * high churn risk; `high` = high risk, or high value at medium risk; `normal` = medium risk, or high
 * value; `low` otherwise (an unknown risk counts as low).
 */
export function workItemPriority(inputs: { highValue: boolean; churnRisk: ChurnRiskLevel }): WorkItemPriority {
  const { highValue, churnRisk } = inputs;
  if (churnRisk === 'high') return highValue ? 'urgent' : 'high';
  if (churnRisk === 'medium') return highValue ? 'high' : 'normal';
  return highValue ? 'normal' : 'low';
}

/** What the churn-risk rule reads, from the folded state (the read model keeps the same inputs per row). */
export function churnRiskInputsOf(state: CustomerState): ChurnRiskInputs {
  const window = state.inboundWindow;
  const said = (signal: 'complaint' | 'refund_cancel' | 'repeat_contact'): string | null => state.textSignals[signal]?.lastAt ?? null;
  return {
    satisfaction: state.satisfaction.answers.length > 0 ? state.satisfaction : null,
    value: state.value.lastOrderAt !== undefined || state.value.lastRefundAt !== undefined ? state.value : null,
    inbound: { count: state.engagement.inbound, firstAt: window[0]?.at ?? null, lastAt: window.at(-1)?.at ?? null },
    said: { complaint: said('complaint'), refund_cancel: said('refund_cancel'), repeat_contact: said('repeat_contact') },
  };
}

/** The priority of a work item opened for the customer now: `workItemPriority` of their value and churn risk as of `now`. */
export function workItemPriorityOf(
  state: CustomerState,
  now: string,
  thresholds: QuadrantThresholds = DEFAULT_QUADRANT_THRESHOLDS,
): WorkItemPriority {
  return workItemPriority({ highValue: isHighValue(state, thresholds), churnRisk: churnRiskAt(churnRiskInputsOf(state), now).level });
}

/** How long each queue has to resolve a work item (its SLA), in minutes; `defaultMinutes` for a queue not listed. */
export interface WorkItemSlas {
  defaultMinutes: number;
  byQueue: Readonly<Record<string, number>>;
}

export const DEFAULT_WORK_ITEM_SLAS: WorkItemSlas = { defaultMinutes: 8 * 60, byQueue: {} };

export const slaMinutesOf = (slas: WorkItemSlas, queue: string): number => own(slas.byQueue, queue) ?? slas.defaultMinutes;

export interface OpenWorkItemCommand {
  tenantId: string;
  customerId: string;
  decisionId: string;
  actionId: string;
  queue: string;
  /** When the decision was made (`occurredAt` of the decision): the item opens then. */
  now: string;
  correlationId: string;
  slas: WorkItemSlas;
  conversation?: { channel: ChannelId; threadId?: string };
}

/** The `WorkItemOpened` of an escalation decided for the customer (`state`: the fold the decision was made on). */
export function workItemOpened(state: CustomerState, cmd: OpenWorkItemCommand): WorkItemOpened {
  const workItemId = workItemIdOf(cmd.tenantId, cmd.customerId, cmd.decisionId);
  return {
    type: 'WorkItemOpened',
    data: {
      workItemId,
      decisionId: cmd.decisionId,
      actionId: cmd.actionId,
      queue: cmd.queue,
      priority: workItemPriorityOf(state, cmd.now),
      dueAt: new Date(instant(cmd.now) + slaMinutesOf(cmd.slas, cmd.queue) * 60_000).toISOString(),
      ...(cmd.conversation ? { conversation: cmd.conversation } : {}),
    },
    metadata: {
      eventId: workItemId,
      correlationId: cmd.correlationId,
      causationId: cmd.decisionId,
      occurredAt: cmd.now,
      recordedAt: cmd.now,
      schemaVersion: CURRENT_SCHEMA_VERSIONS.WorkItemOpened,
      tenantId: cmd.tenantId,
      channel: 'system',
    },
  };
}

/** The work items after one of their events. An event about an item never opened changes nothing. */
export function workItemsAfter(items: Record<string, WorkItemState>, event: WorkItemEvent): Record<string, WorkItemState> {
  const at = event.metadata.occurredAt;
  if (event.type === 'WorkItemOpened') {
    const d = event.data;
    if (own(items, d.workItemId)) return items;
    const opened: WorkItemState = {
      workItemId: d.workItemId,
      decisionId: d.decisionId,
      actionId: d.actionId,
      queue: d.queue,
      priority: d.priority,
      status: 'open',
      openedAt: at,
      dueAt: d.dueAt,
      ...(d.conversation ? { conversation: d.conversation } : {}),
    };
    return { ...items, [d.workItemId]: opened };
  }
  const item = own(items, event.data.workItemId);
  if (!item) return items;
  switch (event.type) {
    case 'WorkItemClaimed':
      return { ...items, [item.workItemId]: { ...item, status: 'claimed', assignee: event.data.agent } };
    case 'WorkItemReassigned':
      return { ...items, [item.workItemId]: { ...item, status: 'claimed', assignee: event.data.to } };
    case 'WorkItemResolved':
      return { ...items, [item.workItemId]: { ...item, status: 'resolved', resolvedAt: at, resolution: event.data.resolution } };
    default: {
      const _exhaustive: never = event;
      return _exhaustive;
    }
  }
}

/** The customer's work items not resolved yet, oldest first. */
export const openWorkItems = (state: CustomerState): WorkItemState[] =>
  Object.values(state.workItems)
    .filter((w) => w.status !== 'resolved')
    .sort((a, b) => instant(a.openedAt) - instant(b.openedAt));

export type WorkItemCommand =
  | { kind: 'claim'; agent: string }
  | { kind: 'reassign'; to: string; reason: string }
  | { kind: 'resolve'; resolution: string; note?: string; by?: string };

export interface WorkItemCommandContext {
  tenantId: string;
  workItemId: string;
  now: string;
  /** A fresh id per event to record (the caller's `randomUUID`), in order. */
  eventIds: readonly string[];
  correlationId: string;
}

export type WorkItemDecision =
  | { kind: 'record'; events: (WorkItemEvent | ConversationResolved)[]; item: WorkItemState }
  /** The same claim again (the agent holds it already): nothing to record. */
  | { kind: 'unchanged'; item: WorkItemState }
  | { kind: 'unknown_work_item' }
  | { kind: 'claimed_by_other'; item: WorkItemState }
  | { kind: 'already_resolved'; item: WorkItemState };

/**
 * A person's command on a work item, against the customer's folded state: claim it (the same agent
 * again changes nothing; another agent's claim is refused — reassign hands it on), reassign it, or
 * resolve it, which also resolves its conversation (`ConversationResolved`, the survey follow-up's
 * trigger). A resolved item takes no command.
 */
export function decideWorkItemCommand(state: CustomerState, command: WorkItemCommand, ctx: WorkItemCommandContext): WorkItemDecision {
  const item = own(state.workItems, ctx.workItemId);
  if (!item) return { kind: 'unknown_work_item' };
  if (item.status === 'resolved') return { kind: 'already_resolved', item };
  const metadata = (n: number, type: keyof typeof CURRENT_SCHEMA_VERSIONS, channel: ChannelId | 'system' = 'system') => {
    const eventId = ctx.eventIds[n];
    if (eventId === undefined) throw new RangeError(`decideWorkItemCommand: event id ${n} missing`);
    return {
      eventId,
      correlationId: ctx.correlationId,
      causationId: item.workItemId,
      occurredAt: ctx.now,
      recordedAt: ctx.now,
      schemaVersion: CURRENT_SCHEMA_VERSIONS[type],
      tenantId: ctx.tenantId,
      channel,
    };
  };
  const record = (events: (WorkItemEvent | ConversationResolved)[]): WorkItemDecision => {
    let items = state.workItems;
    for (const e of events) if (e.type !== 'ConversationResolved') items = workItemsAfter(items, e);
    return { kind: 'record', events, item: items[item.workItemId]! };
  };
  switch (command.kind) {
    case 'claim':
      if (item.status === 'claimed') {
        return item.assignee === command.agent ? { kind: 'unchanged', item } : { kind: 'claimed_by_other', item };
      }
      return record([
        { type: 'WorkItemClaimed', data: { workItemId: item.workItemId, agent: command.agent }, metadata: metadata(0, 'WorkItemClaimed') },
      ]);
    case 'reassign':
      if (item.assignee === command.to) return { kind: 'unchanged', item };
      return record([
        {
          type: 'WorkItemReassigned',
          data: { workItemId: item.workItemId, from: item.assignee ?? null, to: command.to, reason: command.reason },
          metadata: metadata(0, 'WorkItemReassigned'),
        },
      ]);
    case 'resolve': {
      const resolved: WorkItemResolved = {
        type: 'WorkItemResolved',
        data: {
          workItemId: item.workItemId,
          resolution: command.resolution,
          ...(command.note !== undefined ? { note: command.note } : {}),
          by: command.by ?? item.assignee ?? null,
        },
        metadata: metadata(0, 'WorkItemResolved'),
      };
      const c = item.conversation;
      if (!c) return record([resolved]);
      const conversation: ConversationResolved = {
        type: 'ConversationResolved',
        data: { channel: c.channel, ...(c.threadId !== undefined ? { threadId: c.threadId } : {}) },
        metadata: metadata(1, 'ConversationResolved', c.channel),
      };
      return record([resolved, conversation]);
    }
    default: {
      const _exhaustive: never = command;
      return _exhaustive;
    }
  }
}
