import { testInfra } from '@hub/testing';
import { formatFuzzReport, ledgerHolds, runFuzz, type FuzzReport } from './fuzz-runner';

/**
 * The signed fuzz campaign's seeded slice in `npm test` (issue #15 item 2): a few thousand mutated
 * payloads over every provider of every channel and the generic API, each correctly signed, sent
 * to the real ingestion apps in-process, with the real Kafka. The seed is fixed, so the same
 * payloads run every time; a failure prints the seed, the case and its (shrunk) mutations, which
 * `npm run fuzz -- --seed <seed> --runs <runs>` replays. `npm run fuzz` runs the 100,000.
 */
const SEED = 20_251_207;
const RUNS = 2_400;

let report: FuzzReport;

beforeAll(async () => {
  report = await runFuzz({ seed: SEED, runs: RUNS, concurrency: 32, parallelApps: 3, kafkaBrokers: testInfra().kafkaBrokers });
  // Generous: a shared machine under load is slower, and a deadline is not what this test checks.
}, 300_000);

describe(`${RUNS} signed, mutated payloads (seed ${SEED}) over every channel and the generic API`, () => {
  it('reach every target, and most of them the parsers (rejected with a reason, or taken)', () => {
    const targets = Object.values(report.byTarget);
    expect(targets.length).toBeGreaterThanOrEqual(14);
    for (const t of targets) expect(t.payloads).toBeGreaterThan(RUNS / targets.length - 2);
    expect(report.byStatus['401'] ?? 0).toBe(0);
  });

  it('get a 2xx, or a 4xx that names the problem: no 5xx, no crash, nothing published for a refusal', () => {
    if (!report.ok) throw new Error(`the fuzz campaign broke the property:\n${formatFuzzReport(report)}`);
    expect(report.findings).toEqual([]);
    expect(report.crashes).toEqual([]);
    for (const ledger of report.ledgers) expect(ledgerHolds(ledger)).toBe(true);
  });
});
