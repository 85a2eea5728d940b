import { jsonDifferences } from './decision-record';

describe('differences between a stored and a recomputed decision', () => {
  describe('when they are equal', () => {
    it('then there are none', () => {
      expect(jsonDifferences({ a: [1, { b: null }], c: 'x' }, { a: [1, { b: null }], c: 'x' })).toEqual([]);
    });
  });

  describe('when leaves differ', () => {
    it('then each is named by its dotted path, with both values', () => {
      expect(jsonDifferences({ a: [1, { b: 2 }], c: 'x' }, { a: [1, { b: 3 }], c: 'y' })).toEqual([
        { path: 'a.1.b', stored: 2, recomputed: 3 },
        { path: 'c', stored: 'x', recomputed: 'y' },
      ]);
    });

    it('then numbers are compared bit for bit', () => {
      expect(jsonDifferences({ p: 0.1 + 0.2 }, { p: 0.3 })).toEqual([{ path: 'p', stored: 0.30000000000000004, recomputed: 0.3 }]);
    });
  });

  describe('when one side has a key or an element the other lacks', () => {
    it('then that side alone carries a value', () => {
      expect(jsonDifferences({ a: 1, list: [1, 2] }, { b: 2, list: [1] })).toEqual([
        { path: 'a', stored: 1 },
        { path: 'list.1', stored: 2 },
        { path: 'b', recomputed: 2 },
      ]);
    });
  });

  describe('when the kinds differ', () => {
    it('then the whole value is reported once', () => {
      expect(jsonDifferences({ a: { b: 1 } }, { a: [1] })).toEqual([{ path: 'a', stored: { b: 1 }, recomputed: [1] }]);
      expect(jsonDifferences({ a: null }, { a: 0 })).toEqual([{ path: 'a', stored: null, recomputed: 0 }]);
    });
  });
});
