import { loadConfig } from './load-config';
import { RecordEnv } from './hub.env';

describe('RecordEnv: where the events live', () => {
  it('defaults to PostgreSQL', () => {
    expect(loadConfig('test', RecordEnv, {})).toMatchObject({
      EVENT_STORE: 'postgres',
    });
    expect(loadConfig('test', RecordEnv, {}).EVENTSTORE_URL).toBeUndefined();
  });

  it('takes EventStoreDB with its URL', () => {
    expect(
      loadConfig('test', RecordEnv, {
        EVENT_STORE: 'eventstoredb',
        EVENTSTORE_URL: 'esdb://127.0.0.1:2113?tls=false',
      }),
    ).toMatchObject({
      EVENT_STORE: 'eventstoredb',
      EVENTSTORE_URL: 'esdb://127.0.0.1:2113?tls=false',
    });
  });

  it('refuses at boot EventStoreDB without a URL, a URL that is not esdb://, and an unknown store', () => {
    expect(() => loadConfig('test', RecordEnv, { EVENT_STORE: 'eventstoredb' })).toThrow(/EVENTSTORE_URL/);
    expect(() =>
      loadConfig('test', RecordEnv, {
        EVENT_STORE: 'eventstoredb',
        EVENTSTORE_URL: 'http://127.0.0.1:2113',
      }),
    ).toThrow(/EVENTSTORE_URL/);
    expect(() => loadConfig('test', RecordEnv, { EVENT_STORE: 'mongodb' })).toThrow(/EVENT_STORE/);
  });
});
