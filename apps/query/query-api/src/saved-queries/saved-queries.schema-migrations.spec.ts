import { migrationChecksum } from '@hub/platform';
import { SAVED_QUERIES_SCHEMA } from './saved-queries.schema-migrations';

// Released migrations are frozen (see apps/ops/hub-cli/src/migrate/migrate.command.spec.ts): add a version, edit none.
it('the saved queries’ released migrations are unchanged', () => {
  expect(SAVED_QUERIES_SCHEMA.migrations.map((m) => [m.version, migrationChecksum(m)])).toEqual([
    [1, 'b7ff66e92843eab6bf58a2a04e33df0909823ff33e4535285a1ec1f87aa65eac'],
  ]);
});
