import { PermanentMessageError, type ConsumedMessage } from '@hub/messaging';
import type { WebhookSubscription } from '@hub/webhooks';
import { dispatchWebhooks, type DispatchDeps, type QueuedDelivery } from './webhook-dispatch.handler';

const topics = { decisions: 'hub.nba-decisions.v2', customerEvents: 'hub.customer-events.v1' };
let offset = 0;
const message = (topic: string, value: unknown): ConsumedMessage => ({
  topic,
  partition: 0,
  offset: String(offset++),
  key: 'c1',
  value: Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)),
  headers: {},
});
const subscription = (tenantId: string, subscriptionId: string, eventTypes: string[]): WebhookSubscription => ({
  tenantId,
  subscriptionId,
  url: 'https://platform.example/hooks',
  eventTypes,
  secret: 'whsec_x',
  description: null,
  status: 'enabled',
  disabledReason: null,
  disabledAt: null,
  failingSince: null,
  exhaustedSinceSuccess: 0,
  createdAt: '2026-12-07T00:00:00.000Z',
  updatedAt: '2026-12-07T00:00:00.000Z',
});
const decision = (tenantId: string, decisionId: string) =>
  message(topics.decisions, { decisionId, tenantId, customerId: 'c1', kind: 'no-action', decidedAt: '2026-12-07T10:00:00.000Z' });
const workItemOpened = (tenantId: string, eventId: string) =>
  message(topics.customerEvents, {
    type: 'WorkItemOpened',
    tenantId,
    customerId: 'c1',
    streamRevision: '1',
    globalPosition: '1',
    data: { workItemId: 'w1', decisionId: 'd1', actionId: 'a', queue: 'q', priority: 'low', dueAt: '2026-12-07T11:00:00.000Z' },
    metadata: { eventId, occurredAt: '2026-12-07T10:00:00.000Z' },
  });

/** The subscriptions as a plain list and the queue as an array: the handler's ports, not what is under test. */
function deps(subscriptions: WebhookSubscription[]): DispatchDeps & { queued: QueuedDelivery[]; asked: string[][] } {
  const queued: QueuedDelivery[] = [];
  const asked: string[][] = [];
  return {
    topics,
    queued,
    asked,
    subscriptions: {
      enabledFor: async (tenantIds) => {
        asked.push([...tenantIds]);
        return subscriptions.filter((s) => tenantIds.includes(s.tenantId));
      },
    },
    enqueue: async (jobs) => void queued.push(...jobs),
  };
}

describe('dispatchWebhooks', () => {
  describe('when a run holds a decision and a work item of a tenant with two subscriptions', () => {
    it('queues one job per matching pair, its id the pair, in one call', async () => {
      const d = deps([
        subscription('t1', 's-all', ['*']),
        subscription('t1', 's-wi', ['work_item.*']),
        subscription('t2', 's-other', ['*']),
      ]);
      const results = await dispatchWebhooks(d, [decision('t1', 'd1'), workItemOpened('t1', 'e1')]);
      expect(results).toEqual([undefined, undefined]);
      expect(d.asked).toEqual([['t1', 't1']]);
      expect(d.queued.map((j) => j.opts.jobId)).toEqual(['s-all_d1', 's-all_e1', 's-wi_e1']);
      expect(d.queued.map((j) => j.data.eventType)).toEqual(['decision.made', 'work_item.opened', 'work_item.opened']);
      expect(JSON.parse(d.queued[1]!.data.body)).toMatchObject({ type: 'work_item.opened', tenantId: 't1', data: { workItemId: 'w1' } });
    });
  });

  describe('when nothing in the run is delivered (another type, or no subscription)', () => {
    it('queues nothing', async () => {
      const d = deps([subscription('t1', 's-dec', ['decision.made'])]);
      const interaction = message(topics.customerEvents, {
        type: 'InteractionRecorded',
        tenantId: 't1',
        customerId: 'c1',
        data: {},
        metadata: { eventId: 'e2' },
      });
      expect(await dispatchWebhooks(d, [interaction, workItemOpened('t3', 'e3')])).toEqual([undefined, undefined]);
      expect(d.queued).toEqual([]);
    });
  });

  describe('when a message is not JSON, or lacks its ids', () => {
    it('dead-letters that one and still queues the others', async () => {
      const d = deps([subscription('t1', 's-all', ['*'])]);
      const results = await dispatchWebhooks(d, [
        message(topics.decisions, 'not json'),
        message(topics.customerEvents, { type: 'X' }),
        decision('t1', 'd9'),
      ]);
      expect(results[0]).toBeInstanceOf(PermanentMessageError);
      expect(results[1]).toMatchObject({ code: 'WEBHOOK_MESSAGE_INVALID', retryable: false });
      expect(results[2]).toBeUndefined();
      expect(d.queued.map((j) => j.opts.jobId)).toEqual(['s-all_d9']);
    });
  });
});
