import type { CustomerEventMessage, EventMetadata } from '@hub/contracts';
import type { NbaDecisionMessageV2 } from '@hub/customer';
import { webhookEventOfCustomerEvent, webhookEventOfDecision } from './webhook-event';

const metadata = {
  eventId: 'e-1',
  correlationId: 'c-1',
  causationId: 'c-1',
  occurredAt: '2026-12-07T10:00:00.000Z',
  recordedAt: '2026-12-07T10:00:01.000Z',
  schemaVersion: 1,
  tenantId: 't1',
  channel: 'system',
} as EventMetadata;
const message = (type: string, data: unknown): CustomerEventMessage => ({
  type,
  tenantId: 't1',
  customerId: 'cust-1',
  streamRevision: '3',
  globalPosition: '42',
  data,
  metadata,
});

describe('what a webhook carries', () => {
  describe('when a decision is published', () => {
    it('is the v2 message as it is, typed decision.made, its id the decision id', () => {
      const decision = {
        decisionId: 'd-1',
        kind: 'no-action',
        tenantId: 't1',
        customerId: 'cust-1',
        decidedAt: '2026-12-07T10:00:00.000Z',
      };
      const e = webhookEventOfDecision(decision as NbaDecisionMessageV2);
      expect(e).toEqual({
        id: 'd-1',
        tenantId: 't1',
        payload: { type: 'decision.made', timestamp: '2026-12-07T10:00:00.000Z', tenantId: 't1', data: decision },
      });
    });
  });

  describe('when a work item is reassigned or resolved', () => {
    it('leaves out the sealed reason and note', () => {
      const reassigned = webhookEventOfCustomerEvent(
        message('WorkItemReassigned', { workItemId: 'w', from: 'a', to: 'b', reason: 'secret' }),
      );
      expect(reassigned?.payload).toEqual({
        type: 'work_item.reassigned',
        timestamp: metadata.occurredAt,
        tenantId: 't1',
        data: { customerId: 'cust-1', workItemId: 'w', from: 'a', to: 'b', eventType: 'WorkItemReassigned' },
      });
      const resolved = webhookEventOfCustomerEvent(
        message('WorkItemResolved', { workItemId: 'w', resolution: 'solved', note: 'n', by: 'b' }),
      );
      expect(resolved?.payload.data).toEqual({
        customerId: 'cust-1',
        workItemId: 'w',
        resolution: 'solved',
        by: 'b',
        eventType: 'WorkItemResolved',
      });
      expect(resolved?.id).toBe('e-1');
    });
  });

  describe('when a customer changes', () => {
    it('says which traits changed, never their values', () => {
      const e = webhookEventOfCustomerEvent(message('TraitsUpdated', { traits: { tier: 'gold', email: 'a@b.c' } }));
      expect(e?.payload.data).toEqual({ customerId: 'cust-1', traits: ['email', 'tier'], eventType: 'TraitsUpdated' });
    });

    it('gives a registration without the identity, a merge without evidence, an erasure without the reason', () => {
      const registered = webhookEventOfCustomerEvent(
        message('CustomerRegistered', { customerId: 'cust-1', identity: { kind: 'phone', value: '+1' } }),
      );
      expect(registered?.payload.data).toEqual({ customerId: 'cust-1', eventType: 'CustomerRegistered' });
      const merged = webhookEventOfCustomerEvent(
        message('CustomersMerged', { mergeId: 'm', survivorId: 's', mergedId: 'x', reason: 'r', evidence: {}, identitiesMoved: [{}] }),
      );
      expect(merged?.payload).toMatchObject({ type: 'customers.merged', data: { mergeId: 'm', survivorId: 's', mergedId: 'x' } });
      expect(merged?.payload.data).not.toHaveProperty('identitiesMoved');
      const erased = webhookEventOfCustomerEvent(
        message('CustomerErased', { customerId: 'cust-1', reason: 'TICKET-1', requestedBy: 'ops' }),
      );
      expect(erased?.payload).toMatchObject({ type: 'customer.erased', data: { customerId: 'cust-1', eventType: 'CustomerErased' } });
      expect(erased?.payload.data).not.toHaveProperty('reason');
    });

    it('gives a consent change whole (channel, consent, source)', () => {
      const e = webhookEventOfCustomerEvent(message('ConsentChanged', { channel: 'sms', consent: 'opted_out', source: 'keyword' }));
      expect(e?.payload).toMatchObject({
        type: 'customer.consent_changed',
        data: { channel: 'sms', consent: 'opted_out', source: 'keyword' },
      });
    });
  });

  describe('when the event is not delivered (an interaction, a decision event)', () => {
    it('gives nothing', () => {
      expect(webhookEventOfCustomerEvent(message('InteractionRecorded', { text: 'hi' }))).toBeUndefined();
      expect(webhookEventOfCustomerEvent(message('NextBestActionDecided', {}))).toBeUndefined();
      expect(webhookEventOfCustomerEvent(message('constructor', {}))).toBeUndefined();
    });
  });
});
