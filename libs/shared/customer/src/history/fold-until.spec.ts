import type { CustomerEvent } from '../events/customer.events';
import { foldCustomer } from '../state/customer.evolve';
import { consentChanged, inbound, orderPlaced, registered } from '../testing/customer-events.fixtures';
import { foldUntil } from './fold-until';

/** What happened, and when the hub recorded it (the STOP reached the hub an hour late). */
const stream: CustomerEvent[] = [
  registered('c-1', '2025-01-15T09:00:00.000Z', undefined, { recordedAt: '2025-01-15T09:00:01.000Z' }), // revision 0
  inbound('hi', '2025-01-15T09:00:00.000Z', { text: 'hi', recordedAt: '2025-01-15T09:00:01.000Z' }), // 1
  orderPlaced('o1', '2025-01-15T10:00:00.000Z', 'A-1', 50_00, 'EUR', { recordedAt: '2025-01-15T10:00:02.000Z' }), // 2
  inbound('stop', '2025-01-15T10:30:00.000Z', { text: 'STOP', recordedAt: '2025-01-15T11:30:00.000Z' }), // 3
  consentChanged('web', '2025-01-15T12:00:00.000Z', 'opted_in', { recordedAt: '2025-01-15T12:00:00.000Z' }), // 4
];

describe('foldUntil', () => {
  describe('given no bound', () => {
    it('then it is the whole fold', () => {
      expect(foldUntil(stream, {})).toEqual(foldCustomer(stream));
    });
  });

  describe('as of a time before a later event was recorded', () => {
    const asOf11 = foldUntil(stream, { time: '2025-01-15T11:00:00.000Z' });

    it('then that event is invisible', () => {
      expect(asOf11.value.orders).toBe(1);
      expect(asOf11.engagement.total).toBe(1);
      expect(asOf11.consent).toEqual({});
    });

    it('then an event that happened before the time but was recorded after it is invisible too: the hub did not know it yet', () => {
      expect(asOf11.recent.map((r) => r.eventId)).toEqual(['hi']);
    });

    it('then it equals folding exactly what was recorded by then', () => {
      expect(asOf11).toEqual(foldCustomer(stream.slice(0, 3)));
    });
  });

  describe('as of the very instant an event was recorded', () => {
    it('then it is included', () => {
      expect(foldUntil(stream, { time: '2025-01-15T11:30:00.000Z' }).consent).toEqual({ sms: 'opted_out' });
      expect(foldUntil(stream, { time: '2025-01-15T11:29:59.999Z' }).consent).toEqual({});
    });
  });

  describe('as of a time written with an offset', () => {
    it('then it is compared as an instant', () => {
      expect(foldUntil(stream, { time: '2025-01-15T13:30:00+02:00' })).toEqual(foldUntil(stream, { time: '2025-01-15T11:30:00.000Z' }));
    });
  });

  describe('as of a revision', () => {
    it('then it folds events up to and including that revision', () => {
      expect(foldUntil(stream, { revision: 2n })).toEqual(foldCustomer(stream.slice(0, 3)));
      expect(foldUntil(stream, { revision: 0n }).status).toBe('active');
      expect(foldUntil(stream, { revision: 99n })).toEqual(foldCustomer(stream));
    });
  });

  describe('as of both a time and a revision', () => {
    it('then both bounds apply', () => {
      expect(foldUntil(stream, { revision: 4n, time: '2025-01-15T11:00:00.000Z' })).toEqual(foldCustomer(stream.slice(0, 3)));
      expect(foldUntil(stream, { revision: 1n, time: '2025-01-15T23:00:00.000Z' })).toEqual(foldCustomer(stream.slice(0, 2)));
    });
  });

  describe('as of a time before anything was recorded', () => {
    it('then the customer is unknown', () => {
      expect(foldUntil(stream, { time: '2025-01-01T00:00:00.000Z' }).status).toBe('unknown');
    });
  });

  describe('given a time that is not a time', () => {
    it('then it is refused rather than folding nothing', () => {
      expect(() => foldUntil(stream, { time: 'yesterday' })).toThrow(RangeError);
    });
  });
});
