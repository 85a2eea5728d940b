import type { InteractionReceived } from '@hub/contracts';
import { ChannelMappingError, mapEachItem } from './channel-adapter';

const event = (id: string) => ({ metadata: { eventId: id } }) as unknown as InteractionReceived;
const fails = (field: string) => (): never => {
  throw new ChannelMappingError(`${field}: cannot`, field);
};

describe('mapEachItem', () => {
  it('given items that all map, then their events come out in order', () => {
    expect(mapEachItem([() => event('a'), () => [event('b'), event('c')]]).map((e) => e.metadata.eventId)).toEqual(['a', 'b', 'c']);
  });

  it('given one failing item among others, then the error names it and carries the others as mapped', () => {
    try {
      mapEachItem([() => event('a'), fails('items.1'), () => event('c')]);
      throw new Error('expected a ChannelMappingError');
    } catch (err) {
      expect(err).toBeInstanceOf(ChannelMappingError);
      const e = err as ChannelMappingError;
      expect(e.field).toBe('items.1');
      expect(e.mapped.map((x) => x.metadata.eventId)).toEqual(['a', 'c']);
      expect(e.message).toBe('1 of 3 items cannot be mapped (2 events from the others are published): items.1: cannot');
    }
  });

  it('given a single item that fails, then its own error comes out unchanged', () => {
    const only = new ChannelMappingError('From: not a phone', 'From');
    expect(() =>
      mapEachItem([
        () => {
          throw only;
        },
      ]),
    ).toThrow(only);
  });

  it('given an error that is not a mapping error, then it is not swallowed', () => {
    expect(() =>
      mapEachItem([
        () => {
          throw new TypeError('bug');
        },
      ]),
    ).toThrow(TypeError);
  });
});
