import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EVENT_ID_USAGE, eventIdOf } from './event-id';

describe('npm run event-id', () => {
  describe('given the channel, the provider and the stable ids the contract names', () => {
    it("then it is the event id the channel's recorded fixture expects (Telegram's callback query: 'callback' and its id)", () => {
      const fixture = JSON.parse(
        readFileSync(join(__dirname, '../libs/ingest/channels/telegram/src/__fixtures__/valid/callback-query.json'), 'utf8'),
      ) as {
        payload: { callback_query: { id: string } };
        expected: { events: { metadata: { eventId: string } }[] };
      };
      expect(eventIdOf(['telegram', 'telegram', 'callback', fixture.payload.callback_query.id])).toBe(
        fixture.expected.events[0]!.metadata.eventId,
      );
    });
  });

  describe('given fewer than a channel, a provider and one id, or an empty part', () => {
    it.each([[[]], [['telegram']], [['telegram', 'telegram']], [['telegram', 'telegram', '']]])('then %j is a usage error', (parts) => {
      expect(() => eventIdOf(parts)).toThrow(EVENT_ID_USAGE);
    });
  });
});
