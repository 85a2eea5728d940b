import { deterministicId } from '@hub/contracts';
import type { CustomerEvent } from '@hub/customer';
import { freshId } from '@hub/testing';
import { at, cliWorld, interaction, projectLive, registered, runCli, traits, type CliWorld } from './testing/cli-harness';

jest.setTimeout(60_000);

let world: CliWorld;
const tenant = freshId('st').toLowerCase();
/** A tenant where m3 was merged into m2, and m2 later into m1. */
const chain = freshId('st').toLowerCase();

function mergedInto(tenantId: string, customerId: string, survivorId: string, occurredAt: string): CustomerEvent {
  const mergeId = deterministicId('merge', tenantId, customerId);
  return {
    type: 'CustomerMergedInto',
    data: { mergeId, survivorId, reason: 'same person', source: 'agent_confirmed', identitiesHandedOver: [] },
    metadata: {
      eventId: deterministicId('merged-into', tenantId, customerId),
      correlationId: mergeId,
      causationId: mergeId,
      occurredAt,
      recordedAt: occurredAt,
      schemaVersion: 1,
      tenantId,
      channel: 'system',
    },
  };
}

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
  for (const [n, id] of ['m1', 'm2', 'm3'].entries()) {
    await world.stores.customers.append(chain, id, [
      registered(chain, id, at(1)),
      interaction(chain, id, 1, { occurredAt: at(2 + n), recordedAt: at(2 + n), text: `from ${id}` }),
    ]);
  }
  await world.stores.customers.append(chain, 'm3', [mergedInto(chain, 'm3', 'm2', at(7))]);
  await world.stores.customers.append(chain, 'm2', [mergedInto(chain, 'm2', 'm1', at(8))]);
  await projectLive(world);
});
afterAll(() => world?.close());

const json = (stdout: string) =>
  JSON.parse(stdout) as {
    revision: string;
    state: { traits: Record<string, string>; engagement: { total: number } };
    entries: { text: string }[];
  };

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

  it('of a customer others were merged into at any depth (m3 into m2, m2 into m1), shows every one of their entries, each in the top survivor’s timeline', async () => {
    const r = await runCli(['timeline', chain, 'm1'], world.env);
    expect({ code: r.code, stderr: r.stderr }).toMatchObject({ code: 0 });
    const entries = (JSON.parse(r.stdout) as { entries: { text: string; customerId: string; timelineCustomerId: string }[] }).entries;
    expect(entries.map((e) => [e.text, e.customerId, e.timelineCustomerId])).toEqual([
      ['from m1', 'm1', 'm1'],
      ['from m2', 'm2', 'm1'],
      ['from m3', 'm3', 'm1'],
    ]);
  });

  it('exits 1 for a customer the read model does not know', async () => {
    const r = await runCli(['timeline', tenant, 'nobody'], world.env);
    expect({ code: r.code, stderr: r.stderr }).toMatchObject({ code: 1 });
    expect(r.stderr).toContain('knows no customer');
  });
});
