/*
 * `npm run faults -- [--scenario F1,F7,F13] [--seconds 20] [--rate 100] [--seed 7] [--settle 120] [--fuzz 100000] [--no-docs]`
 *
 * The hub as real processes on a database, Kafka namespace and redis-server of its own, a seeded
 * open-loop load of signed webhooks, one fault per scenario, then the oracle (docs/reliability.md).
 * Prints one line per scenario and rewrites the table of docs/reliability.md (unless --no-docs).
 * Exit 0 when every scenario passes.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { formatFuzzReport, runFuzz } from '../../tools/fuzz';
import { runBrokerLossScenario } from './f13-broker-loss';
import { resultLine, runFaults, type ScenarioResult } from './run';
import { SCENARIOS, scenariosById } from './scenarios';

const ROOT = resolve(__dirname, '../..');
/** The 3-broker scenario (scripts/faults/f13-broker-loss.ts): its own cluster, its own line, not in the table below. */
const F13 = 'F13';
const DOC = join(ROOT, 'docs', 'reliability.md');
const START = '<!-- faults:table:start -->';
const END = '<!-- faults:table:end -->';

/** The latest results as a Markdown table, between the markers of docs/reliability.md. */
export function resultsTable(results: readonly ScenarioResult[], run: { seed: number; at: string; command: string }): string {
  const rows = results.map(
    (r) =>
      `| ${r.id} | ${r.title} | ${r.rate}/s × ${r.seconds} s | ${r.faults} | ${r.acknowledged} | ${r.retried} | ${r.verdict.lost} | ${r.verdict.duplicated} | ` +
      `${r.settledMs === undefined ? 'no' : `${(r.settledMs / 1000).toFixed(1)} s`} | **${r.verdict.pass ? 'PASS' : 'FAIL'}** | ` +
      `${
        r.verdict.checks
          .filter((c) => !c.ok)
          .map((c) => `${c.name}: ${c.detail}`)
          .join('; ') || '—'
      } |`,
  );
  return [
    `Latest run: ${run.at} (\`${run.command}\`).`,
    '',
    '| scenario | fault | load | faults | acknowledged | provider retries | lost | duplicated | settled | verdict | failed checks |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
  ].join('\n');
}

function updateDoc(table: string): void {
  const doc = readFileSync(DOC, 'utf8');
  const from = doc.indexOf(START);
  const to = doc.indexOf(END);
  if (from < 0 || to < from) throw new Error(`${DOC} has no ${START} … ${END} section`);
  writeFileSync(DOC, `${doc.slice(0, from + START.length)}\n${table}\n${doc.slice(to)}`);
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      // F13 runs its own 3-node Kafka cluster (no hub apps), after the others.
      scenario: { type: 'string', default: [...SCENARIOS.map((s) => s.id), F13].join(',') },
      seconds: { type: 'string', default: '20' },
      rate: { type: 'string', default: '100' },
      seed: { type: 'string', default: '7' },
      settle: { type: 'string', default: '120' },
      'no-docs': { type: 'boolean', default: false },
      // The signed fuzz campaign (tools/fuzz, also `npm run fuzz`) after the scenarios; 0 skips it.
      fuzz: { type: 'string', default: '100000' },
    },
  });
  const num = (name: 'seconds' | 'rate' | 'seed' | 'settle' | 'fuzz'): number => {
    const n = Number(values[name]);
    if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a whole number, not ${values[name]}`);
    return n;
  };
  const at = new Date().toISOString();
  const logDir = join(ROOT, '.run', 'logs', `faults-${at.replace(/[:.]/g, '-')}`);
  const log = (line: string) => process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${line}\n`);
  const seed = num('seed');
  log(`logs in ${logDir}`);
  const asked = values.scenario
    .split(',')
    .map((id) => id.trim().toUpperCase())
    .filter(Boolean);
  const hubScenarios = asked.filter((id) => id !== F13);
  const results =
    hubScenarios.length === 0
      ? []
      : await runFaults(
          {
            scenarios: scenariosById(hubScenarios),
            rate: num('rate'),
            seconds: num('seconds'),
            seed,
            settleSeconds: num('settle'),
            logDir,
            log,
            stopOnSignals: true,
          },
          (r) => console.log(resultLine(r)),
        );
  let clusterPassed = true;
  if (asked.includes(F13)) {
    const f13 = await runBrokerLossScenario({ seconds: num('seconds'), rate: num('rate'), seed: String(seed), log });
    console.log(f13.line);
    clusterPassed = f13.verdict === 'PASS';
  }
  let fuzzPassed = true;
  if (num('fuzz') > 0) {
    const report = await runFuzz({ seed, runs: num('fuzz'), concurrency: 16, parallelApps: 4, log });
    console.log(formatFuzzReport(report));
    fuzzPassed = report.ok;
  }
  if (!values['no-docs'] && results.length > 0) {
    const command = `npm run faults -- --scenario ${values.scenario} --seconds ${values.seconds} --rate ${values.rate} --seed ${seed}`;
    updateDoc(resultsTable(results, { seed, at, command }));
    log(`docs/reliability.md updated`);
  }
  return results.every((r) => r.verdict.pass) && clusterPassed && fuzzPassed ? 0 : 1;
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(err);
      process.exit(2);
    },
  );
}
