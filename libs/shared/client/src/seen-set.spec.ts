import { BoundedSeenSet } from './seen-set';

describe('the seen-set of decision ids', () => {
  describe('when a decision was seen 30 s ago (a relay crashed and published it again)', () => {
    it('is still seen within a window of 10 minutes', () => {
      const seen = new BoundedSeenSet({ maxEntries: 100, ttlMs: 600_000 });
      seen.add('d-1', 0);
      expect(seen.has('d-1', 30_000)).toBe(true);
      expect(seen.has('d-2', 30_000)).toBe(false);
    });
  });

  describe('when the window has passed since it was last seen', () => {
    it('is forgotten', () => {
      const seen = new BoundedSeenSet({ maxEntries: 100, ttlMs: 1_000 });
      seen.add('d-1', 0);
      expect(seen.has('d-1', 999)).toBe(true);
      expect(seen.has('d-1', 1_000)).toBe(false);
      expect(seen.size).toBe(0);
    });

    it('is kept while it keeps being seen again', () => {
      const seen = new BoundedSeenSet({ maxEntries: 100, ttlMs: 1_000 });
      seen.add('d-1', 0);
      seen.add('d-1', 900);
      expect(seen.has('d-1', 1_500)).toBe(true);
    });
  });

  describe('when more ids are seen than it may hold', () => {
    it('forgets the least recently seen first, and never holds more than its bound', () => {
      const seen = new BoundedSeenSet({ maxEntries: 3, ttlMs: 600_000 });
      seen.add('a', 1);
      seen.add('b', 2);
      seen.add('c', 3);
      seen.add('a', 4); // seen again: now the most recent
      seen.add('d', 5);
      expect(seen.size).toBe(3);
      expect(['a', 'b', 'c', 'd'].filter((id) => seen.has(id, 6))).toEqual(['a', 'c', 'd']);
      for (let i = 0; i < 1_000; i++) seen.add(`x${i}`, 10 + i);
      expect(seen.size).toBe(3);
    });

    it('drops expired ids as it adds new ones', () => {
      const seen = new BoundedSeenSet({ maxEntries: 100, ttlMs: 1_000 });
      for (let i = 0; i < 10; i++) seen.add(`old${i}`, i);
      seen.add('new', 5_000);
      expect(seen.size).toBe(1);
    });
  });

  it('refuses a bound or window that cannot hold anything', () => {
    expect(() => new BoundedSeenSet({ maxEntries: 0, ttlMs: 1_000 })).toThrow(RangeError);
    expect(() => new BoundedSeenSet({ maxEntries: 10, ttlMs: 0 })).toThrow(RangeError);
  });
});
