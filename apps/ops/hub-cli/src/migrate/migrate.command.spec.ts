import { migrationChecksum, migrationLabel } from '@hub/platform';
import { HUB_SCHEMA, statusText } from './migrate.command';

/**
 * Released migrations are frozen: databases record their checksum, and an app refuses to start on a
 * database whose applied migration differs from its code. Version 1 of each component is the DDL its
 * `create`/`ensureSchema` runs: editing that DDL edits version 1. To change a schema, add version n+1
 * to the component's migrations (and the same statements to its create/ensureSchema) — then add its
 * checksum here.
 */
const RELEASED: Readonly<Record<string, string>> = {
  'event-store@1': 'e10a0c34bce033b20500c8e109a1199655338c0be6e5d2041ff0c9dbbbc3865f',
  'crypto-shredding@1': '5a528eecf06a574b1ccbe4d3ccd0bd458b70201d13d887b9830a9fb888f56774',
  'customer-records@1': 'eba73a6acefbb29b21aad3f8302cd6ad0242d83a3fa3b76dc4e155bff5e6acc7',
  'timeline@1': 'c0f204b67477b6f0facdd2e7afb616342b468c82a0eef737fcab53e6913c8811',
  'nba-outcomes@1': 'ba24dd46afc751c3ef9442fb25bd87f900a476ac087388345a85a7edd84119ad',
  'work-items@1': '0ef18ffe9373acb16a72140f86e9dd5425ea82d16ede07ad8626d71cb265c7ee',
  'deliver-outbound@1': 'adb858768b2da1ed59a9f67d72d065cd6184a60baf879d0c9561015607e2b5a0',
  'webhooks@1': 'd12f4618377a83de34fd72fadc99aeba3ac3cfca08413e4d32dde0561711efec',
  'api-keys@1': '627083793782bb546d7792bcd5ef133647e41432ca7687f1d8a8073895e288d8',
};

describe('the hub’s schema migrations', () => {
  it('released migrations are unchanged (edit none: add a version)', () => {
    const now = Object.fromEntries(
      HUB_SCHEMA.flatMap((c) => c.migrations.map((m) => [migrationLabel(c.component, m.version), migrationChecksum(m)] as const)),
    );
    expect(now).toEqual(RELEASED);
  });

  it('status is a table, one migration a line', () => {
    const text = statusText([
      {
        component: 'timeline',
        version: 1,
        name: 'baseline',
        status: 'applied',
        appliedAt: new Date('2026-12-07T10:00:00Z'),
        checksum: 'x',
        dropsData: true,
      },
      { component: 'timeline', version: 2, name: 'entry-language', status: 'pending', appliedAt: null, checksum: 'y', dropsData: false },
    ]);
    expect(text).toBe(
      [
        'COMPONENT  VERSION  NAME            STATUS   APPLIED AT                DOWN',
        'timeline   1        baseline        applied  2026-12-07T10:00:00.000Z  drops data',
        'timeline   2        entry-language  pending',
        '',
      ].join('\n'),
    );
  });
});
