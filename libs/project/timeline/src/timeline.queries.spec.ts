import { decodeCursor, encodeCursor, InvalidCursorError } from './timeline.queries';

const position = { at: '2025-03-01T10:00:00.123456Z', id: '0b6f6c7e-1a2b-4c3d-8e9f-001122334455' };
const b64 = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value), 'utf8').toString('base64url');

describe('timeline cursors', () => {
  describe('when a position is encoded', () => {
    it('then it is url-safe text that decodes to the same exact position', () => {
      const cursor = encodeCursor('timeline', position);
      expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(decodeCursor('timeline', cursor)).toEqual(position);
    });

    it('then a customers cursor keeps a customer id that is not a uuid', () => {
      const p = { at: '2025-03-01T10:00:00.000000Z', id: 'c1f2e3' };
      expect(decodeCursor('customers', encodeCursor('customers', p))).toEqual(p);
    });
  });

  describe('when the cursor was made for another listing', () => {
    it('then it is refused', () => {
      expect(() => decodeCursor('customers', encodeCursor('timeline', position))).toThrow(/not a customers cursor/);
      expect(() => decodeCursor('timeline', encodeCursor('customers', { ...position, id: 'c1' }))).toThrow(InvalidCursorError);
    });
  });

  describe('when the cursor is not one of ours', () => {
    it.each([
      ['empty', ''],
      ['not base64url', 'abc+/='],
      ['too long', 'A'.repeat(600)],
      ['not JSON', b64('hello')],
      ['JSON but not an object', b64('42')],
      ['another version', b64({ v: 2, s: 't', at: position.at, id: position.id })],
      ['a millisecond time (not exact)', b64({ v: 1, s: 't', at: '2025-03-01T10:00:00.123Z', id: position.id })],
      ['an impossible date', b64({ v: 1, s: 't', at: '2025-13-45T10:00:00.000000Z', id: position.id })],
      ['a timeline id that is not a uuid', b64({ v: 1, s: 't', at: position.at, id: "1' or '1'='1" })],
      ['no id', b64({ v: 1, s: 't', at: position.at })],
    ])('then %s is an InvalidCursorError', (_label, cursor) => {
      expect(() => decodeCursor('timeline', cursor)).toThrow(InvalidCursorError);
    });
  });
});
