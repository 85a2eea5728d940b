import type { Direction, EventMetadata, IdentityRef } from '@hub/contracts';
import {
  CUSTOMER_EVENT_TYPES,
  type CustomerEvent,
  type CustomerRegistered,
  type InteractionRecorded,
  type NbaActionKind,
  type NextBestActionDecided,
} from '../events/customer.events';
import { deepFreeze as deepFreezeAll } from '../testing/customer-events.fixtures';
import { generatedHistory } from '../testing/generated-history';
import { evolve, foldCustomer } from './customer.evolve';
import { initialCustomerState, type CustomerState } from './customer.state';

const TENANT = 'acme';
const CUSTOMER = 'c-0001';
const PHONE: IdentityRef = { kind: 'phone', value: '+14155550100' };
const EMAIL: IdentityRef = { kind: 'email', value: 'alice@example.com' };

function meta(eventId: string, occurredAt: string, channel: EventMetadata['channel'] = 'sms'): EventMetadata {
  return {
    eventId,
    correlationId: eventId,
    causationId: eventId,
    occurredAt,
    recordedAt: occurredAt,
    schemaVersion: 1,
    tenantId: TENANT,
    channel,
  };
}

function registered(at: string, identity: IdentityRef = PHONE, eventId = `reg-${at}`): CustomerRegistered {
  return { type: 'CustomerRegistered', data: { customerId: CUSTOMER, tenantId: TENANT, identity }, metadata: meta(eventId, at) };
}

function sms(
  eventId: string,
  at: string,
  text: string | undefined,
  opts: { direction?: Direction; identities?: IdentityRef[] } = {},
): InteractionRecorded {
  return {
    type: 'InteractionRecorded',
    data: {
      channel: 'sms',
      direction: opts.direction ?? 'inbound',
      kind: 'message',
      identities: opts.identities ?? [PHONE],
      content: text === undefined ? { media: [] } : { text, media: [] },
      provider: { name: 'twilio', messageId: `SM-${eventId}` },
      endpoint: '+14155550000',
    },
    metadata: meta(eventId, at),
  };
}

function decided(decisionId: string, at: string, kind: NbaActionKind, code: string, basedOnEventId: string): NextBestActionDecided {
  return {
    type: 'NextBestActionDecided',
    data: {
      decisionId,
      customerId: CUSTOMER,
      action: { kind, code, channel: 'sms', detail: `detail of ${code}` },
      explanation: { ruleId: `rule-for-${code}`, reason: `because ${code}`, inputs: { inboundLast24h: 1 } },
      strategyVersion: 'rules-v0.1',
      catalogVersion: null,
      seed: null,
      basedOnRevision: '3',
      basedOnEventId,
      contactMode: kind === 'none' ? 'none' : 'reply',
      segment: null,
      arbitration: null,
    },
    metadata: meta(decisionId, at, 'system'),
  };
}

const recentIds = (s: CustomerState) => s.recent.map((r) => r.eventId);

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

describe('customer evolve', () => {
  describe('given no events', () => {
    it('the customer is unknown, with nothing counted', () => {
      expect(foldCustomer([])).toEqual(initialCustomerState());
      expect(foldCustomer([]).status).toBe('unknown');
    });
  });

  describe('when the customer registers', () => {
    const state = foldCustomer([registered('2025-01-15T09:00:00.000Z')]);

    it('then they are active, with their id, tenant, registration time and identity', () => {
      expect(state).toEqual({
        ...initialCustomerState(),
        status: 'active',
        customerId: CUSTOMER,
        tenantId: TENANT,
        registeredAt: '2025-01-15T09:00:00.000Z',
        identities: [PHONE],
      });
    });
  });

  describe('when a registered customer registers again with another identity', () => {
    const state = foldCustomer([
      registered('2025-01-15T09:00:00.000Z'),
      registered('2025-01-16T09:00:00.000Z', EMAIL),
      registered('2025-01-17T09:00:00.000Z'),
    ]);

    it('then the first registration time stays', () => {
      expect(state.registeredAt).toBe('2025-01-15T09:00:00.000Z');
    });

    it('then each identity is listed once, in the order first seen', () => {
      expect(state.identities).toEqual([PHONE, EMAIL]);
    });
  });

  describe('given a registered customer', () => {
    const reg = registered('2025-01-15T09:00:00.000Z');

    describe('when interactions are recorded', () => {
      const state = foldCustomer([
        reg,
        sms('e1', '2025-01-15T09:00:00.000Z', 'Hi'),
        sms('e2', '2025-01-15T09:05:00.000Z', 'Thanks for reaching out', { direction: 'outbound' }),
        sms('e3', '2025-01-15T10:00:00.000Z', undefined),
      ]);

      it('then every interaction is counted, and only inbound ones as inbound', () => {
        expect(state.engagement.total).toBe(3);
        expect(state.engagement.inbound).toBe(2);
      });

      it('then the channel has its own count, inbound count, first and last time', () => {
        expect(state.engagement.byChannel).toEqual({
          sms: { count: 3, inbound: 2, firstAt: '2025-01-15T09:00:00.000Z', lastAt: '2025-01-15T10:00:00.000Z' },
        });
      });

      it('then recent lists them oldest first, with their text when they had one', () => {
        expect(state.recent).toEqual([
          {
            eventId: 'e1',
            channel: 'sms',
            direction: 'inbound',
            kind: 'message',
            messageId: 'SM-e1',
            occurredAt: '2025-01-15T09:00:00.000Z',
            text: 'Hi',
          },
          {
            eventId: 'e2',
            channel: 'sms',
            direction: 'outbound',
            kind: 'message',
            messageId: 'SM-e2',
            occurredAt: '2025-01-15T09:05:00.000Z',
            text: 'Thanks for reaching out',
          },
          {
            eventId: 'e3',
            channel: 'sms',
            direction: 'inbound',
            kind: 'message',
            messageId: 'SM-e3',
            occurredAt: '2025-01-15T10:00:00.000Z',
          },
        ]);
        expect(state.recent[2]).not.toHaveProperty('text');
      });

      it('then the customer id and registration are untouched', () => {
        expect(state).toMatchObject({ status: 'active', customerId: CUSTOMER, registeredAt: '2025-01-15T09:00:00.000Z' });
      });
    });

    describe('when an interaction names an identity the customer did not have', () => {
      const state = foldCustomer([
        reg,
        sms('e1', '2025-01-15T09:10:00.000Z', 'hi', { identities: [PHONE, EMAIL] }),
        sms('e2', '2025-01-15T09:20:00.000Z', 'hi again'),
      ]);

      it('then the new identity is added once', () => {
        expect(state.identities).toEqual([PHONE, EMAIL]);
      });
    });

    describe('when a message arrives late, after later ones were recorded', () => {
      const state = foldCustomer([
        reg,
        sms('e1', '2025-01-15T09:00:00.000Z', 'first'),
        sms('e3', '2025-01-15T11:00:00.000Z', 'third'),
        sms('e2', '2025-01-15T10:00:00.000Z', 'second, delivered late'),
      ]);

      it('then it lands in recent in the order things happened', () => {
        expect(recentIds(state)).toEqual(['e1', 'e2', 'e3']);
      });

      it('then the last message is still the latest that happened', () => {
        expect(state.recent.at(-1)?.text).toBe('third');
        expect(state.engagement.byChannel.sms?.lastAt).toBe('2025-01-15T11:00:00.000Z');
      });
    });

    describe('when the late message is older than everything recorded', () => {
      const state = foldCustomer([reg, sms('e2', '2025-01-15T10:00:00.000Z', 'b'), sms('e1', '2025-01-15T08:00:00.000Z', 'a')]);

      it('then it becomes the first contact on the channel', () => {
        expect(state.engagement.byChannel.sms).toEqual({
          count: 2,
          inbound: 2,
          firstAt: '2025-01-15T08:00:00.000Z',
          lastAt: '2025-01-15T10:00:00.000Z',
        });
        expect(recentIds(state)).toEqual(['e1', 'e2']);
      });
    });

    describe('when producers write the same instant in different ISO 8601 forms', () => {
      // 10:30Z written with an offset, and second-precision next to millisecond-precision.
      const state = foldCustomer([
        reg,
        sms('at-10:00:00.500', '2025-01-15T10:00:00.500Z', 'b'),
        sms('at-10:00:00', '2025-01-15T10:00:00Z', 'a'),
        sms('at-10:30', '2025-01-15T12:30:00+02:00', 'd'),
        sms('at-10:15', '2025-01-15T10:15:00.000Z', 'c'),
      ]);

      it('then recent is in the order of the instants, not of the strings', () => {
        expect(recentIds(state)).toEqual(['at-10:00:00', 'at-10:00:00.500', 'at-10:15', 'at-10:30']);
      });

      it('then first and last contact are the earliest and latest instants', () => {
        expect(state.engagement.byChannel.sms).toMatchObject({ firstAt: '2025-01-15T10:00:00Z', lastAt: '2025-01-15T12:30:00+02:00' });
      });
    });

    describe('when more than ten interactions are recorded', () => {
      const times = Array.from({ length: 12 }, (_, i) => `2025-01-15T${String(8 + i).padStart(2, '0')}:00:00.000Z`);
      const events = times.map((t, i) => sms(`e${i}`, t, `m${i}`));
      const state = foldCustomer([reg, ...events]);

      it('then recent keeps the ten latest', () => {
        expect(recentIds(state)).toEqual(['e2', 'e3', 'e4', 'e5', 'e6', 'e7', 'e8', 'e9', 'e10', 'e11']);
      });

      it('then the counts still include all of them', () => {
        expect(state.engagement.total).toBe(12);
        expect(state.engagement.byChannel.sms?.count).toBe(12);
      });

      it('then a late message older than all ten does not push a newer one out', () => {
        const after = evolve(state, sms('old', '2025-01-14T23:00:00.000Z', 'yesterday'));
        expect(recentIds(after)).toEqual(recentIds(state));
        expect(after.engagement.byChannel.sms?.firstAt).toBe('2025-01-14T23:00:00.000Z');
      });
    });

    describe('when the customer texts STOP', () => {
      const optedOut = foldCustomer([reg, sms('e1', '2025-01-15T09:00:00.000Z', 'Hi'), sms('e2', '2025-01-15T09:01:00.000Z', 'STOP')]);

      it('then they are opted out on that channel', () => {
        expect(optedOut.consent).toEqual({ sms: 'opted_out' });
      });

      it('then the STOP message is still an interaction like any other', () => {
        expect(optedOut.engagement.total).toBe(2);
        expect(optedOut.recent.at(-1)?.text).toBe('STOP');
      });

      describe('and then texts START', () => {
        const optedIn = evolve(optedOut, sms('e3', '2025-01-15T09:02:00.000Z', 'start'));

        it('then they are opted in again', () => {
          expect(optedIn.consent).toEqual({ sms: 'opted_in' });
        });
      });

      describe('and then writes an ordinary message', () => {
        const later = evolve(optedOut, sms('e3', '2025-01-15T09:02:00.000Z', 'please stop calling my old number'));

        it('then they stay opted out', () => {
          expect(later.consent).toEqual({ sms: 'opted_out' });
        });
      });
    });

    describe('when an outbound message happens to read STOP', () => {
      const state = foldCustomer([reg, sms('e1', '2025-01-15T09:00:00.000Z', 'STOP', { direction: 'outbound' })]);

      it('then consent does not change: only the customer can withdraw it', () => {
        expect(state.consent).toEqual({});
      });
    });

    describe('when a next best action is decided', () => {
      const first = foldCustomer([
        reg,
        sms('e1', '2025-01-15T09:00:00.000Z', 'where is my order'),
        decided('d1', '2025-01-15T09:00:05.000Z', 'self_service', 'kb_order_tracking', 'e1'),
      ]);

      it('then it is the last decision, with what, why and on which state', () => {
        expect(first.lastDecision).toEqual({
          decisionId: 'd1',
          kind: 'self_service',
          code: 'kb_order_tracking',
          detail: 'detail of kb_order_tracking',
          decidedAt: '2025-01-15T09:00:05.000Z',
          basedOnRevision: '3',
          basedOnEventId: 'e1',
          ruleId: 'rule-for-kb_order_tracking',
          reason: 'because kb_order_tracking',
        });
        expect(first.decisions).toBe(1);
      });

      it('then interactions and consent are untouched', () => {
        expect(first.engagement.total).toBe(1);
        expect(first.recent).toHaveLength(1);
      });

      describe('and then its outcome is recorded', () => {
        const outcome: CustomerEvent = {
          type: 'NbaOutcomeRecorded',
          data: {
            decisionId: 'd1',
            actionId: 'kb_order_tracking',
            outcome: 'accepted',
            segment: 'low_value_happy',
            channel: 'sms',
            source: 'channel',
          },
          metadata: meta('o1', '2025-01-15T09:30:00.000Z', 'system'),
        };

        it('then the customer state does not change: outcomes teach the decision engine, which reads them from the stream', () => {
          expect(evolve(first, outcome)).toEqual(first);
        });
      });

      describe('and then another one', () => {
        const second = foldCustomer(
          [
            sms('e2', '2025-01-15T09:10:00.000Z', 'refund now'),
            decided('d2', '2025-01-15T09:10:05.000Z', 'escalation', 'escalate_manager', 'e2'),
          ],
          first,
        );

        it('then the newer decision replaces it and both are counted', () => {
          expect(second.lastDecision).toMatchObject({
            decisionId: 'd2',
            kind: 'escalation',
            code: 'escalate_manager',
            basedOnEventId: 'e2',
          });
          expect(second.decisions).toBe(2);
        });
      });
    });
  });

  describe('folding', () => {
    const history: CustomerEvent[] = [
      registered('2025-01-15T09:00:00.000Z'),
      sms('e1', '2025-01-15T09:00:00.000Z', 'Hi', { identities: [PHONE, EMAIL] }),
      sms('e3', '2025-01-15T11:00:00.000Z', 'STOP'),
      sms('e2', '2025-01-15T10:00:00.000Z', 'late'),
      decided('d1', '2025-01-15T11:00:05.000Z', 'none', 'respect_opt_out', 'e3'),
    ];

    it('gives the same state for the same events, every time', () => {
      expect(foldCustomer(history)).toEqual(foldCustomer(history));
      expect(JSON.stringify(foldCustomer(history))).toBe(JSON.stringify(foldCustomer(history)));
    });

    it('does not mutate the events or the state it starts from', () => {
      const events = deepFreeze(structuredClone(history));
      const from = deepFreeze(initialCustomerState());
      const before = JSON.stringify({ events, from });
      expect(() => foldCustomer(events, from)).not.toThrow();
      expect(JSON.stringify({ events, from })).toBe(before);
    });

    it('does not change a state it already returned when folding on from it', () => {
      const partial = foldCustomer(history.slice(0, 2));
      const snapshot = structuredClone(partial);
      foldCustomer(history.slice(2), partial);
      expect(partial).toEqual(snapshot);
    });

    it('folding in two steps gives the same state as folding at once', () => {
      expect(foldCustomer(history.slice(3), foldCustomer(history.slice(0, 3)))).toEqual(foldCustomer(history));
    });

    it('accepts any iterable of events, such as a generator over a stream', () => {
      function* stream() {
        yield* history;
      }
      expect(foldCustomer(stream())).toEqual(foldCustomer(history));
    });
  });
});

describe('when the customer is erased', () => {
  const erased: CustomerEvent = {
    type: 'CustomerErased',
    data: { customerId: 'c-0001', reason: 'gdpr-art17', requestedBy: 'operator-7' },
    metadata: { ...registered('2025-01-15T09:00:00.000Z').metadata, eventId: 'erase-1', occurredAt: '2025-02-01T00:00:00.000Z' },
  };
  const state = foldCustomer([
    registered('2025-01-15T09:00:00.000Z'),
    sms('e1', '2025-01-15T09:00:00.000Z', 'Hi', { identities: [PHONE, EMAIL] }),
    erased,
  ]);

  it('then the state says so, with when', () => {
    expect(state.status).toBe('erased');
    expect(state.erasedAt).toBe('2025-02-01T00:00:00.000Z');
  });

  it('then no identity or trait of the person remains in the state', () => {
    expect(state.identities).toEqual([]);
    expect(state.traits).toEqual({});
  });
});

describe('customer evolve over every event type', () => {
  const events = generatedHistory(42, 300, { erase: true });

  it('handles every customer event type', () => {
    expect(new Set(events.map((e) => e.type))).toEqual(new Set(CUSTOMER_EVENT_TYPES));
  });

  it('mutates neither the events nor the states it folds from', () => {
    const frozen = deepFreezeAll(structuredClone(events));
    let state = deepFreezeAll(initialCustomerState());
    for (const e of frozen) state = deepFreezeAll(evolve(state, e));
    expect(state).toEqual(foldCustomer(events));
  });

  it('gives the same state for the same events, every time', () => {
    expect(JSON.stringify(foldCustomer(events))).toBe(JSON.stringify(foldCustomer(structuredClone(events))));
  });
});

describe('identities an interaction names', () => {
  const CARD: IdentityRef = { kind: 'phone', value: '+14155550188' };
  const HANDLE: IdentityRef = { kind: 'handle', namespace: 'telegram', value: '888001' };
  const shared = (stamp: boolean): InteractionRecorded => {
    const e = sms('t-2', '2025-01-15T10:00:00.000Z', 'my number', { identities: [HANDLE, CARD] });
    return stamp ? { ...e, data: { ...e.data, identitiesHeldByOthers: [CARD] } } : e;
  };

  it('given one another customer held when it was recorded (merge evidence), then it is not this customer’s', () => {
    expect(foldCustomer([registered('2025-01-15T09:00:00.000Z', HANDLE), shared(true)]).identities).toEqual([HANDLE]);
  });

  it('given an interaction recorded before the recorder said which it did not claim, then every identity it named is taken, as it always was', () => {
    expect(foldCustomer([registered('2025-01-15T09:00:00.000Z', HANDLE), shared(false)]).identities).toEqual([HANDLE, CARD]);
  });
});
