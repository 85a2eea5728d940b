import { freshId } from '@hub/testing';
import { at, cliWorld, interaction, projectLive, registered, runCli, traits, type CliWorld } from './testing/cli-harness';

jest.setTimeout(60_000);

let world: CliWorld;
const tenant = freshId('st').toLowerCase();

beforeAll(async () => {
  world = await cliWorld('cli_state');
  // Registered on the 1st; silver on the 2nd; an interaction on the 3rd; gold on the 5th; one on the 6th
  // that happened on the 4th (recorded late).
  await world.stores.customers.append(tenant, 'c1', [
    registered(tenant, 'c1', at(1)),
    traits(tenant, 'c1', 1, { tier: 'silver' }, at(2)),
    interaction(tenant, 'c1', 1, { occurredAt: at(3), recordedAt: at(3), text: 'first' }),
    traits(tenant, 'c1', 2, { tier: 'gold' }, at(5)),
    interaction(tenant, 'c1', 2, { occurredAt: at(4), recordedAt: at(6), text: 'late' }),
  ]);
  await projectLive(world);
});
afterAll(() => world?.close());

const json = (stdout: string) => JSON.parse(stdout) as { revision: string; state: { traits: Record<string, string>; engagement: { total: number } }; entries: { text: string }[] };

describe('hub state', () => {
  it('shows the current state', async () => {
    const r = await runCli(['state', tenant, 'c1'], world.env);
    expect({ code: r.code, stderr: r.stderr }).toMatchObject({ code: 0 });
    const out = json(r.stdout);
    expect(out).toMatchObject({ revision: '4', state: { traits: { tier: 'gold' }, engagement: { total: 2 } } });
  });

  it('with --as-of shows the state as the hub knew it then', async () => {
    const r = await runCli(['state', tenant, 'c1', '--as-of', at(4)], world.env);
    expect({ code: r.code, stderr: r.stderr }).toMatchObject({ code: 0 });
    expect(json(r.stdout)).toMatchObject({ asOf: at(4), revision: '2', state: { traits: { tier: 'silver' }, engagement: { total: 1 } } });
  });

  it('with --revision folds up to that stream revision', async () => {
    const r = await runCli(['state', tenant, 'c1', '--revision', '1'], world.env);
    expect(json(r.stdout)).toMatchObject({ revision: '1', state: { traits: { tier: 'silver' }, engagement: { total: 0 } } });
  });

  it('exits 1 for a customer with no events (by then)', async () => {
    const unknown = await runCli(['state', tenant, 'nobody'], world.env);
    expect({ code: unknown.code, stderr: unknown.stderr }).toMatchObject({ code: 1 });
    expect(unknown.stderr).toContain(`unknown customer ${tenant}/nobody`);
    expect(unknown.stdout).toBe('');
    const before = await runCli(['state', tenant, 'c1', '--as-of', '2025-02-01'], world.env);
    expect({ code: before.code, stderr: before.stderr }).toMatchObject({ code: 1 });
    expect(before.stderr).toContain('was recorded by then');
  });

  it('exits 2 on a bad revision or instant', async () => {
    expect((await runCli(['state', tenant, 'c1', '--revision', '-1'], world.env)).code).toBe(2);
    expect((await runCli(['state', tenant, 'c1', '--as-of', 'last tuesday'], world.env)).code).toBe(2);
  });
});

describe('hub timeline', () => {
  it('shows the timeline by occurredAt, with personal fields opened', async () => {
    const r = await runCli(['timeline', tenant, 'c1'], world.env);
    expect({ code: r.code, stderr: r.stderr }).toMatchObject({ code: 0 });
    expect(json(r.stdout).entries.map((e) => e.text)).toEqual(['first', 'late']);
  });

  it('with --as-of keeps the entries recorded by then (a late arrival is not there yet)', async () => {
    const r = await runCli(['timeline', tenant, 'c1', '--as-of', at(5)], world.env);
    expect(json(r.stdout).entries.map((e) => e.text)).toEqual(['first']);
  });

  it('exits 1 for a customer the read model does not know', async () => {
    const r = await runCli(['timeline', tenant, 'nobody'], world.env);
    expect({ code: r.code, stderr: r.stderr }).toMatchObject({ code: 1 });
    expect(r.stderr).toContain('knows no customer');
  });
});
