import { registered, traitsUpdated } from '../testing/customer-events.fixtures';
import { foldCustomer } from './customer.evolve';

const reg = registered('c-1', '2025-01-15T08:00:00.000Z');

describe('traits', () => {
  describe('when traits are set', () => {
    const state = foldCustomer([
      reg,
      traitsUpdated('t1', '2025-01-15T09:00:00.000Z', { tier: 'gold', language: 'de', vip: true, seats: 12 }),
    ]);

    it('then the customer has them, with when each was set', () => {
      expect(state.traits).toEqual({ tier: 'gold', language: 'de', vip: true, seats: 12 });
      expect(state.traitsSetAt).toEqual({
        tier: '2025-01-15T09:00:00.000Z',
        language: '2025-01-15T09:00:00.000Z',
        vip: '2025-01-15T09:00:00.000Z',
        seats: '2025-01-15T09:00:00.000Z',
      });
    });
  });

  describe('when a later update sets some of them again', () => {
    const state = foldCustomer([
      reg,
      traitsUpdated('t1', '2025-01-15T09:00:00.000Z', { tier: 'gold', language: 'de' }),
      traitsUpdated('t2', '2025-01-16T09:00:00.000Z', { tier: 'platinum', timezone: 'Europe/Berlin' }),
    ]);

    it('then the last write wins per key, and the others stay', () => {
      expect(state.traits).toEqual({ tier: 'platinum', language: 'de', timezone: 'Europe/Berlin' });
    });
  });

  describe('when an older update is recorded after a newer one', () => {
    const state = foldCustomer([
      reg,
      traitsUpdated('new', '2025-01-16T09:00:00.000Z', { tier: 'platinum' }),
      traitsUpdated('old', '2025-01-15T09:00:00.000Z', { tier: 'gold', language: 'de' }),
    ]);

    it('then it does not override the newer value, but sets keys the newer one did not have', () => {
      expect(state.traits).toEqual({ tier: 'platinum', language: 'de' });
      expect(state.traitsSetAt['tier']).toBe('2025-01-16T09:00:00.000Z');
    });
  });

  describe('when two updates of a key happened at the same instant', () => {
    const state = foldCustomer([
      reg,
      traitsUpdated('a', '2025-01-16T09:00:00.000Z', { tier: 'gold' }),
      traitsUpdated('b', '2025-01-16T09:00:00.000Z', { tier: 'silver' }),
    ]);

    it('then the one recorded later wins', () => {
      expect(state.traits['tier']).toBe('silver');
    });
  });

  describe('when a trait is cleared', () => {
    const state = foldCustomer([
      reg,
      traitsUpdated('a', '2025-01-15T09:00:00.000Z', { tier: 'gold' }),
      traitsUpdated('b', '2025-01-16T09:00:00.000Z', { tier: null }),
    ]);

    it('then its value is null', () => {
      expect(state.traits).toEqual({ tier: null });
    });
  });

  describe('when a trait is named like a property every object has', () => {
    const state = foldCustomer([reg, traitsUpdated('a', '2025-01-15T09:00:00.000Z', { constructor: 'x', toString: 'y' })]);

    it('then it is an ordinary trait', () => {
      expect(state.traits).toEqual({ constructor: 'x', toString: 'y' });
      expect(JSON.parse(JSON.stringify(state.traits))).toEqual({ constructor: 'x', toString: 'y' });
    });

    it('then even __proto__ from a JSON payload is a trait, not a prototype', () => {
      const traits = JSON.parse('{"__proto__":"x"}') as Record<string, string>;
      const after = foldCustomer([traitsUpdated('b', '2025-01-15T10:00:00.000Z', traits)], state);
      expect(Object.getPrototypeOf(after.traits)).toBe(Object.prototype);
      expect(Object.hasOwn(after.traits, '__proto__')).toBe(true);
      expect(JSON.stringify(after.traits)).toBe('{"constructor":"x","toString":"y","__proto__":"x"}');
    });
  });
});
