import { foldCustomer } from '../state/customer.evolve';
import type { CustomerState } from '../state/customer.state';
import type { CustomerEvent, WorkItemPriority } from '../events/customer.events';
import type { ChurnRiskLevel } from '../insights/churn-risk';
import {
  inbound,
  march,
  orderPlaced,
  orderRefunded,
  registered,
  surveyAnswered,
  TENANT,
  WHATSAPP,
} from '../testing/customer-events.fixtures';
import {
  decideWorkItemCommand,
  openWorkItems,
  workItemIdOf,
  workItemOpened,
  workItemPriority,
  workItemPriorityOf,
  type WorkItemCommand,
  type WorkItemDecision,
} from './work-items';

const CUSTOMER = 'c-1';
const DECISION = 'decision-1';
const SLAS = { defaultMinutes: 480, byQueue: { escalate_manager: 60 } };

const openIn = (state: CustomerState, o: { queue?: string; now?: string; conversation?: boolean } = {}) =>
  workItemOpened(state, {
    tenantId: TENANT,
    customerId: CUSTOMER,
    decisionId: DECISION,
    actionId: 'escalate_specialist',
    queue: o.queue ?? 'escalate_specialist',
    now: o.now ?? march(5, 10),
    correlationId: 'corr-1',
    slas: SLAS,
    ...(o.conversation === false ? {} : { conversation: { channel: WHATSAPP, threadId: 't-1' } }),
  });

const base = (): CustomerEvent[] => [registered(CUSTOMER, march(1)), inbound('m-1', march(5, 9), { channel: WHATSAPP, threadId: 't-1' })];

let ids = 0;
const ctx = (workItemId: string) => ({
  tenantId: TENANT,
  workItemId,
  now: march(5, 11),
  eventIds: [`e-${++ids}`, `e-${++ids}`],
  correlationId: 'c',
});

/** Decide a command and fold what it records, as the query API does. */
function run(
  events: CustomerEvent[],
  command: WorkItemCommand,
  workItemId: string,
): { decision: WorkItemDecision; events: CustomerEvent[] } {
  const decision = decideWorkItemCommand(foldCustomer(events), command, ctx(workItemId));
  return { decision, events: decision.kind === 'record' ? [...events, ...decision.events] : events };
}

describe('workItemPriority', () => {
  const cases: [boolean, ChurnRiskLevel, WorkItemPriority][] = [
    [true, 'high', 'urgent'],
    [false, 'high', 'high'],
    [true, 'medium', 'high'],
    [false, 'medium', 'normal'],
    [true, 'low', 'normal'],
    [true, 'unknown', 'normal'],
    [false, 'low', 'low'],
    [false, 'unknown', 'low'],
  ];
  it.each(cases)('given high value %s and churn risk %s, then the priority is %s', (highValue, churnRisk, expected) => {
    expect(workItemPriority({ highValue, churnRisk })).toBe(expected);
  });

  it('given a high-value customer whose latest survey is a detractor score and who refunded, then the folded state gives urgent', () => {
    const state = foldCustomer([
      ...base(),
      orderPlaced('o-1', march(2), 'order-1', 90_000),
      surveyAnswered('s-1', march(3), 'nps', 2),
      orderRefunded('r-1', march(4), 'order-1', 1_000),
    ]);
    expect(workItemPriorityOf(state, march(5, 10))).toBe('urgent');
  });

  it('given a new customer with one message and no orders or answers, then the priority is low', () => {
    expect(workItemPriorityOf(foldCustomer(base()), march(5, 10))).toBe('low');
  });
});

describe('opening a work item', () => {
  it('given an escalation decided, then the item is open in its queue, due after the queue’s SLA, with an id derived from the decision', () => {
    const opened = openIn(foldCustomer(base()), { queue: 'escalate_manager' });
    expect(opened.data).toMatchObject({ workItemId: workItemIdOf(TENANT, CUSTOMER, DECISION), queue: 'escalate_manager', priority: 'low' });
    expect(opened.data.dueAt).toBe('2025-03-05T11:00:00.000Z');
    expect(opened.metadata).toMatchObject({ eventId: opened.data.workItemId, causationId: DECISION, occurredAt: march(5, 10) });
    // A queue without an SLA of its own takes the default.
    expect(openIn(foldCustomer(base()), { queue: 'other' }).data.dueAt).toBe('2025-03-05T18:00:00.000Z');
  });

  it('given the same decision opened twice (a redelivered job), then the fold holds one item, as first opened', () => {
    const opened = openIn(foldCustomer(base()));
    const again = { ...openIn(foldCustomer(base()), { now: march(5, 12) }) };
    const state = foldCustomer([...base(), opened, again]);
    expect(Object.keys(state.workItems)).toEqual([opened.data.workItemId]);
    expect(state.workItems[opened.data.workItemId]).toMatchObject({ status: 'open', openedAt: march(5, 10) });
    expect(openWorkItems(state).map((w) => w.workItemId)).toEqual([opened.data.workItemId]);
  });
});

describe('commands on a work item', () => {
  const opened = openIn(foldCustomer(base()));
  const id = opened.data.workItemId;
  const withItem = (): CustomerEvent[] => [...base(), opened];

  it('given an open item, when an agent claims it, then it is claimed by them; the same claim again records nothing', () => {
    const first = run(withItem(), { kind: 'claim', agent: 'agent-1' }, id);
    expect(first.decision).toMatchObject({ kind: 'record', item: { status: 'claimed', assignee: 'agent-1' } });
    expect(foldCustomer(first.events).workItems[id]).toMatchObject({ status: 'claimed', assignee: 'agent-1' });
    expect(run(first.events, { kind: 'claim', agent: 'agent-1' }, id).decision.kind).toBe('unchanged');
  });

  it('given an item claimed by one agent, when another claims it, then it is refused; a reassignment hands it on', () => {
    const claimed = run(withItem(), { kind: 'claim', agent: 'agent-1' }, id).events;
    expect(run(claimed, { kind: 'claim', agent: 'agent-2' }, id).decision).toMatchObject({
      kind: 'claimed_by_other',
      item: { assignee: 'agent-1' },
    });
    const reassigned = run(claimed, { kind: 'reassign', to: 'agent-2', reason: 'billing expert' }, id);
    expect(reassigned.decision).toMatchObject({
      kind: 'record',
      events: [{ type: 'WorkItemReassigned', data: { from: 'agent-1', to: 'agent-2' } }],
    });
    expect(foldCustomer(reassigned.events).workItems[id]).toMatchObject({ status: 'claimed', assignee: 'agent-2' });
  });

  it('given a claimed item, when it is resolved, then WorkItemResolved and ConversationResolved of its conversation are recorded, and the conversation is resolved', () => {
    const claimed = run(withItem(), { kind: 'claim', agent: 'agent-1' }, id).events;
    const resolved = run(claimed, { kind: 'resolve', resolution: 'solved', note: 'refund sent' }, id);
    if (resolved.decision.kind !== 'record') throw new Error('expected a record');
    expect(resolved.decision.events.map((e) => e.type)).toEqual(['WorkItemResolved', 'ConversationResolved']);
    expect(resolved.decision.events[0]!.data).toEqual({ workItemId: id, resolution: 'solved', note: 'refund sent', by: 'agent-1' });
    expect(resolved.decision.events[1]!.data).toEqual({ channel: WHATSAPP, threadId: 't-1' });
    const state = foldCustomer(resolved.events);
    expect(state.workItems[id]).toMatchObject({ status: 'resolved', resolution: 'solved', resolvedAt: march(5, 11) });
    expect(state.conversations['whatsapp:t-1']?.status).toBe('resolved');
    expect(openWorkItems(state)).toEqual([]);
  });

  it('given a resolved item, then resolving, claiming or reassigning it again is refused', () => {
    const resolved = run(withItem(), { kind: 'resolve', resolution: 'solved' }, id).events;
    for (const command of [
      { kind: 'resolve', resolution: 'solved' },
      { kind: 'claim', agent: 'agent-1' },
      { kind: 'reassign', to: 'agent-2', reason: 'x' },
    ] as const) {
      expect(run(resolved, command, id).decision.kind).toBe('already_resolved');
    }
  });

  it('given an item opened without a conversation, when it is resolved, then only WorkItemResolved is recorded', () => {
    const plain = openIn(foldCustomer(base()), { conversation: false });
    const resolved = run([...base(), plain], { kind: 'resolve', resolution: 'solved' }, plain.data.workItemId);
    expect(resolved.decision).toMatchObject({ kind: 'record', events: [{ type: 'WorkItemResolved' }] });
    if (resolved.decision.kind === 'record') expect(resolved.decision.events).toHaveLength(1);
  });

  it('given no such item, then every command is unknown_work_item', () => {
    expect(run(withItem(), { kind: 'claim', agent: 'a' }, 'nope').decision.kind).toBe('unknown_work_item');
  });
});
