import { ConfigError } from '@hub/config';
import { CHANNEL_IDS } from '@hub/contracts';
import { ingestAppName, ingestChannelOf, ingestChannelsOf } from './ingest-channel';

describe('the channel an ingestion process serves', () => {
  describe('when INGEST_CHANNEL names a channel', () => {
    it('then it is that channel, surrounding spaces aside', () => {
      expect(ingestChannelOf({ INGEST_CHANNEL: 'sms' })).toBe('sms');
      expect(ingestChannelOf({ INGEST_CHANNEL: ' webchat ' })).toBe('webchat');
    });
  });

  describe('when INGEST_CHANNEL is missing or names no channel', () => {
    it.each([[{}], [{ INGEST_CHANNEL: '' }], [{ INGEST_CHANNEL: 'viber' }], [{ INGEST_CHANNEL: 'SMS' }]])(
      'then %j is a configuration error listing every channel',
      (env) => {
        let error: unknown;
        try {
          ingestChannelOf(env);
        } catch (err) {
          error = err;
        }
        expect(error).toBeInstanceOf(ConfigError);
        expect((error as ConfigError).problems).toEqual([expect.stringContaining(CHANNEL_IDS.join(', '))]);
        expect((error as ConfigError).problems[0]).toMatch(/^INGEST_CHANNEL (is not set|is "[^"]*")/);
      },
    );
  });
});

describe('the channels one ingestion process serves (INGEST_CHANNELS)', () => {
  it('given a list, then those channels, in order, once each; given INGEST_CHANNEL alone, then that one', () => {
    expect(ingestChannelsOf({ INGEST_CHANNELS: 'sms, whatsapp,sms' })).toEqual(['sms', 'whatsapp']);
    expect(ingestChannelsOf({ INGEST_CHANNEL: 'voice' })).toEqual(['voice']);
    expect(ingestChannelsOf({ INGEST_CHANNEL: 'voice', INGEST_CHANNELS: '' })).toEqual(['voice']);
    expect(ingestAppName(['sms', 'whatsapp'])).toBe('ingest-sms.whatsapp');
    expect(ingestAppName(['sms'])).toBe('ingest-sms');
  });

  it.each([
    [{ INGEST_CHANNEL: 'sms', INGEST_CHANNELS: 'sms,whatsapp' }, /both set/],
    [{ INGEST_CHANNELS: 'sms,viber,chat' }, /INGEST_CHANNELS names "viber", "chat"/],
  ])('given %j, then a configuration error saying why', (env, why) => {
    expect(() => ingestChannelsOf(env)).toThrow(ConfigError);
    try {
      ingestChannelsOf(env);
    } catch (err) {
      expect((err as ConfigError).problems[0]).toMatch(why);
    }
  });
});
