import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { productionSources, ROOT } from './source-files';
import * as ts from 'typescript';

/**
 * Who owns which PostgreSQL table, and a check that no component names another's tables in SQL
 * (issue #14). The module-boundary lint sees imports, not SQL: a component that reads another's
 * tables with a raw query depends on its schema where nobody can see it, and ties itself to
 * PostgreSQL (no app could then run on the EventStoreDB adapter). Use the owner's port instead.
 *
 * Scanned: every `.ts` source under apps/ and libs/ but specs, `testing/` and `__fixtures__` (test
 * support may inspect tables) — bench/ and scripts/ are not scanned. A string literal counts as SQL
 * when it reads like a statement, or names a table right after `from`/`join`/`into`/`update`/`table`.
 */

/** Table → the component (project directory) that creates it and alone may name it in SQL. */
const OWNERS: Readonly<Record<string, string>> = {
  hub_events: 'libs/record/event-store',
  hub_streams: 'libs/record/event-store',
  hub_checkpoints: 'libs/record/event-store',
  hub_leader_epochs: 'libs/record/event-store',
  hub_subject_keys: 'libs/record/crypto-shredding',
  customer_snapshots: 'libs/record/customer-records',
  timeline_entries: 'libs/project/timeline',
  timeline_customers: 'libs/project/timeline',
  timeline_identities: 'libs/project/timeline',
  timeline_erased: 'libs/project/timeline',
  timeline_facts: 'libs/project/timeline',
  timeline_edits: 'libs/project/timeline',
  timeline_replay_runs: 'libs/project/timeline',
  nba_outcome_tally: 'libs/decide/nba-outcomes',
  nba_outcomes: 'libs/decide/nba-outcomes',
  work_items: 'libs/decide/work-items',
  outbound_sends: 'libs/deliver/outbound',
  webhook_subscriptions: 'libs/deliver/webhook-deliveries',
  webhook_deliveries: 'libs/deliver/webhook-deliveries',
  saved_queries: 'apps/query/query-api',
  hub_tenants: 'libs/shared/platform',
  hub_api_keys: 'libs/shared/platform',
  hub_key_audit: 'libs/shared/platform',
  // The migrator's record of every component's applied versions (schema-migrations/schema-migrator.ts).
  hub_schema_migrations: 'libs/shared/platform',
};

/**
 * The remaining debt: reads of another component's tables that could not move behind a port yet.
 * Each entry names the file, the table and why. A new violation fails; so does an entry that no
 * longer matches anything (delete it: the debt is paid). Empty: issue #14's debt is paid; an entry
 * added here needs its reason and an issue.
 */
const ALLOWED: readonly { file: string; table: string; why: string }[] = [];

const SQL_STATEMENT =
  /\b(select\b[\s\S]*\bfrom\b|insert\s+into\b|update\s+[\w."]+\s+set\b|delete\s+from\b|(create|alter|drop)\s+(unlogged\s+)?(table|index|view|trigger)\b|truncate\b|lock\s+table\b|to_regclass\s*\(|copy\s+[\w."]+)/i;
const TABLES = Object.keys(OWNERS);
const TABLE_NAME = new RegExp(`\\b(${TABLES.join('|')})\\b`, 'g');
const AFTER_SQL_WORD = new RegExp(`\\b(from|join|into|update|table)\\s+(only\\s+)?("?public"?\\.)?"?(${TABLES.join('|')})\\b`, 'gi');

interface Violation {
  file: string;
  table: string;
  line: number;
}

describe('SQL names only tables the component owns', () => {
  const components = findComponents();
  const violations = scanSources(components);

  it('finds the owners and the SQL it checks (the scan is not vacuous)', () => {
    for (const owner of new Set(Object.values(OWNERS))) expect(components).toContain(owner);
    // Each owner's own SQL is seen (and allowed): the scanner does read queries.
    expect(scanFile('libs/record/crypto-shredding/src/postgres.key-store.ts', 'apps/decide/nba-worker').map((v) => v.table)).toContain(
      'hub_subject_keys',
    );
    expect(scanFile('libs/project/timeline/src/timeline.segments.ts', 'apps/decide/nba-worker').map((v) => v.table)).toContain(
      'timeline_customers',
    );
  });

  it('catches a raw query of another component’s table', () => {
    const found = scanText(
      'x.ts',
      "const r = await pool.query('select customer_id from timeline_customers where tenant_id = $1');\nconst h = `select coalesce(max(global_position), 0) from ${'public'}.hub_events`;",
      'apps/decide/nba-worker',
    );
    expect(found.map((v) => [v.table, v.line])).toEqual([
      ['timeline_customers', 1],
      ['hub_events', 2],
    ]);
    expect(scanText('x.ts', "throw new Error('no hub_events table here');", 'apps/decide/nba-worker')).toEqual([]);
  });

  it('no component names another’s tables, but for the listed debt', () => {
    const unexpected = violations.filter((v) => !ALLOWED.some((a) => a.file === v.file && a.table === v.table));
    expect(unexpected.map((v) => `${v.file}:${v.line} names ${v.table}, owned by ${OWNERS[v.table]} (use its port)`)).toEqual([]);
  });

  it('every allowance still matches a violation (else remove it: the debt is paid)', () => {
    const stale = ALLOWED.filter((a) => !violations.some((v) => v.file === a.file && v.table === a.table));
    expect(stale.map((a) => `${a.file} / ${a.table}`)).toEqual([]);
  });

  it('every table created with a plain name is in the ownership map, created by its owner', () => {
    const created: string[] = [];
    for (const file of productionSources()) {
      for (const { text } of literals(readFileSync(join(ROOT, file), 'utf8'), file)) {
        for (const m of text.matchAll(
          /\bcreate\s+(unlogged\s+)?table\s+(if\s+not\s+exists\s+)?("?public"?\.)?"?(?!if\s)([a-z_][a-z0-9_]*)\b/gi,
        )) {
          const table = m[4]!.toLowerCase();
          created.push(`${table} by ${componentOf(file, components)}`);
        }
      }
    }
    expect(created.length).toBeGreaterThan(5);
    expect(
      created.filter((c) => {
        const [table, , owner] = c.split(' ');
        return OWNERS[table!] !== owner;
      }),
    ).toEqual([]);
  });
});

function scanSources(components: readonly string[]): Violation[] {
  return productionSources().flatMap((file) => scanFile(file, componentOf(file, components)));
}

function scanFile(file: string, component: string): Violation[] {
  return scanText(file, readFileSync(join(ROOT, file), 'utf8'), component);
}

/** Tables named in SQL literals of `text` that `component` does not own. */
function scanText(file: string, text: string, component: string): Violation[] {
  const out: Violation[] = [];
  for (const literal of literals(text, file)) {
    const named = new Set<string>();
    if (SQL_STATEMENT.test(literal.text)) for (const m of literal.text.matchAll(TABLE_NAME)) named.add(m[1]!);
    for (const m of literal.text.matchAll(AFTER_SQL_WORD)) named.add(m[4]!.toLowerCase());
    for (const table of named) if (OWNERS[table] !== component) out.push({ file, table, line: literal.line });
  }
  return out;
}

/** Every string and template literal of a TypeScript source (a template's text without its substitutions). */
function literals(text: string, file: string): { text: string; line: number }[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const out: { text: string; line: number }[] = [];
  const visit = (node: ts.Node): void => {
    const line = (): number => source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
    if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) out.push({ text: node.text, line: line() });
    else if (ts.isTemplateExpression(node))
      out.push({
        text: [node.head.text, ...node.templateSpans.map((s) => s.literal.text)].join(' '),
        line: line(),
      });
    ts.forEachChild(node, visit);
  };
  visit(source);
  return out;
}

/** Project directories (holding a project.json) under apps/ and libs/, relative to the root. */
function findComponents(): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    if (existsSync(join(ROOT, dir, 'project.json'))) out.push(dir);
    for (const name of readdirSync(join(ROOT, dir))) {
      if (name === 'node_modules' || name === 'src' || name.startsWith('.')) continue;
      if (statSync(join(ROOT, dir, name)).isDirectory()) walk(`${dir}/${name}`);
    }
  };
  walk('apps');
  walk('libs');
  return out;
}

function componentOf(file: string, components: readonly string[]): string {
  const owner = components.filter((c) => file.startsWith(`${c}/`)).sort((a, b) => b.length - a.length)[0];
  if (!owner) throw new Error(`${file} belongs to no project`);
  return owner;
}
