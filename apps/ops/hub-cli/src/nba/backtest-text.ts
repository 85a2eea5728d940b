import type { BacktestReport } from '@hub/nba';

/** A backtest report as tables (`hub nba backtest` without --json). */

const pct = (r: number | null): string => (r === null ? '-' : `${(r * 100).toFixed(1)}%`);
const n = (v: number): string =>
  Number.isInteger(v) ? v.toLocaleString('en-US') : v.toLocaleString('en-US', { maximumFractionDigits: 2 });

/** Columns after the first are right-aligned (numbers). */
function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => `  ${r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')}`.trimEnd()).join('\n');
}

export function backtestText(r: BacktestReport): string {
  const versions = Object.entries(r.decidedCatalogVersions)
    .map(([v, count]) => `${v}: ${n(count)}`)
    .join(', ');
  const skipped = Object.entries(r.skipped).filter(([, count]) => count > 0);
  const out = [
    `backtest of catalog ${r.candidateCatalogVersion} on ${n(r.decisions)} decisions made from ${r.from} to ${r.to}${versions ? ` (made with catalog ${versions})` : ''}`,
    `agreement: ${n(r.agreement.sameAction)} of ${n(r.decisions)} (${pct(r.agreement.rate)}) choose the same action; ${n(r.agreement.sameActionAndChannel)} the same action on the same channel`,
    '',
    'actions',
    r.actions.length === 0
      ? '  (none)'
      : table([
          ['action', 'decided', 'candidate', 'accepted', 'declined', 'no response', 'pending', 'acceptance'],
          ...r.actions.map((a) => [
            a.actionId,
            n(a.decided),
            n(a.candidate),
            n(a.accepted),
            n(a.declined),
            n(a.noResponse),
            n(a.pending),
            pct(a.acceptance),
          ]),
        ]),
    '',
    'channels (proactive: contacts we start, counted by the caps)',
    r.channels.length === 0
      ? '  (none)'
      : table([
          ['channel', 'decided', 'candidate', 'proactive decided', 'proactive candidate'],
          ...r.channels.map((c) => [c.channel, n(c.decided), n(c.candidate), n(c.decidedProactive), n(c.candidateProactive)]),
        ]),
    '',
    `outcomes of the decided actions that reach the customer: ${n(r.outcomes.accepted)} accepted, ${n(r.outcomes.declined)} declined, ${n(r.outcomes.noResponse)} no response, ${n(r.outcomes.pending)} pending — acceptance ${pct(r.outcomes.acceptance)}`,
    `value (catalog V of the chosen actions): decided ${n(r.value.decided)} (of which accepted ${n(r.value.decidedAccepted)}) · candidate ${n(r.value.candidate)}`,
    `proactive contacts: decided ${n(r.proactive.decided)} · candidate ${n(r.proactive.candidate)}`,
  ];
  if (r.changes.length > 0)
    out.push(
      '',
      'changes (decided → candidate)',
      table([['from → to', 'decisions'], ...r.changes.map((c) => [`${c.from} → ${c.to}`, n(c.count)])]),
    );
  if (r.replayedPosteriors > 0)
    out.push(
      '',
      `${n(r.replayedPosteriors)} decisions were made with a catalog this build does not ship: their posteriors come from the outcomes replayed before them`,
    );
  if (skipped.length > 0)
    out.push('', `skipped: ${skipped.map(([reason, count]) => `${n(count)} ${reason.replace(/_/g, ' ')}`).join(', ')}`);
  return `${out.join('\n')}\n`;
}
