import type { NbaCandidate, NbaContactCounters, NbaFactValue, NbaPolicyVerdict, NbaRuleTrace } from '@hub/customer';
import { controlDraw, strategyOf, type Difference, type Json, type Reproduction } from '@hub/nba';

/** The decision, its inputs and its verdicts as a person reads them (`hub nba explain` without --json). */

const fact = (v: NbaFactValue): string => JSON.stringify(v);
const facts = (read: Record<string, NbaFactValue>): string =>
  Object.entries(read)
    .map(([k, v]) => `${k}=${fact(v)}`)
    .join(', ');

/** `any(churn.signals contains "x", engagement.inboundLast24h gte 3)` */
export function ruleText(t: NbaRuleTrace): string {
  return t.children ? `${t.rule}(${t.children.map(ruleText).join(', ')})` : t.rule;
}

const num = (n: number, digits = 4): string => (Number.isInteger(n) ? String(n) : n.toFixed(digits));

function table(rows: string[][], indent = '  '): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => `${indent}${r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')}`.trimEnd()).join('\n');
}

/** Failed rules of the failed policies, with the facts they read. */
function failedRules(verdicts: readonly NbaPolicyVerdict[], indent: string): string[] {
  return verdicts
    .filter((v) => !v.passed)
    .flatMap((v) =>
      v.rules
        .filter((r) => !r.passed)
        .map((r) => `${indent}${v.policy}: ${r.id ? `${r.id}: ` : ''}${ruleText(r)} — read ${facts(r.facts)}`),
    );
}

function candidateLines(c: NbaCandidate, rank: number | undefined): string[] {
  const head = `  ${c.actionId.padEnd(24)}`;
  if (c.kind === 'none') return [`${head}the do-nothing fallback (chosen when nothing survives)`];
  const out: string[] = [];
  if (c.survived && c.score) {
    const s = c.score;
    out.push(
      `${head}${rank ? `ranked ${rank}` : 'survived, not in the menu'} · P ${num(s.propensity.sampled)} (Beta ${num(s.propensity.alpha)}/${num(s.propensity.beta)}, mean ${num(s.propensity.mean)}) × C ${num(s.context.weight)} × V ${num(s.value)} × L ${num(s.lever.weight)} = ${num(s.priority)} · ${c.contact?.mode ?? '-'} on ${c.contact?.channel ?? '-'}`,
    );
    return out;
  }
  out.push(`${head}rejected: ${c.rejectedBy.join(', ')}`);
  out.push(...failedRules(c.policies, '      '));
  if (c.contact && !c.contact.cooldown.passed) {
    const cd = c.contact.cooldown;
    out.push(
      `      cooldown: ${cd.reason ?? '?'} until ${cd.until ?? '?'} (last decided ${cd.lastDecidedAt ?? '-'}${cd.lastOutcome ? `, ${cd.lastOutcome.outcome} at ${cd.lastOutcome.at}` : ''})`,
    );
  }
  if (c.rejectedBy.includes('no_channel') && c.contact) {
    out.push(`      channels: ${c.contact.channels.map((ch) => `${ch.channel} ${ch.blockedBy.join('+') || 'ok'}`).join(' · ')}`);
  }
  if (c.rejectedBy.includes('below_min_priority') && c.score)
    out.push(`      priority ${num(c.score.priority)} is below the catalog's minimum`);
  return out;
}

function countersLine(c: NbaContactCounters): string {
  const channels = Object.entries(c.channels).map(([ch, u]) => `${ch} ${u.used}/${u.max} in ${u.windowDays}d`);
  if (c.total) channels.push(`total ${c.total.used}/${c.total.max} in ${c.total.windowDays}d`);
  return `  proactive contacts: ${channels.join(' · ') || 'none counted'}\n  time zone ${c.timeZone} (${c.timeZoneSource}), local time ${c.localTime}`;
}

const show = (v: Json | undefined): string => (v === undefined ? '(absent)' : JSON.stringify(v));

export function differencesText(differences: readonly Difference[], limit = 50): string {
  const lines = differences
    .slice(0, limit)
    .map((d) => `  ${d.path || '(the whole record)'}: stored ${show(d.stored)} → recomputed ${show(d.recomputed)}`);
  if (differences.length > limit) lines.push(`  … and ${differences.length - limit} more (--json lists them all)`);
  return lines.join('\n');
}

export function explainText(r: Reproduction, where: { tenantId: string; customerId: string }): string {
  const d = r.recomputed;
  const stored = r.stored;
  const chosen = d.chosen;
  const rankOf = new Map(d.menu.map((m) => [m.actionId, m.rank]));
  const failedDefaults = failedRules(d.defaults, '    ');
  const out = [
    `decision ${String(stored['decisionId'])}${r.differences.length ? ' (as recomputed; what differs from the record is listed at the end)' : ''}`,
    `  customer    ${where.tenantId}/${where.customerId}`,
    `  decided     ${d.decidedAt} (the engine's now)`,
    `  trigger     ${r.input.trigger.type} ${d.basedOnEventId} · state as of stream revision ${d.basedOnRevision}${mergedIn(r)}`,
    `  versions    strategy ${d.strategyVersion} · catalog ${d.catalogVersion}`,
    `  seed        ${d.seed}`,
    `  segment     ${d.segment}`,
    `  posteriors  from what the decision recorded: the outcome counts it read (v3) or its posteriors (v2); the population's tally then is kept nowhere else`,
    '',
    `chosen  ${chosen.actionId} (${chosen.kind} · ${chosen.contactMode}${chosen.channel ? ` on ${chosen.channel}` : ''}${chosen.priority === null ? '' : ` · priority ${num(chosen.priority)}`})`,
    `  why   ${d.explanation.reason}`,
    ...(d.withheld
      ? [
          `  withheld ${d.withheld.actionId} (${d.withheld.kind}${d.withheld.channel ? ` on ${d.withheld.channel}` : ''}): control group, share ${d.withheld.share}, draw ${num(controlDraw(d.seed, d.withheld.actionId))}`,
        ]
      : []),
    '',
    'menu',
    d.menu.length === 0
      ? '  (empty: no action survived)'
      : table([
          ['rank', 'action', 'channel', 'mode', 'P', 'C', 'V', 'L', 'priority'],
          ...d.menu.map((m) => {
            const s = d.candidates.find((c) => c.actionId === m.actionId)!.score!;
            return [
              String(m.rank),
              m.actionId,
              m.channel ?? '-',
              m.contactMode,
              num(s.propensity.sampled),
              num(s.context.weight),
              num(s.value),
              num(s.lever.weight),
              num(m.priority),
            ];
          }),
        ]),
    '',
    'candidates (catalog order)',
    ...d.candidates.flatMap((c) => candidateLines(c, rankOf.get(c.actionId))),
    ...(failedDefaults.length ? ['', 'catalog defaults that failed (they hold back every action)', ...failedDefaults] : []),
    '',
    'contact counters',
    countersLine(d.counters),
    '',
    r.differences.length === 0
      ? 'reproduced: yes (recomputed from the events, bit for bit)'
      : `reproduced: no — ${r.differences.length} path(s) differ, stored → recomputed:\n${differencesText(r.differences)}`,
  ];
  if (r.unmatchedPosteriors.length) out.push(`  recorded posteriors no count reproduces: ${r.unmatchedPosteriors.join(', ')}`);
  return `${out.join('\n')}\n`;
}

/** Who else the state was folded from: the customers merged into this one by the decision, when its strategy read them (none: ''). */
function mergedIn(r: Reproduction): string {
  const from = r.input.state.mergedFrom;
  if (from.length === 0) return '';
  return strategyOf(r.recomputed.strategyVersion)?.reads === 'whole-history'
    ? ` with the history of ${from.join(', ')} (merged in)`
    : ' (its own stream only: this strategy did not read merged-in customers)';
}
