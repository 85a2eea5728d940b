import { CURRENT_SCHEMA_VERSIONS } from '../events/schema-versions';
import { foldCustomer } from '../state/customer.evolve';
import { inbound, meta, registered } from '../testing/customer-events.fixtures';
import { createUpcaster, upcast, UpcastError, type StoredEvent } from './customer.upcasters';

const legacyMeta = (eventId: string, at: string) => meta(eventId, at, { channel: 'sms', schemaVersion: 0 });

describe('upcast', () => {
  describe('given a current event', () => {
    it('then it is returned as it is', () => {
      const event = inbound('i1', '2025-01-15T09:00:00.000Z', { text: 'hi' });
      expect(upcast(event)).toEqual(event);
    });
  });

  describe('given a CustomerRegistered v0 from the legacy export, with a phone string', () => {
    const stored: StoredEvent = {
      type: 'CustomerRegistered',
      data: { customerId: 'c-1', tenantId: 'acme', phone: '+1 (415) 555-0100' },
      metadata: legacyMeta('r1', '2024-06-01T09:00:00.000Z'),
    };
    const event = upcast(stored);

    it('then it becomes v1 with an E.164 phone identity', () => {
      expect(event).toEqual({
        type: 'CustomerRegistered',
        data: { customerId: 'c-1', tenantId: 'acme', identity: { kind: 'phone', value: '+14155550100' } },
        metadata: { ...stored.metadata, schemaVersion: 1 },
      });
    });

    it('then it folds like a customer registered today', () => {
      expect(foldCustomer([event]).identities).toEqual([{ kind: 'phone', value: '+14155550100' }]);
    });

    it('then a phone that does not parse is kept as written rather than lost', () => {
      expect(upcast({ ...stored, data: { customerId: 'c-1', tenantId: 'acme', phone: '555-0100' } }).data).toMatchObject({
        identity: { kind: 'phone', value: '555-0100' },
      });
    });
  });

  describe('given an InteractionRecorded v0 without kind, its text at the top level', () => {
    const stored: StoredEvent = {
      type: 'InteractionRecorded',
      data: {
        channel: 'sms',
        direction: 'inbound',
        identities: [{ kind: 'phone', value: '+14155550100' }],
        text: 'STOP',
        provider: { name: 'legacy', messageId: 'L-1' },
      },
      metadata: legacyMeta('i1', '2024-06-01T09:05:00.000Z'),
    };
    const event = upcast(stored);

    it('then it becomes a v1 message with content', () => {
      expect(event).toEqual({
        type: 'InteractionRecorded',
        data: {
          channel: 'sms',
          direction: 'inbound',
          kind: 'message',
          identities: [{ kind: 'phone', value: '+14155550100' }],
          content: { text: 'STOP', media: [] },
          provider: { name: 'legacy', messageId: 'L-1' },
        },
        metadata: { ...stored.metadata, schemaVersion: 1 },
      });
    });

    it('then the fold reads it like any message: the STOP still counts', () => {
      const state = foldCustomer([
        upcast({
          type: 'CustomerRegistered',
          data: { customerId: 'c-1', tenantId: 'acme', phone: '+14155550100' },
          metadata: legacyMeta('r1', '2024-06-01T09:00:00.000Z'),
        }),
        event,
      ]);
      expect(state.consent).toEqual({ sms: 'opted_out' });
      expect(state.recent[0]?.text).toBe('STOP');
    });

    it('then an event without text gets empty content', () => {
      const withoutText: Record<string, unknown> = { ...(stored.data as Record<string, unknown>) };
      delete withoutText['text'];
      expect(upcast({ ...stored, data: withoutText }).data).toMatchObject({ content: { media: [] } });
    });
  });

  describe('given a NextBestActionDecided v1 of the first rule set', () => {
    const v1Data = {
      decisionId: 'd-1',
      customerId: 'c-1',
      action: { kind: 'self_service', code: 'kb_password_reset', channel: 'sms', detail: 'Send the self-service password reset link' },
      explanation: {
        ruleId: 'routine-self-service',
        reason: 'routine inquiry ("password")',
        inputs: { lastChannel: 'sms', matched: 'password' },
      },
      rulesetVersion: 'rules-v0.2',
      basedOnRevision: '0',
      basedOnEventId: 'i1',
    };
    const stored: StoredEvent = { type: 'NextBestActionDecided', data: v1Data, metadata: meta('d-1', '2025-01-15T09:00:01.000Z') };
    const event = upcast(stored);

    it('then it becomes v3: the rule set version is the strategy version, no catalog, seed or arbitration, a reply in no segment', () => {
      const { rulesetVersion, ...rest } = v1Data;
      expect(event).toEqual({
        type: 'NextBestActionDecided',
        data: {
          ...rest,
          strategyVersion: rulesetVersion,
          catalogVersion: null,
          seed: null,
          arbitration: null,
          contactMode: 'reply',
          segment: null,
        },
        metadata: { ...stored.metadata, schemaVersion: 3 },
      });
    });

    it('then it still folds into the last decision, with its rule and reason', () => {
      const state = foldCustomer([inbound('i1', '2025-01-15T09:00:00.000Z', { text: 'password?' }), event]);
      expect(state.lastDecision).toMatchObject({
        decisionId: 'd-1',
        kind: 'self_service',
        code: 'kb_password_reset',
        ruleId: 'routine-self-service',
        basedOnEventId: 'i1',
      });
      expect(state.decisions).toBe(1);
    });
  });

  describe('given a NextBestActionDecided v2 that recorded its whole ranking', () => {
    const chosen = {
      ...{ rank: 1, actionId: 'callback_offer', kind: 'service', strategy: 'service', detail: 'Offer a call back' },
      ...{ channel: 'voice', contactMode: 'proactive', priority: 0.5 },
    };
    const v2Data = {
      decisionId: 'd-2',
      customerId: 'c-1',
      action: { kind: 'service', code: 'callback_offer', channel: 'voice', detail: 'Offer a call back' },
      explanation: { ruleId: 'service', reason: 'callback_offer ranked first of 1', inputs: { trigger: 'InteractionRecorded' } },
      strategyVersion: 'nba-engine-v1',
      catalogVersion: '2025.06-1',
      seed: 7,
      basedOnRevision: '0',
      basedOnEventId: 'i1',
      arbitration: { segment: 'champion', facts: {}, defaults: [], counters: {}, chosen, menu: [chosen], candidates: [] },
    };
    const v2Meta = { ...meta('d-2', '2025-01-15T09:00:01.000Z'), schemaVersion: 2 };
    const v2 = (data: Record<string, unknown>): StoredEvent => ({ type: 'NextBestActionDecided', data, metadata: v2Meta });

    it('then it becomes v3 keeping its arbitration, its contact mode and segment taken from it', () => {
      const event = upcast(v2(v2Data));
      const data = { ...v2Data, contactMode: 'proactive', segment: 'champion' };
      expect(event).toEqual({ type: 'NextBestActionDecided', data, metadata: { ...v2Meta, schemaVersion: 3 } });
    });

    it('then a decision to do nothing does not contact the customer, whatever its ranking says', () => {
      const event = upcast(v2({ ...v2Data, action: { kind: 'none', code: 'do_nothing', detail: '' } }));
      expect(event.type === 'NextBestActionDecided' && event.data.contactMode).toBe('none');
    });
  });

  describe('given an event without a schema version', () => {
    it('then it is read as version 1', () => {
      const metadata: StoredEvent['metadata'] = { ...registered('c-1', '2025-01-15T09:00:00.000Z').metadata };
      delete metadata.schemaVersion;
      const event = upcast({
        type: 'CustomerRegistered',
        data: { customerId: 'c-1', tenantId: 'acme', identity: { kind: 'phone', value: '+14155550100' } },
        metadata,
      });
      expect(event.metadata.schemaVersion).toBe(1);
    });
  });

  describe('given an event it cannot read', () => {
    const base = registered('c-1', '2025-01-15T09:00:00.000Z');
    const codeOf = (stored: StoredEvent): string | undefined => {
      try {
        upcast(stored);
        return undefined;
      } catch (err) {
        return err instanceof UpcastError ? `${err.code}:${err.retryable}` : 'other';
      }
    };

    it('then it names why, and whether waiting for a deploy can help', () => {
      expect(codeOf({ ...base, type: 'CustomerTeleported' })).toBe('UNKNOWN_EVENT_TYPE:false');
      expect(codeOf({ ...base, metadata: { ...base.metadata, schemaVersion: 7 } })).toBe('SCHEMA_VERSION_TOO_NEW:true');
      expect(codeOf({ ...base, type: 'OrderPlaced', metadata: { ...base.metadata, schemaVersion: 0 } })).toBe('NO_UPCASTER:false');
      expect(codeOf({ ...base, data: null })).toBe('INVALID_EVENT_DATA:false');
      expect(codeOf({ ...base, metadata: { ...base.metadata, schemaVersion: -1 } })).toBe('INVALID_EVENT_DATA:false');
    });
  });

  describe('given a registry with several versions of an event', () => {
    // v1 { amount: 12.5 } in major units → v2 { amountMinor: 1250 } → v3 { amount: 1250 } (renamed back).
    const upcastOrders = createUpcaster(
      {
        OrderPlaced: {
          1: ({ amount, ...rest }) => ({ ...rest, amountMinor: Math.round(Number(amount) * 100) }),
          2: ({ amountMinor, ...rest }) => ({ ...rest, amount: amountMinor }),
        },
      },
      { ...CURRENT_SCHEMA_VERSIONS, OrderPlaced: 3 },
    );
    const stored: StoredEvent = {
      type: 'OrderPlaced',
      data: { orderId: 'A-1', amount: 12.5, currency: 'EUR' },
      metadata: meta('o1', '2024-06-01T09:00:00.000Z'),
    };

    it('then it applies them one after another until the current version', () => {
      expect(upcastOrders(stored)).toEqual({
        type: 'OrderPlaced',
        data: { orderId: 'A-1', amount: 1250, currency: 'EUR' },
        metadata: { ...stored.metadata, schemaVersion: 3 },
      });
    });

    it('then an event already at an intermediate version takes only the remaining steps', () => {
      const v2: StoredEvent = {
        ...stored,
        data: { orderId: 'A-1', amountMinor: 999, currency: 'EUR' },
        metadata: { ...stored.metadata, schemaVersion: 2 },
      };
      expect(upcastOrders(v2).data).toEqual({ orderId: 'A-1', amount: 999, currency: 'EUR' });
    });

    it('then the stored event is not changed', () => {
      const before = structuredClone(stored);
      upcastOrders(stored);
      expect(stored).toEqual(before);
    });
  });

  it('knows a current schema version for every customer event type', () => {
    expect(Object.keys(CURRENT_SCHEMA_VERSIONS).sort()).toEqual(
      [
        'ConsentChanged',
        'ConversationResolved',
        'CustomerErased',
        'CustomerMergedInto',
        'CustomerRegistered',
        'CustomerRestored',
        'CustomerUnmerged',
        'CustomersMerged',
        'InteractionRecorded',
        'MergeProposed',
        'MergeProposalRejected',
        'NextBestActionDecided',
        'NbaOutcomeRecorded',
        'OrderPlaced',
        'OrderRefunded',
        'SurveyAnswered',
        'TraitsUpdated',
        'WorkItemOpened',
        'WorkItemClaimed',
        'WorkItemReassigned',
        'WorkItemResolved',
      ].sort(),
    );
  });
});
