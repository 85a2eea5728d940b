import { ConfigError, loadConfig } from '@hub/config';
import { IngestApiEnv } from './ingest-api.env';
import { sha256Hex } from './source-keys';

describe('ingest-api configuration', () => {
  describe('when nothing is set', () => {
    it('then the defaults apply: 5 MiB bodies, 1,000 events a batch, the raw topic on', () => {
      const config = loadConfig('ingest-api', IngestApiEnv, {});
      expect(config).toEqual(
        expect.objectContaining({
          INGEST_MAX_BODY_BYTES: 5 * 1024 * 1024,
          INGEST_MAX_BATCH_EVENTS: 1_000,
          INGEST_RAW_ENABLED: true,
          INGEST_API_KEYS: [],
          INGEST_RAW_TENANTS: [],
        }),
      );
    });
  });

  describe('when lists and switches are given as strings', () => {
    it('then they are read as lists and booleans', () => {
      const config = loadConfig('ingest-api', IngestApiEnv, {
        INGEST_API_KEYS: ` genesys:acme:${sha256Hex('k')} , `,
        INGEST_RAW_TENANTS: 'acme,globex',
        INGEST_RAW_ENABLED: 'false',
      });
      expect(config.INGEST_API_KEYS).toEqual([`genesys:acme:${sha256Hex('k')}`]);
      expect(config.INGEST_RAW_TENANTS).toEqual(['acme', 'globex']);
      expect(config.INGEST_RAW_ENABLED).toBe(false);
    });
  });

  describe('when extension attributes are declared', () => {
    it('then a schema that compiles is taken, and one that does not fails the boot naming it', () => {
      const schema = { type: 'object', properties: { region: { enum: ['eu', 'us'] } } };
      expect(loadConfig('ingest-api', IngestApiEnv, { INGEST_ATTRIBUTE_SCHEMAS: JSON.stringify({ acme: schema }) })).toEqual(
        expect.objectContaining({ INGEST_ATTRIBUTE_SCHEMAS: JSON.stringify({ acme: schema }) }),
      );
      expect(() =>
        loadConfig('ingest-api', IngestApiEnv, {
          INGEST_ATTRIBUTE_SCHEMAS: JSON.stringify({ acme: { type: 'object', required: 'region' } }),
        }),
      ).toThrow(/INGEST_ATTRIBUTE_SCHEMAS\["acme"\]: schema is invalid/);
    });
  });

  describe('when settings are wrong', () => {
    it('then the app fails at boot with one readable line per problem', () => {
      let error: unknown;
      try {
        loadConfig('ingest-api', IngestApiEnv, {
          INGEST_API_KEYS: `acme:${sha256Hex('k')}`,
          INGEST_RAW_TENANTS: 'Acme',
          INGEST_MAX_BATCH_EVENTS: '0',
        });
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(ConfigError);
      const problems = (error as ConfigError).problems;
      expect(problems).toHaveLength(3);
      expect(problems.join('\n')).toMatch(/INGEST_API_KEYS: entry 1 must be <source>:<tenant>:<sha256 hex of the key>/);
      expect(problems.join('\n')).toMatch(/INGEST_RAW_TENANTS: INGEST_RAW_TENANTS must be tenant ids/);
      expect(problems.join('\n')).toMatch(/INGEST_MAX_BATCH_EVENTS/);
    });
  });
});
