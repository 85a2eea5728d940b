import { DEV_IDENTITY_HASH_KEY, identityStream } from '@hub/contracts';
import { HubEnv, RecordEnv } from './hub.env';
import { identityHashing } from './identity-hashing';
import { ConfigError, loadConfig } from './load-config';

const KEY = Buffer.alloc(32, 1).toString('base64');
const OLD_KEY = Buffer.alloc(32, 2).toString('base64');

describe('the identity hash key (IDENTITY_HASH_KEY)', () => {
  describe('when NODE_ENV is production (or anything but development and test)', () => {
    it('then an app refuses to boot without a key, saying how to make one', () => {
      expect(() => loadConfig('query-api', RecordEnv, { NODE_ENV: 'production' })).toThrow(ConfigError);
      expect(() => loadConfig('query-api', RecordEnv, { NODE_ENV: 'production' })).toThrow(/IDENTITY_HASH_KEY.*openssl rand -base64 32/);
    });

    it('then a key that is not 32 bytes of base64 is refused too', () => {
      expect(() => loadConfig('hub', HubEnv, { NODE_ENV: 'production', IDENTITY_HASH_KEY: 'c2hvcnQ=' })).toThrow(/IDENTITY_HASH_KEY/);
      expect(() =>
        loadConfig('hub', HubEnv, { NODE_ENV: 'production', IDENTITY_HASH_KEY: KEY, IDENTITY_HASH_PREVIOUS_KEY: 'nope' }),
      ).toThrow(/IDENTITY_HASH_PREVIOUS_KEY/);
    });

    it('then the configured key names identities, and the previous one is kept for look-ups', () => {
      const hashing = identityHashing(
        loadConfig('hub', HubEnv, { NODE_ENV: 'production', IDENTITY_HASH_KEY: KEY, IDENTITY_HASH_PREVIOUS_KEY: OLD_KEY }),
      );
      expect(hashing.developmentKey).toBe(false);
      expect(identityStream(hashing.current, 'acme', 'phone', '+14155550100')).not.toBe(
        identityStream(hashing.previous!, 'acme', 'phone', '+14155550100'),
      );
    });
  });

  describe.each(['development', 'test'])('when NODE_ENV is %s', (nodeEnv) => {
    it('then a missing key is allowed and the published development key stands in, flagged as such', () => {
      const hashing = identityHashing(loadConfig('hub', HubEnv, { NODE_ENV: nodeEnv }));
      expect(hashing.developmentKey).toBe(true);
      expect(hashing.previous).toBeUndefined();
      expect(hashing.current.fingerprint).toBe(identityHashing({ IDENTITY_HASH_KEY: DEV_IDENTITY_HASH_KEY }).current.fingerprint);
    });

    it('then a configured key still wins', () => {
      expect(identityHashing(loadConfig('hub', HubEnv, { NODE_ENV: nodeEnv, IDENTITY_HASH_KEY: KEY })).developmentKey).toBe(false);
    });
  });
});
