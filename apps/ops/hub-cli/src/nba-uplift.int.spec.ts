import { deterministicId } from '@hub/contracts';
import type { CustomerEvent, NbaOutcomeRecorded } from '@hub/customer';
import { inbound, orderPlaced, registered } from '@hub/customer/testing';
import { buildDecisionInput, catalogV3, controlDraw, decide, decidedEvent, loadCatalog, type Catalog, type UpliftReport } from '@hub/nba';
import { freshId } from '@hub/testing';
import { cliWorld, runCli, type CliWorld } from './testing/cli-harness';

/**
 * `hub nba uplift` over a real store: customers asked how to reset their password; the catalog puts
 * half of the decisions choosing the article in its control group (fixed seeds: which ones is
 * known); treated customers accept or not, some customers order. The report counts each arm.
 */
jest.setTimeout(120_000);

const t = (day: number, hour: number): string => new Date(Date.UTC(2025, 2, day, hour)).toISOString();
const ACTION = 'kb_password_reset';
let world: CliWorld;
const tenant = freshId('upl').toLowerCase();

function withControlGroup(): Catalog {
  const json = JSON.parse(JSON.stringify(catalogV3())) as { catalogVersion: string; actions: { id: string; controlGroupShare?: number }[] };
  json.catalogVersion = 'uplift-spec';
  json.actions.find((a) => a.id === ACTION)!.controlGroupShare = 0.5;
  return loadCatalog(json);
}

/** A customer who asks, and the decision on it with `seed`; then what they did after. */
async function customer(n: number, seed: number, after: (decisionId: string) => CustomerEvent[]): Promise<boolean> {
  const customerId = `c-${n}`;
  const id = (name: string) => deterministicId('uplift-spec', tenant, customerId, name);
  const readdress = (e: CustomerEvent): CustomerEvent =>
    ({ ...e, metadata: { ...e.metadata, eventId: id(e.metadata.eventId), tenantId: tenant } }) as CustomerEvent;
  await world.stores.customers.append(tenant, customerId, [
    readdress(registered(customerId, t(1, 8))),
    readdress(inbound('m1', t(1, 9), { text: 'How do I reset my password?' })),
  ]);
  const { recorded, events } = await world.stores.customers.history(tenant, customerId);
  const input = buildDecisionInput({
    tenantId: tenant,
    customerId,
    events,
    revision: recorded.at(-1)!.revision,
    catalog: withControlGroup(),
    outcomes: {},
    now: t(1, 9),
  })!;
  const decision = decide({ ...input, seed });
  await world.stores.customers.append(tenant, customerId, [decidedEvent(decision, id('corr'))], recorded.at(-1)!.revision);
  const next = after(decision.decisionId).map(readdress);
  if (next.length > 0) await world.stores.customers.append(tenant, customerId, next);
  return decision.withheld !== undefined;
}

const accepted = (decisionId: string, at: string): CustomerEvent =>
  ({
    type: 'NbaOutcomeRecorded',
    data: { decisionId, actionId: ACTION, outcome: 'accepted', segment: null, source: 'reply' },
    metadata: {
      eventId: `accepted-${decisionId}`,
      correlationId: 'x',
      causationId: decisionId,
      occurredAt: at,
      recordedAt: at,
      schemaVersion: 1,
      tenantId: tenant,
      channel: 'system',
    },
  }) satisfies NbaOutcomeRecorded;

beforeAll(async () => {
  world = await cliWorld('cli_uplift');
  const seeds = Array.from({ length: 64 }, (_, i) => (i * 2_654_435_761) >>> 0);
  const control = seeds.filter((s) => controlDraw(s, ACTION) < 0.5).slice(0, 3);
  const treated = seeds.filter((s) => controlDraw(s, ACTION) >= 0.5).slice(0, 4);
  // Treated: two accept; one orders 5 days later (outside the 72 h window); one does nothing.
  expect(await customer(1, treated[0]!, (d) => [accepted(d, t(1, 10))])).toBe(false);
  expect(await customer(2, treated[1]!, (d) => [accepted(d, t(1, 11))])).toBe(false);
  expect(await customer(3, treated[2]!, () => [orderPlaced('o3', t(6, 9), 'A-3', 1_000)])).toBe(false);
  expect(await customer(4, treated[3]!, () => [])).toBe(false);
  // Control: one orders the next day; two do nothing.
  expect(await customer(5, control[0]!, () => [orderPlaced('o5', t(2, 9), 'A-5', 1_000)])).toBe(true);
  expect(await customer(6, control[1]!, () => [])).toBe(true);
  expect(await customer(7, control[2]!, () => [])).toBe(true);
});
afterAll(() => world?.close());

describe('hub nba uplift', () => {
  it('reports the action with a control group: each arm’s decisions, customers, conversions and rate, and the uplift', async () => {
    const r = await runCli(['nba', 'uplift', '--tenant', tenant, '--json'], world.env);
    expect({ code: r.code, stderr: r.code === 0 ? '' : r.stderr }).toEqual({ code: 0, stderr: '' });
    const report = JSON.parse(r.stdout) as UpliftReport;
    expect(report.windowHours).toBe(72);
    expect(report.actions).toEqual([
      {
        actionId: ACTION,
        treated: { decisions: 4, customers: 4, conversions: 2, accepted: 2, orders: 0, rate: 0.5 },
        control: { decisions: 3, customers: 3, conversions: 1, accepted: 0, orders: 1, rate: 1 / 3 },
        uplift: expect.closeTo(1 / 6, 10),
        ci95: [expect.any(Number), expect.any(Number)],
      },
    ]);
    expect(r.stderr).toContain('uplift: 7 decisions of 1 actions');
  });

  it('shows the same as a table, and a window that holds no decision as none', async () => {
    const text = await runCli(['nba', 'uplift', '--tenant', tenant], world.env);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/kb_password_reset\s+4\s+4\s+2\s+50\.0%\s+3\s+3\s+1\s+33\.3%\s+\+16\.7 pp/);
    const none = await runCli(['nba', 'uplift', '--tenant', tenant, '--from', '2025-04-01T00:00:00Z'], world.env);
    expect(none.stdout).toContain('(no action has a control decision');
  });
});
