import { comparePositions, LiveWindow, positionAt } from './live-window';

const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const at = (second: number, micros = 0) => `2025-03-01T10:00:${String(second).padStart(2, '0')}.${String(micros).padStart(6, '0')}Z`;

describe('LiveWindow', () => {
  describe('when the stream starts at a position', () => {
    it('then it reads after that position, and never sends anything at or before it', () => {
      const start = { at: at(10), id: id(5) };
      const window = new LiveWindow(start, 5_000);
      expect(window.floor()).toEqual(start);
      expect(window.admit(id(5), { at: at(10), id: id(5) })).toBe(false);
      expect(window.admit(id(4), { at: at(10), id: id(4) })).toBe(false);
      expect(window.admit(id(1), { at: at(9), id: id(1) })).toBe(false);
      expect(window.admit(id(6), { at: at(10), id: id(6) })).toBe(true);
    });
  });

  describe('when entries have been sent', () => {
    it('then each is sent once, and the floor trails the newest by the lookback', () => {
      const window = new LiveWindow({ at: at(0), id: id(0) }, 5_000);
      expect(window.admit(id(1), { at: at(20, 123456), id: id(1) })).toBe(true);
      expect(window.admit(id(1), { at: at(20, 123456), id: id(1) })).toBe(false);
      expect(window.floor()).toEqual({ at: at(15, 123000), id: '00000000-0000-0000-0000-000000000000' });
    });

    it('then an entry that shows up late with an earlier recorded time inside the lookback is still sent', () => {
      const window = new LiveWindow({ at: at(0), id: id(0) }, 5_000);
      window.admit(id(2), { at: at(20), id: id(2) });
      expect(window.admit(id(1), { at: at(18), id: id(1) })).toBe(true);
      expect(window.admit(id(2), { at: at(20), id: id(2) })).toBe(false);
    });

    it('then ids fall out of memory once they are below the floor', () => {
      const window = new LiveWindow({ at: at(0), id: id(0) }, 5_000);
      for (let s = 1; s <= 50; s++) window.admit(id(s), { at: at(s), id: id(s) });
      expect(window.remembered).toBeLessThanOrEqual(7);
    });
  });

  it('positions order by time, then id; positionAt gives microseconds', () => {
    expect(comparePositions({ at: at(1), id: id(9) }, { at: at(2), id: id(1) })).toBe(-1);
    expect(comparePositions({ at: at(1), id: id(2) }, { at: at(1), id: id(1) })).toBe(1);
    expect(comparePositions({ at: at(1), id: id(1) }, { at: at(1), id: id(1) })).toBe(0);
    expect(positionAt(Date.parse('2025-03-01T10:00:01.250Z'))).toBe('2025-03-01T10:00:01.250000Z');
  });
});
