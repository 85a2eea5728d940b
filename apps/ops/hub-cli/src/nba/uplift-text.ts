import type { UpliftReport } from '@hub/nba';

/** An uplift report as a table (`hub nba uplift` without --json). */

const pct = (r: number | null): string => (r === null ? '-' : `${(r * 100).toFixed(1)}%`);
const pp = (r: number | null): string => (r === null ? '-' : `${r >= 0 ? '+' : ''}${(r * 100).toFixed(1)} pp`);
const n = (v: number): string => v.toLocaleString('en-US');

/** Columns after the first are right-aligned (numbers). */
function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => `  ${r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')}`.trimEnd()).join('\n');
}

export function upliftText(r: UpliftReport): string {
  const window = r.from || r.to ? ` made ${r.from ? `from ${r.from} ` : ''}${r.to ? `to ${r.to}` : ''}`.trimEnd() : '';
  const out = [
    `uplift of the actions with a control group, decisions${window}; a conversion: accepted, or an order within ${n(r.windowHours)} h`,
    '',
    r.actions.length === 0
      ? '  (no action has a control decision: set controlGroupShare on a catalog action)'
      : table([
          ['action', 'treated', 'customers', 'converted', 'rate', 'control', 'customers', 'converted', 'rate', 'uplift', '95% interval'],
          ...r.actions.map((a) => [
            a.actionId,
            n(a.treated.decisions),
            n(a.treated.customers),
            n(a.treated.conversions),
            pct(a.treated.rate),
            n(a.control.decisions),
            n(a.control.customers),
            n(a.control.conversions),
            pct(a.control.rate),
            pp(a.uplift),
            a.ci95 ? `${pp(a.ci95[0])} .. ${pp(a.ci95[1])}` : '-',
          ]),
        ]),
  ];
  return `${out.join('\n')}\n`;
}
