import { join, resolve } from 'node:path';
import { DemoDatabase } from '../demo/measure';
import { FaultHub } from './hub';
import { appsFor, resultLine, runScenario, type RunOptions } from './run';
import { scenariosById } from './scenarios';

/**
 * The fast subset of `npm run faults` (docs/reliability.md): the hub as real processes on a
 * database, namespace and redis-server of its own, a low seeded load, and three faults — the
 * projector SIGKILLed twice, poison on both input topics, a burst of first contacts from one phone —
 * each judged by the whole oracle. Everything it starts is stopped and dropped in afterAll.
 */
jest.setTimeout(240_000);

const scenarios = scenariosById(['F1', 'F12', 'F6']);
const options: RunOptions = {
  scenarios,
  rate: 20,
  seconds: 6,
  seed: 7,
  settleSeconds: 90,
  logDir: join(resolve(__dirname, '../..'), '.run', 'logs', `faults-jest-${Date.now()}`),
  log: () => undefined,
};
let hub: FaultHub | undefined;
let db: DemoDatabase | undefined;

beforeAll(async () => {
  hub = await FaultHub.boot({ apps: appsFor(scenarios), logDir: options.logDir });
  db = new DemoDatabase(hub.database.url);
});

afterAll(async () => {
  await db?.pool.end();
  await hub?.stop();
});

describe.each(scenarios.map((s) => [s.id, s] as const))('fault %s', (_id, fault) => {
  it(`${fault.title}: every acknowledged event stored once, nothing duplicated, the oracle passes`, async () => {
    const r = await runScenario(hub!, db!, fault, options);
    const failed = r.verdict.checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`);
    expect({ line: resultLine(r), failed }).toEqual({ line: expect.stringContaining('verdict=PASS'), failed: [] });
    expect(r.acknowledged).toBeGreaterThan(0);
    expect(r.verdict.lost).toBe(0);
    expect(r.verdict.duplicated).toBe(0);
  });
});
