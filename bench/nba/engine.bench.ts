/*
 * Decisions per second of the pure next-best-action engine (`decide` of @hub/nba with catalog v1)
 * on generated customers, beside a reference measured in the same run: the bare fold of the same
 * customers' histories (`foldCustomer`), i.e. what loading one customer costs before any decision.
 *
 *   node -r @swc-node/register bench/nba/engine.bench.ts      (BENCH_SECONDS=3 BENCH_CUSTOMERS=2000 BENCH_EVENTS=60)
 *
 * No I/O: states, contact histories and triggers are prepared first; each round runs over every
 * customer, alternating fold and decide rounds until each has run BENCH_SECONDS. Prints one line.
 */
import { cpus } from 'node:os';
import { foldCustomer, NBA_OUTCOMES, QUADRANTS, type CustomerEvent } from '@hub/customer';
import { generatedHistory } from '@hub/customer/testing';
import {
  catalogV1,
  contactHistoryFrom,
  decide,
  decidedEvent,
  decisionSeed,
  latestTrigger,
  mulberry32,
  tallyOutcomes,
  type DecideInput,
} from '@hub/nba';

const SECONDS = Number(process.env['BENCH_SECONDS'] ?? '3');
const CUSTOMERS = Number(process.env['BENCH_CUSTOMERS'] ?? '2000');
const EVENTS = Number(process.env['BENCH_EVENTS'] ?? '60');

const catalog = catalogV1();
// Outcomes of a whole population: 20,000 across every (action, segment).
const rnd = mulberry32(11);
const outcomes = tallyOutcomes(
  Array.from({ length: 20_000 }, () => ({
    actionId: catalog.actions[Math.floor(rnd() * catalog.actions.length)]!.id,
    segment: QUADRANTS[Math.floor(rnd() * QUADRANTS.length)]!,
    outcome: NBA_OUTCOMES[Math.floor(rnd() * NBA_OUTCOMES.length)]!,
  })),
);

const histories: CustomerEvent[][] = Array.from({ length: CUSTOMERS }, (_, i) => generatedHistory(i + 1, EVENTS));
const inputs: DecideInput[] = histories.map((events, i) => {
  const trigger = latestTrigger(events)!;
  return {
    tenantId: 'bench',
    customerId: `c-${i}`,
    state: foldCustomer(events),
    stateRevision: String(events.length - 1),
    trigger,
    catalog,
    outcomes,
    history: contactHistoryFrom(events),
    now: new Date(Date.parse(trigger.metadata.occurredAt) + 60_000).toISOString(),
    seed: decisionSeed('bench', `c-${i}`, trigger.metadata.eventId),
  };
});

/** Runs `round` until `SECONDS` of it have elapsed; returns items per second. */
function rate(round: () => number): number {
  let items = 0;
  let ns = 0n;
  while (ns < BigInt(Math.round(SECONDS * 1e9))) {
    const t = process.hrtime.bigint();
    items += round();
    ns += process.hrtime.bigint() - t;
  }
  return items / (Number(ns) / 1e9);
}

let sink = 0;
const foldRound = () => {
  for (const events of histories) sink += foldCustomer(events).engagement.total;
  return histories.length;
};
const decideRound = () => {
  for (const input of inputs) sink += decide(input).menu.length;
  return inputs.length;
};

// Warm-up (JIT), then the measured runs.
for (let i = 0; i < 3; i++) {
  foldRound();
  decideRound();
}
const folds = rate(foldRound);
const decisions = rate(decideRound);
const sizes = inputs.slice(0, 200).map((input) => JSON.stringify(decidedEvent(decide(input), 'bench').data).length);
const chosen = new Set(inputs.slice(0, 500).map((input) => decide(input).chosen.actionId));

console.log(
  `nba engine (${catalog.catalogVersion}, ${catalog.actions.length} actions): ${Math.round(decisions).toLocaleString('en-US')} decisions/s vs ${Math.round(folds).toLocaleString('en-US')} bare folds/s of the same ${CUSTOMERS} customers × ${EVENTS} events (a decision costs ${(folds / decisions).toFixed(2)} of a fold); ` +
    `recorded explanation ${(sizes.reduce((a, b) => a + b, 0) / sizes.length / 1024).toFixed(1)} KiB avg; ${chosen.size} distinct choices; 1 core of ${cpus().length}, node ${process.version}, ${new Date().toISOString()}`,
);
if (sink === Number.MIN_SAFE_INTEGER) console.error(sink); // keeps the results alive
