import type { Catalog } from '../catalog/catalog.types';
import { loadCatalog } from '../catalog/load-catalog';

/**
 * A small catalog for arbitration specs. `priorStrength` 1e9 makes every posterior (almost) a point
 * mass at the base propensity, so priorities are base × C × V × L to within 1e-4.
 */
export function testCatalogJson(actions: object[], overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    catalogVersion: 'test-1',
    arbitration: { menuSize: 2, minPriority: 0 },
    learning: { segmentBy: 'customer.quadrant', priorStrength: 1e9, noResponseWeight: 1, noResponseAfterHours: 72 },
    levers: [{ id: 'push', value: 2 }],
    contactPolicy: {
      defaultTimeZone: 'UTC',
      timeZoneTrait: 'timezone',
      quietHours: { from: '21:00', to: '08:00' },
      replyWindowHours: 24,
      cooldown: { afterDeclineDays: 14, afterNoResponseDays: 3, minDaysBetween: 0 },
      channels: [
        { channel: 'sms', reachableBy: ['phone'], cap: { max: 1, windowDays: 7 }, quietHours: true },
        { channel: 'whatsapp', reachableBy: [], cap: { max: 2, windowDays: 7 }, quietHours: true },
        { channel: 'email', reachableBy: ['email'], cap: { max: 1, windowDays: 7 }, quietHours: false },
      ],
    },
    actions: [
      ...actions,
      {
        id: 'nothing',
        kind: 'none',
        strategy: 'do_nothing',
        detail: 'No contact',
        channels: [],
        contactMode: 'none',
        value: 0,
        basePropensity: 0.5,
      },
    ],
    ...overrides,
  };
}

export const testAction = (id: string, o: Record<string, unknown> = {}): Record<string, unknown> => ({
  id,
  kind: 'service',
  strategy: 'test',
  detail: `do ${id}`,
  channels: ['sms'],
  contactMode: 'reply',
  value: 10,
  basePropensity: 0.5,
  ...o,
});

export const testCatalog = (actions: object[], overrides: Record<string, unknown> = {}): Catalog =>
  loadCatalog(testCatalogJson(actions, overrides));
