import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChannelId } from '@hub/contracts';
import {
  consentChanged,
  conversationResolved,
  email,
  inbound,
  orderPlaced,
  orderRefunded,
  phone,
  registered,
  surveyAnswered,
} from '@hub/customer/testing';
import { tallyOutcomes, type BacktestReport, type Decision, type OutcomeObservation } from '@hub/nba';
import { freshId } from '@hub/testing';
import { cliWorld, runCli, type CliWorld } from './testing/cli-harness';
import { CustomerScript } from './testing/nba-history';

jest.setTimeout(120_000);

const EMAIL = 'email' as ChannelId;
/** `2025-03-<day>T<hh>:<mm>:00.000Z` */
const t = (day: number, hour: number, minute = 0): string => new Date(Date.UTC(2025, 2, day, hour, minute)).toISOString();
/** The shipped catalog, as an operator would pass it. */
const CATALOG_FILE = join(__dirname, '../../../../libs/decide/nba/catalog/catalog.v1.json');
type CatalogJson = {
  catalogVersion: string;
  actions: { id: string; value: unknown }[];
  contactPolicy: { channels: { channel: string; cap: { max: number } }[] };
};
const catalogV1Json = JSON.parse(readFileSync(CATALOG_FILE, 'utf8')) as CatalogJson;
const FROM = '2025-03-01T00:00:00.000Z';
const TO = '2025-04-01T00:00:00.000Z';

let world: CliWorld;
const tenant = freshId('nba').toLowerCase();
/** Decisions as the worker made them, in order. */
const decisions: Decision[] = [];
const observed: OutcomeObservation[] = [];
let tmp: string;

/** What the population's outcome tally held at each moment (as a projection of NbaOutcomeRecorded would). */
const population = () => tallyOutcomes(observed);

async function decide(c: CustomerScript, now: string, trigger?: string, recordedAs: 'v2' | 'v3' = 'v3'): Promise<Decision> {
  const d = await c.decide(now, { outcomes: population(), recordedAs, ...(trigger ? { trigger } : {}) });
  decisions.push(d);
  return d;
}

async function outcome(c: CustomerScript, d: Decision, o: 'accepted' | 'declined' | 'no_response', at: string): Promise<void> {
  await c.outcome(d, o, at);
  observed.push({ actionId: d.chosen.actionId, segment: d.segment, outcome: o });
}

beforeAll(async () => {
  world = await cliWorld('cli_nba');
  tmp = mkdtempSync(join(tmpdir(), 'hub-nba-'));
  const { customers } = world.stores;

  // Alice: a question, a resolution, a poor score, then a refund after a big order. Her first two
  // decisions were recorded by the previous release (v2: the whole ranking), the rest as today (v3).
  const alice = new CustomerScript(customers, tenant, 'alice');
  await alice.append(
    registered('alice', t(1, 9), phone('+14155550101')),
    inbound('hello', t(1, 9, 5), { channel: EMAIL, text: 'hello', identities: [email('alice@example.com')] }),
    conversationResolved('r0', t(1, 10), { channel: EMAIL }),
    inbound('i1', t(3, 10), { text: 'Hi, where is my order #4411?', identities: [phone('+14155550101')] }),
  );
  await outcome(alice, await decide(alice, t(3, 10, 1), undefined, 'v2'), 'accepted', t(3, 11));
  await alice.append(conversationResolved('r1', t(3, 14)));
  await decide(alice, t(3, 14, 1), 'r1', 'v2');
  await alice.append(surveyAnswered('s1', t(4, 9), 'csat', 1));
  await outcome(alice, await decide(alice, t(4, 9, 1)), 'declined', t(4, 10));
  await alice.append(
    orderPlaced('o1', t(5, 9), 'A-1', 80_000, 'EUR'),
    consentChanged('c1', t(6, 9), 'opted_in', { channel: EMAIL }),
    orderRefunded('rf1', t(20, 11), 'A-1', 20_000),
  );
  await outcome(alice, await decide(alice, t(20, 11, 1)), 'accepted', t(21, 9));

  // Bob: a routine question, then a survey after the resolution that he never answers.
  const bob = new CustomerScript(customers, tenant, 'bob');
  await bob.append(
    registered('bob', t(2, 9), phone('+14155550111')),
    inbound('i1', t(8, 10), { text: 'How do I reset my password?', identities: [phone('+14155550111')] }),
  );
  await outcome(bob, await decide(bob, t(8, 10, 1)), 'accepted', t(8, 10, 30));
  await bob.append(conversationResolved('r1', t(8, 12)));
  await outcome(bob, await decide(bob, t(8, 12, 1), 'r1'), 'no_response', t(11, 12, 1));

  // Carol: a detractor.
  const carol = new CustomerScript(customers, tenant, 'carol');
  await carol.append(registered('carol', t(2, 9), phone('+14155550122')), surveyAnswered('s1', t(12, 11), 'nps', 3));
  await decide(carol, t(12, 11, 1));
});
afterAll(() => world?.close());

function catalogFile(name: string, change: (json: CatalogJson) => void): string {
  const json = JSON.parse(JSON.stringify(catalogV1Json)) as CatalogJson;
  change(json);
  const path = join(tmp, `${name}.json`);
  writeFileSync(path, JSON.stringify(json));
  return path;
}

describe('hub nba explain', () => {
  it('the decisions are the variety the histories are meant to produce', () => {
    expect(decisions.map((d) => `${d.chosen.actionId}/${d.chosen.channel ?? '-'}`)).toEqual([
      'kb_order_tracking/sms',
      'csat_survey/sms',
      'service_recovery/email',
      'retention_offer/email',
      'kb_password_reset/sms',
      'csat_survey/sms',
      'nps_detractor_callback/voice',
    ]);
  });

  it('recomputes every recorded decision from the events, bit for bit, those of the previous release (v2) included', async () => {
    for (const d of decisions) {
      const r = await runCli(['nba', 'explain', d.decisionId], world.env);
      expect({ code: r.code, stderr: r.stderr, id: d.decisionId }).toEqual({ code: 0, stderr: '', id: d.decisionId });
      expect(r.stdout).toContain('reproduced: yes');
      expect(r.stdout).toContain(`chosen  ${d.chosen.actionId}`);
      expect(r.stdout).toContain(`seed        ${d.seed}`);
    }
  });

  it('explains the menu with P, C, V, L and priority, failed policies with the facts they read, and the counters', async () => {
    const survey = decisions[1]!;
    const r = await runCli(['nba', 'explain', survey.decisionId, '--tenant', tenant], world.env);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/rank\s+action\s+channel\s+mode\s+P\s+C\s+V\s+L\s+priority/);
    expect(r.stdout).toMatch(/1\s+csat_survey\s+sms\s+proactive/);
    expect(r.stdout).toContain('kb_password_reset');
    expect(r.stdout).toMatch(/applicability: .*intent\.name .* — read intent\.name=/);
    expect(r.stdout).toMatch(/proactive contacts: .*sms 0\/1 in 7d/);
    expect(r.stdout).toContain(`trigger     ConversationResolved ${survey.basedOnEventId}`);
  });

  it('with --json gives the comparison and the rebuilt input', async () => {
    const d = decisions[3]!;
    const r = await runCli(['nba', 'explain', d.decisionId, '--json'], world.env);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as {
      reproduced: boolean;
      differences: unknown[];
      customerId: string;
      input: { seed: number; catalogVersion: string; posteriors: string; now: string };
      recomputed: { action: { code: string } };
    };
    expect(out).toMatchObject({
      reproduced: true,
      differences: [],
      customerId: 'alice',
      input: { seed: d.seed, catalogVersion: '2025.06-1', posteriors: 'recorded', now: d.decidedAt },
      recomputed: { action: { code: 'retention_offer' } },
    });
  });

  it('exits 1 for a decision it cannot find (another tenant, or no such id) and 2 for an id that is not one', async () => {
    const other = await runCli(['nba', 'explain', decisions[0]!.decisionId, '--tenant', 'someone-else'], world.env);
    expect({ code: other.code, stdout: other.stdout }).toEqual({ code: 1, stdout: '' });
    expect(other.stderr).toContain('tenant "someone-else" has no events');
    expect((await runCli(['nba', 'explain', '2c1b2f4e-0000-4000-8000-000000000000'], world.env)).code).toBe(1);
    expect((await runCli(['nba', 'explain', 'abc'], world.env)).code).toBe(2);
  });

  describe('when a stored decision was changed', () => {
    const tampered = freshId('nbat').toLowerCase();
    let decision: Decision;
    beforeAll(async () => {
      const dora = new CustomerScript(world.stores.customers, tampered, 'dora');
      await dora.append(
        registered('dora', t(1, 9), phone('+14155550133')),
        inbound('i1', t(2, 10), { text: 'What are your opening hours?', identities: [phone('+14155550133')] }),
      );
      decision = await dora.decide(t(2, 10, 1));
      await dora.append(inbound('i2', t(3, 10), { text: 'where is my order', identities: [phone('+14155550133')] }));
    });

    /** The log is append-only: a change made behind the store's back, as an attacker or a bad migration would. */
    async function tamper(decisionId: string, path: string[], value: unknown): Promise<void> {
      const client = await world.pool.connect();
      try {
        await client.query('begin');
        await client.query('alter table hub_events disable trigger hub_events_append_only');
        await client.query('update hub_events set data = jsonb_set(data, $2::text[], $3::jsonb) where event_id = $1', [
          decisionId,
          path,
          JSON.stringify(value),
        ]);
        await client.query('alter table hub_events enable trigger hub_events_append_only');
        await client.query('commit');
      } finally {
        client.release();
      }
    }

    it('then the paths that differ are listed and the exit code is 1', async () => {
      expect((await runCli(['nba', 'explain', decision.decisionId], world.env)).code).toBe(0);
      await tamper(decision.decisionId, ['menu', '0', 'priority'], 99);
      const r = await runCli(['nba', 'explain', decision.decisionId], world.env);
      expect(r.code).toBe(1);
      expect(r.stdout).toContain('reproduced: no — 1 path(s) differ');
      expect(r.stdout).toContain(`menu.0.priority: stored 99 → recomputed ${decision.menu[0]!.priority}`);
      const json = JSON.parse((await runCli(['nba', 'explain', decision.decisionId, '--json'], world.env)).stdout) as {
        reproduced: boolean;
        differences: unknown[];
      };
      expect(json).toMatchObject({
        reproduced: false,
        differences: [{ path: 'menu.0.priority', stored: 99, recomputed: decision.menu[0]!.priority }],
      });
    });

    it('then a catalog version no shipped catalog has is an error that says so', async () => {
      await tamper(decision.decisionId, ['catalogVersion'], '1999.01-1');
      const r = await runCli(['nba', 'explain', decision.decisionId], world.env);
      expect({ code: r.code, stdout: r.stdout }).toEqual({ code: 1, stdout: '' });
      expect(r.stderr).toContain('catalog version "1999.01-1", which no shipped catalog has');
    });
  });
});

describe('hub nba backtest', () => {
  const backtest = async (catalog: string, ...more: string[]) => {
    const r = await runCli(
      ['nba', 'backtest', '--catalog', catalog, '--from', FROM, '--to', TO, '--tenant', tenant, '--json', ...more],
      world.env,
    );
    expect({ code: r.code, stderr: r.code === 0 ? '' : r.stderr }).toEqual({ code: 0, stderr: '' });
    return { report: JSON.parse(r.stdout) as BacktestReport, stderr: r.stderr };
  };

  describe('given the catalog the decisions were made with', () => {
    it('then every decision agrees, and what became of them is counted', async () => {
      const { report, stderr } = await backtest(CATALOG_FILE);
      expect(report).toMatchObject({
        decisions: 7,
        agreement: { sameAction: 7, sameActionAndChannel: 7, rate: 1 },
        changes: [],
        candidateCatalogVersion: '2025.06-1',
      });
      expect(report.outcomes).toEqual({ accepted: 3, declined: 1, noResponse: 1, pending: 2, acceptance: 0.6 });
      expect(report.proactive).toEqual({ decided: 4, candidate: 4 });
      expect(report.value.candidate).toBe(report.value.decided);
      expect(stderr).toMatch(/backtest: [\d,]+ events · [\d,]+ events\/s · 100\.0% of head/);
      expect(stderr).toContain('backtest: 7 decisions replayed');
    });

    it('then the text report shows the agreement and the tables', async () => {
      const r = await runCli(['nba', 'backtest', '--catalog', CATALOG_FILE, '--from', FROM, '--to', TO, '--tenant', tenant], world.env);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('agreement: 7 of 7 (100.0%) choose the same action');
      expect(r.stdout).toMatch(/retention_offer\s+1\s+1\s+1\s+0\s+0\s+0\s+100\.0%/);
      expect(r.stdout).toMatch(/sms\s+4\s+4\s+2\s+2/);
    });
  });

  describe('given a catalog without the retention offer', () => {
    it('then that decision goes another way, with less value and fewer contacts', async () => {
      const { report } = await backtest(
        catalogFile(
          'no-retention',
          (c) => ((c.catalogVersion = '2025.06-no-retention'), (c.actions = c.actions.filter((a) => a.id !== 'retention_offer'))),
        ),
      );
      expect(report.agreement).toMatchObject({ sameAction: 6, rate: 6 / 7 });
      expect(report.changes).toEqual([{ from: 'retention_offer', to: expect.any(String), count: 1 }]);
      expect(report.value.candidate).toBeLessThan(report.value.decided);
    });
  });

  describe('given a catalog that sends no proactive SMS (cap 0)', () => {
    it('then proactive contacts leave SMS: email where the customer has it, nothing where not', async () => {
      const { report } = await backtest(
        catalogFile(
          'no-sms-push',
          (c) => ((c.catalogVersion = '2025.06-no-sms'), (c.contactPolicy.channels.find((ch) => ch.channel === 'sms')!.cap.max = 0)),
        ),
      );
      expect(report.channels.find((c) => c.channel === 'sms')).toMatchObject({ decidedProactive: 2, candidateProactive: 0 });
      expect(report.channels.find((c) => c.channel === 'email')).toMatchObject({ decidedProactive: 2, candidateProactive: 3 });
      expect(report.changes).toEqual([{ from: 'csat_survey', to: 'do_nothing', count: 1 }]);
    });
  });

  describe('given a window', () => {
    it('then only the decisions made in it are replayed', async () => {
      const r = await runCli(
        ['nba', 'backtest', '--catalog', CATALOG_FILE, '--from', '2025-03-08', '--to', '2025-03-12', '--tenant', tenant, '--json'],
        world.env,
      );
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ decisions: 2, agreement: { rate: 1 } });
    });
  });

  describe('given an invalid catalog', () => {
    it('then it exits 2 naming the field, before connecting', async () => {
      const path = catalogFile('broken', (c) => (c.actions[0]!.value = 'a lot'));
      const r = await runCli(['nba', 'backtest', '--catalog', path, '--from', FROM, '--to', TO], {
        DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none',
      });
      expect({ code: r.code, stdout: r.stdout }).toEqual({ code: 2, stdout: '' });
      expect(r.stderr).toContain('actions.0.value');
    });
  });
});
