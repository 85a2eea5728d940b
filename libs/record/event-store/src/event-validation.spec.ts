import { randomUUID } from 'node:crypto';
import { InvalidEventError, type NewEvent } from './event-store.port';
import { validateAppend, validateExpectedRevision } from './event-validation';

function event(overrides: Partial<NewEvent> = {}): NewEvent {
  return { eventId: randomUUID(), type: 'Tested', data: { a: 1 }, metadata: {}, ...overrides };
}

describe('validateAppend', () => {
  describe('when the batch is valid', () => {
    it('lower-cases event ids and serialises data and metadata once', () => {
      const id = randomUUID();
      const [validated] = validateAppend('s-1', [event({ eventId: id.toUpperCase(), data: { b: [1, 'x'] }, metadata: { m: true } })]);
      expect(validated).toMatchObject({ eventId: id, dataJson: '{"b":[1,"x"]}', metadataJson: '{"m":true}' });
    });

    it('accepts object properties that are undefined (JSON drops them), as optional fields produce', () => {
      const [validated] = validateAppend('s-1', [event({ data: { text: undefined, n: 1 } })]);
      expect(validated!.dataJson).toBe('{"n":1}');
    });

    it('accepts arrays as data and objects without a prototype', () => {
      const bare: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
      bare['k'] = 'v';
      expect(() => validateAppend('s-1', [event({ data: [bare] })])).not.toThrow();
    });
  });

  describe('when the batch is invalid', () => {
    it.each<[string, () => readonly NewEvent[], RegExp]>([
      ['a stream name starting with $', () => [event()], /reserved/],
      ['a type starting with $', () => [event({ type: '$metadata' })], /reserved/],
      ['Infinity', () => [event({ data: { x: Number.POSITIVE_INFINITY } })], /Infinity/],
      ['a Map', () => [event({ data: { m: new Map() } })], /Map/],
      ['a lone surrogate in a key', () => [event({ data: { ['\ud800']: 1 } })], /surrogate/],
      // eslint-disable-next-line no-sparse-arrays -- the hole is what is under test
      ['a hole in an array', () => [event({ data: [1, , 3] })], /data\[1\] is undefined/],
      [
        'metadata that is an array',
        () => [event({ metadata: [] as unknown as Record<string, unknown> })],
        /metadata must be a JSON object/,
      ],
      ['a whitespace-only type', () => [event({ type: '   ' })], /type/],
    ])('refuses %s', (what, events, message) => {
      const stream = what === 'a stream name starting with $' ? '$all' : 's-1';
      const attempt = (): unknown => validateAppend(stream, events());
      expect(attempt).toThrow(InvalidEventError);
      expect(attempt).toThrow(message);
    });

    it('names the event at fault', () => {
      expect(() => validateAppend('s-1', [event(), event({ eventId: 'nope' })])).toThrow(/event #1/);
    });
  });
});

describe('validateExpectedRevision', () => {
  it.each<[unknown]>([['any'], ['no_stream'], ['stream_exists'], [0n], [41n]])('accepts %p', (expected) => {
    expect(() => validateExpectedRevision(expected)).not.toThrow();
  });

  it.each<[unknown]>([['latest'], [-1n], [3], [undefined]])('refuses %p', (expected) => {
    expect(() => validateExpectedRevision(expected)).toThrow(InvalidEventError);
  });
});
