import { ConfigError } from '@hub/config';
import { CHANNEL_IDS } from '@hub/contracts';
import { ingestChannelOf } from './ingest-channel';

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
