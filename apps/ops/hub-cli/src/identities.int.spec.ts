import { deterministicId, DEV_IDENTITY_HASH_KEY } from '@hub/contracts';
import { legacyClaimStreamOf } from '@hub/customer-records';
import { freshId, TEST_IDENTITY_NAMING } from '@hub/testing';
import { cliWorld, runCli, type CliWorld } from './testing/cli-harness';

jest.setTimeout(60_000);

let world: CliWorld;
const tenant = freshId('idm').toLowerCase();
const phone = { kind: 'phone' as const, value: '+14155550777' };
const NOW = '2026-12-07T10:00:00.000Z';

beforeAll(async () => {
  world = await cliWorld('cli_identities');
  // A claim as the hub wrote it before identity names were keyed: under the unkeyed name.
  const stream = legacyClaimStreamOf(tenant, phone);
  const eventId = deterministicId('identity-claimed', stream, 'cause-1', 'no_stream');
  await world.stores.store.appendToStream(stream, [
    {
      eventId,
      type: 'IdentityClaimed',
      data: { customerId: 'c-legacy', identity: phone },
      metadata: {
        eventId,
        correlationId: 'cause-1',
        causationId: 'cause-1',
        occurredAt: NOW,
        recordedAt: NOW,
        schemaVersion: 1,
        tenantId: tenant,
        channel: 'sms',
      },
    },
  ]);
});
afterAll(() => world?.close());

describe('hub identities migrate', () => {
  it('moves a legacy claim under its keyed name and prints the report; a second run moves nothing', async () => {
    const env = { ...world.env, IDENTITY_HASH_KEY: DEV_IDENTITY_HASH_KEY };
    const dry = await runCli(['identities', 'migrate', '--tenant', tenant, '--dry-run'], env);
    expect(dry.code).toBe(0);
    expect(JSON.parse(dry.stdout)).toMatchObject({ dryRun: true, examined: 1, moved: 1 });

    const first = await runCli(['identities', 'migrate', '--tenant', tenant], env);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({
      keyFingerprint: TEST_IDENTITY_NAMING.current.fingerprint,
      dryRun: false,
      examined: 1,
      moved: 1,
    });
    expect(await world.stores.identities.last(world.stores.identities.claimStreamOf(tenant, phone))).toMatchObject({
      event: { type: 'IdentityClaimed', data: { customerId: 'c-legacy' } },
    });
    expect((await world.stores.identities.last(legacyClaimStreamOf(tenant, phone)))?.event.type).toBe('IdentityReleased');

    const second = await runCli(['identities', 'migrate', '--tenant', tenant], env);
    expect(JSON.parse(second.stdout)).toMatchObject({ examined: 1, moved: 0, current: 1 });
  });

  it('refuses to run in production without IDENTITY_HASH_KEY', async () => {
    const r = await runCli(['identities', 'migrate'], { ...world.env, NODE_ENV: 'production' });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('IDENTITY_HASH_KEY');
  });

  it('names its one subcommand', async () => {
    const r = await runCli(['identities', 'rename'], world.env);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown subcommand "rename": migrate');
  });
});
