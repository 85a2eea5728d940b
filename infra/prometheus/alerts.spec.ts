import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { hubMetrics } from '@hub/metrics';

/**
 * infra/prometheus/alerts.yml against what the hub exports: every metric a rule reads is one of
 * @hub/metrics' (or Prometheus' own `up`, or a recording rule of the same file), so renaming a
 * metric fails here rather than silencing an alert in production; every alert says how bad it is,
 * what happened and where the runbook is, and each runbook anchor is a heading of docs/operations.md.
 * (No promtool here: the expressions' syntax is checked only as far as balanced brackets.)
 */
interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
const root = join(__dirname, '..', '..');
const file = parse(readFileSync(join(__dirname, 'alerts.yml'), 'utf8')) as { groups: { name: string; rules: Rule[] }[] };
const rules = file.groups.flatMap((g) => g.rules);
const exported = new Set(Object.values(hubMetrics).map((m) => (m() as unknown as { name: string }).name));
const recorded = new Set(rules.flatMap((r) => (r.record ? [r.record] : [])));
const PROMQL_WORDS = new Set(['by', 'without', 'and', 'or', 'unless', 'on', 'ignoring', 'bool', 'offset', 'group_left', 'group_right']);

/** The series names an expression reads: identifiers not followed by `(` (functions) and not label names or keywords. */
function seriesOf(expr: string): string[] {
  const withoutStrings = expr
    .replace(/"[^"]*"/g, '""')
    .replace(/\{[^}]*\}/g, '')
    .replace(/\[[^\]]*\]/g, '');
  const withoutGroupings = withoutStrings.replace(/\b(by|without|on|ignoring)\s*\([^)]*\)/g, '');
  const names: string[] = [];
  for (const m of withoutGroupings.matchAll(/\d+(?:\.\d+)?(?:e[-+]?\d+)?|[A-Za-z_:][A-Za-z0-9_:]*/g)) {
    const word = m[0];
    if (/^\d/.test(word) || PROMQL_WORDS.has(word)) continue;
    const next = withoutGroupings.slice(m.index! + word.length).trimStart();
    if (!next.startsWith('(')) names.push(word); // a function is followed by its arguments
  }
  return names;
}

describe('infra/prometheus/alerts.yml', () => {
  it('given the file, then it has recording rules and alerts, each with an expression', () => {
    expect(rules.filter((r) => r.alert).length).toBeGreaterThanOrEqual(10);
    expect(recorded.size).toBeGreaterThanOrEqual(3);
    for (const r of rules) expect([r.alert ?? r.record, typeof r.expr]).toEqual([r.alert ?? r.record, 'string']);
  });

  it.each(rules.map((r) => [r.alert ?? r.record!, r] as const))('given %s, then every series it reads exists', (_name, rule) => {
    const unknown = seriesOf(rule.expr).filter((s) => s !== 'up' && !exported.has(s) && !recorded.has(s));
    expect(unknown).toEqual([]);
    const depth = [...rule.expr].reduce((d, c) => (d < 0 ? d : d + (c === '(' ? 1 : c === ')' ? -1 : 0)), 0);
    expect(depth).toBe(0);
  });

  it('given every alert, then it has a severity, a summary and a runbook heading that exists', () => {
    const headings = new Set(
      [...readFileSync(join(root, 'docs', 'operations.md'), 'utf8').matchAll(/^#{2,4} (.+)$/gm)].map((m) =>
        m[1]!
          .toLowerCase()
          .replace(/[^a-z0-9 -]/g, '')
          .trim()
          .replace(/ /g, '-'),
      ),
    );
    for (const r of rules.filter((x) => x.alert)) {
      expect([r.alert, r.labels?.['severity']]).toEqual([r.alert, expect.stringMatching(/^(warning|critical)$/)]);
      expect([r.alert, typeof r.annotations?.['summary']]).toEqual([r.alert, 'string']);
      const anchor = r.annotations?.['runbook']?.split('#')[1];
      expect([r.alert, anchor !== undefined && headings.has(anchor)]).toEqual([r.alert, true]);
    }
  });

  it('given a metric that does not exist, then the check names it (the check can fail)', () => {
    expect(seriesOf('sum by (job) (rate(hub_nope_total{code="x"}[5m])) / up').filter((s) => !exported.has(s) && s !== 'up')).toEqual([
      'hub_nope_total',
    ]);
  });
});
