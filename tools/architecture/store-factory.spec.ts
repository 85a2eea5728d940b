import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { productionSources, ROOT } from './source-files';

/**
 * Every app gets its event store from the one factory, `createCustomerStores`
 * (libs/record/customer-records/src/customer-stores.ts), built from its config (`customerStoresOptions`):
 * so `EVENT_STORE=postgres|eventstoredb` is a deployment choice that holds for every app, and
 * encryption is never forgotten (issue #14). Scanned: the sources of apps/ and libs/ but specs,
 * `testing/` and `__fixtures__` (tests build stores as they need), and the adapters' own lib.
 */
const FACTORY = 'libs/record/customer-records/src/customer-stores.ts';
const ADAPTERS = 'libs/record/event-store/';
const PLATFORM_MODULE = 'libs/record/app-platform';

/** Ways of building an event store (or its client) without the factory. */
const BUILDS_A_STORE =
  /new\s+PostgresEventStore\b|PostgresEventStore\s*\.\s*create\b|new\s+EsdbEventStore\b|EsdbEventStore\s*\.\s*fromConnectionString\b|new\s+EventStoreDBClient\b|EventStoreDBClient\s*\.\s*connectionString\b/g;

describe('one factory builds the event store', () => {
  const files = productionSources();

  it('the factory builds both adapters (the scan is not vacuous)', () => {
    const factory = readFileSync(join(ROOT, FACTORY), 'utf8');
    expect(factory.match(BUILDS_A_STORE)).toEqual(
      expect.arrayContaining([expect.stringMatching(/PostgresEventStore/), expect.stringMatching(/EsdbEventStore/)]),
    );
    expect(builds('const s = await PostgresEventStore.create({ pool });\nconst e = EsdbEventStore.fromConnectionString(url);')).toEqual([
      1, 2,
    ]);
  });

  it('no source outside the factory and the adapters builds a store', () => {
    const found = files
      .filter((f) => f !== FACTORY && !f.startsWith(ADAPTERS))
      .flatMap((f) => builds(readFileSync(join(ROOT, f), 'utf8')).map((line) => `${f}:${line}`));
    expect(found).toEqual([]);
  });

  it('every app that builds the customer stores passes its config through customerStoresOptions (EVENT_STORE is honoured)', () => {
    // The long-running apps get theirs from the platform module (libs/record/app-platform); the CLI builds its own.
    const calls = files
      .filter((f) => f.startsWith('apps/') || f.startsWith(PLATFORM_MODULE))
      .flatMap((f) =>
        [...readFileSync(join(ROOT, f), 'utf8').matchAll(/createCustomerStores\(([^;]*?)\)\)?[,;)]/g)].map((m) => ({
          file: f,
          args: m[1]!,
        })),
      );
    expect(new Set(calls.map((c) => c.file.split('/').slice(0, 3).join('/')))).toEqual(new Set(['apps/ops/hub-cli', PLATFORM_MODULE]));
    expect(calls.filter((c) => !/customerStoresOptions\(/.test(c.args)).map((c) => c.file)).toEqual([]);
  });

  it('the projector, the NBA worker and the query API take their stores from the platform module, built from their config', () => {
    const apps = ['decide/nba-worker', 'query/query-api', 'project/timeline-projector'];
    const wired = apps.filter((app) =>
      files
        .filter((f) => f.startsWith(`apps/${app}/`))
        .some((f) => /HubPlatformModule\.forApp\(\s*'[^']+',\s*config\b/.test(readFileSync(join(ROOT, f), 'utf8'))),
    );
    expect(wired).toEqual(apps);
  });
});

/** 1-based lines of `text` that build a store. */
function builds(text: string): number[] {
  return [...text.matchAll(BUILDS_A_STORE)].map((m) => text.slice(0, m.index).split('\n').length);
}
