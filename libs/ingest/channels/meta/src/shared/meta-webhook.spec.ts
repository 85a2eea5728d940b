import { instagramChannel, messengerChannel, whatsappChannel } from '../index';
import { META_TEST_APP_SECRET, META_TEST_VERIFY_TOKEN } from '../testing';
import { metaTimeToIso } from './meta-webhook';

const config = { META_APP_SECRET: META_TEST_APP_SECRET, META_VERIFY_TOKEN: META_TEST_VERIFY_TOKEN };

describe.each([whatsappChannel, messengerChannel, instagramChannel])('the $manifest.id channel’s subscription handshake', (definition) => {
  const handshake = (query: Record<string, string | undefined>) => {
    const adapter = definition.create(config);
    if (!adapter.handshake) throw new Error('a Meta channel answers the GET handshake');
    return adapter.handshake(query);
  };
  const good = { 'hub.mode': 'subscribe', 'hub.verify_token': META_TEST_VERIFY_TOKEN, 'hub.challenge': 'CHALLENGE_ACCEPTED' };

  it('when mode and token are right, then it answers 200 with the challenge', () => {
    expect(handshake(good)).toEqual({ status: 200, body: 'CHALLENGE_ACCEPTED' });
  });

  it('when the token is wrong, then it answers 403', () => {
    expect(handshake({ ...good, 'hub.verify_token': 'wrong' })).toEqual({ status: 403, body: 'forbidden' });
  });

  it('when the mode is wrong, then it answers 403', () => {
    expect(handshake({ ...good, 'hub.mode': 'unsubscribe' })).toEqual({ status: 403, body: 'forbidden' });
  });

  it('then it is served on its own route, by provider meta', () => {
    expect(definition.manifest).toMatchObject({ provider: 'meta', route: { method: 'POST', path: `/webhooks/${definition.manifest.id}` } });
  });
});

describe('metaTimeToIso', () => {
  it.each([
    ['WhatsApp unix seconds as a string', '1749416383', '2025-06-08T20:59:43.000Z'],
    ['Messenger milliseconds', 1_735_725_600_123, '2025-01-01T10:00:00.123Z'],
    ['Instagram messaging_seen seconds', 1_735_725_612, '2025-01-01T10:00:12.000Z'],
  ])('reads %s', (_what, value, iso) => {
    expect(metaTimeToIso(value)).toBe(iso);
  });
});
