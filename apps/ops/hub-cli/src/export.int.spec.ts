import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freshId } from '@hub/testing';
import { CSV_COLUMNS } from './export/export.command';
import type { TimelineRow } from './read/timeline-rows';
import { at, cliWorld, interaction, parseCsv, projectLive, registered, runCli, type CliWorld } from './testing/cli-harness';

jest.setTimeout(60_000);

let world: CliWorld;
const tenant = freshId('ex').toLowerCase();
/** Texts a CSV writer gets wrong: separators, quotes, line breaks, formulas, nothing at all. */
const TEXTS = [
  'plain',
  'a, b and "c"\nsecond line\r\nthird',
  '=HYPERLINK("http://evil.example","click")',
  '+1 555',
  '-5',
  '@SUM(A1)',
  null,
  '  spaced  ',
  'emoji 🙂 and ünïcode',
];

beforeAll(async () => {
  world = await cliWorld('cli_export');
  for (const customerId of ['k1', 'k2', 'k3']) {
    await world.stores.customers.append(tenant, customerId, [
      registered(tenant, customerId),
      ...TEXTS.map((text, n) =>
        interaction(tenant, customerId, n, {
          text,
          occurredAt: at(1 + n, customerId === 'k2' ? 8 : 12),
          recordedAt: at(10 + n),
          ...(n === 2 ? { threadId: 'T-9' } : {}),
        }),
      ),
    ]);
  }
  await projectLive(world);
});
afterAll(() => world?.close());

/** What the export must contain, in its order: customer, then occurred_at. */
function expectedRows(customers = ['k1', 'k2', 'k3'], keep: (n: number) => boolean = () => true): TimelineRow[] {
  return customers.flatMap((customerId) =>
    TEXTS.flatMap((text, n) => {
      if (!keep(n)) return [];
      const e = interaction(tenant, customerId, n, {
        text,
        occurredAt: at(1 + n, customerId === 'k2' ? 8 : 12),
        recordedAt: at(10 + n),
        ...(n === 2 ? { threadId: 'T-9' } : {}),
      });
      return [
        {
          tenantId: tenant,
          customerId,
          timelineCustomerId: customerId,
          eventId: e.metadata.eventId,
          streamRevision: String(n + 1),
          occurredAt: e.metadata.occurredAt,
          // Recorded without saying where occurredAt came from (as before adapters said): unknown.
          occurredAtSource: null,
          recordedAt: e.metadata.recordedAt,
          channel: 'sms',
          threadId: n === 2 ? 'T-9' : null,
          direction: e.data.direction,
          kind: 'message',
          text,
          media: e.data.content.media,
          provider: { name: 'twilio', messageId: e.data.provider.messageId },
          details: null,
          // Never edited: the export carries each entry's edit history (docs/events.md, Edits).
          edited: null,
        },
      ];
    }),
  );
}

describe('hub export', () => {
  it('writes NDJSON that parses back to the rows, across keyset pages', async () => {
    const r = await runCli(['export', '--tenant', tenant, '--format', 'ndjson', '--page-size', '4'], world.env);
    expect({ code: r.code, stderr: r.stderr }).toMatchObject({ code: 0 });
    expect(r.stdout.endsWith('\n')).toBe(true);
    const rows = r.stdout
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as TimelineRow);
    expect(rows).toEqual(expectedRows());
    expect(r.stderr).toContain(`export: ${3 * TEXTS.length} rows`);
  });

  it('writes CSV that parses back to the rows: quoted separators, quotes and line breaks, formulas neutralised', async () => {
    const r = await runCli(['export', '--tenant', tenant, '--format', 'csv', '--page-size', '5'], world.env);
    expect({ code: r.code, stderr: r.stderr }).toMatchObject({ code: 0 });
    const [header, ...rows] = parseCsv(r.stdout);
    expect(header).toEqual([...CSV_COLUMNS]);
    const guard = (s: string | null) => (s === null ? '' : /^[=+\-@\t\r]/.test(s) ? `'${s}` : s);
    expect(rows).toEqual(
      expectedRows().map((e) => [
        e.eventId,
        e.timelineCustomerId,
        e.customerId,
        e.occurredAt,
        e.recordedAt,
        e.channel,
        e.threadId ?? '',
        e.direction,
        e.kind,
        guard(e.text),
        e.media.length ? JSON.stringify(e.media) : '',
        e.provider.name,
        e.provider.messageId,
        e.streamRevision,
        '',
        '',
        '',
      ]),
    );
    const texts = rows.map((row) => row[CSV_COLUMNS.indexOf('text')]);
    expect(texts).toContain('a, b and "c"\nsecond line\r\nthird');
    expect(texts).toContain(`'=HYPERLINK("http://evil.example","click")`);
    expect(texts).toContain("'-5");
  });

  it('leaves formulas alone with --no-formula-guard', async () => {
    const r = await runCli(['export', '--tenant', tenant, '--customers', 'k1', '--format', 'csv', '--no-formula-guard'], world.env);
    const texts = parseCsv(r.stdout)
      .slice(1)
      .map((row) => row[CSV_COLUMNS.indexOf('text')]);
    expect(texts).toContain('=HYPERLINK("http://evil.example","click")');
  });

  it('selects customers and an occurred_at window [from, to)', async () => {
    const r = await runCli(
      [
        'export',
        '--tenant',
        tenant,
        '--customers',
        'k3,k1',
        '--from',
        at(3, 12),
        '--to',
        at(6, 12),
        '--format',
        'ndjson',
        '--page-size',
        '1',
      ],
      world.env,
    );
    expect({ code: r.code, stderr: r.stderr }).toMatchObject({ code: 0 });
    const rows = r.stdout
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as TimelineRow);
    expect(rows).toEqual(expectedRows(['k1', 'k3'], (n) => n >= 2 && n < 5));
  });

  it('selects a recorded_at window [recorded-from, recorded-to) apart from the occurred_at one', async () => {
    // Entry n happened on day 1 + n and was recorded on day 10 + n: the same dates select different entries.
    const recorded = await runCli(
      ['export', '--tenant', tenant, '--customers', 'k1', '--recorded-from', at(12), '--recorded-to', at(15), '--format', 'ndjson'],
      world.env,
    );
    expect({ code: recorded.code, stderr: recorded.stderr }).toMatchObject({ code: 0 });
    expect(
      recorded.stdout
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line) as TimelineRow),
    ).toEqual(expectedRows(['k1'], (n) => n >= 2 && n < 5));
    const occurred = await runCli(
      ['export', '--tenant', tenant, '--customers', 'k1', '--from', at(12), '--to', at(15), '--format', 'ndjson'],
      world.env,
    );
    expect({ code: occurred.code, stdout: occurred.stdout }).toEqual({ code: 0, stdout: '' });
  });

  it('writes the columns docs/operations.md documents, in that order (CSV), and the same fields as NDJSON', async () => {
    const doc = readFileSync(join(__dirname, '../../../../docs/operations.md'), 'utf8');
    const listed = /<!-- export-columns -->\s*`([^`]+)`\s*<!-- \/export-columns -->/.exec(doc);
    expect(listed).not.toBeNull();
    const documented = listed![1]!.split(',').map((c) => c.trim());
    const csv = await runCli(['export', '--tenant', tenant, '--format', 'csv'], world.env);
    expect(parseCsv(csv.stdout)[0]).toEqual(documented);
    const ndjson = await runCli(['export', '--tenant', tenant, '--format', 'ndjson'], world.env);
    const first = JSON.parse(ndjson.stdout.split('\n')[0]!) as Record<string, unknown>;
    expect(Object.keys(first).sort()).toEqual([...documented.filter((c) => !c.startsWith('provider')), 'provider', 'tenantId'].sort());
  });

  it('with --bom starts the CSV with a UTF-8 byte order mark (and only the CSV)', async () => {
    const r = await runCli(['export', '--tenant', tenant, '--format', 'csv', '--bom'], world.env);
    expect(r.code).toBe(0);
    expect(r.stdout.startsWith(`\ufeff${CSV_COLUMNS.join(',')}\r\n`)).toBe(true);
    expect((await runCli(['export', '--tenant', tenant, '--format', 'csv'], world.env)).stdout.startsWith('eventId,')).toBe(true);
    expect((await runCli(['export', '--tenant', tenant, '--format', 'ndjson', '--bom'], world.env)).code).toBe(2);
  });

  it('prints nothing but the header when the selection has no rows', async () => {
    const r = await runCli(['export', '--tenant', tenant, '--from', '2031-01-01T00:00:00Z', '--format', 'csv'], world.env);
    expect({ code: r.code, stderr: r.stderr }).toMatchObject({ code: 0 });
    expect(r.stdout).toBe(`${CSV_COLUMNS.join(',')}\r\n`);
  });

  it('exits 1 for a tenant with no events, naming it: a typo is not an empty export', async () => {
    const none = freshId('none').toLowerCase();
    const r = await runCli(['export', '--tenant', none, '--format', 'csv'], world.env);
    expect({ code: r.code, stdout: r.stdout }).toEqual({ code: 1, stdout: '' });
    expect(r.stderr).toContain(`tenant "${none}" has no events`);
  });

  it.each([
    [['export', '--format', 'csv'], '--tenant is required'],
    [['export', '--tenant', 't'], '--format is required'],
    [['export', '--tenant', 't', '--format', 'xlsx'], '--format must be one of ndjson, csv'],
    [['export', '--tenant', 't', '--format', 'csv', '--from', '2025-03-02', '--to', '2025-03-01'], '--from must be before --to'],
    [['export', '--tenant', 't', '--format', 'csv', '--from', '2025-03-01T10:00'], 'with a zone'],
    [
      ['export', '--tenant', 't', '--format', 'csv', '--recorded-from', '2025-03-01T10:00'],
      '--recorded-from must be an ISO 8601 date or date-time with a zone',
    ],
    [
      ['export', '--tenant', 't', '--format', 'csv', '--recorded-from', '2025-03-02', '--recorded-to', '2025-03-01'],
      '--recorded-from must be before --recorded-to',
    ],
  ])('%j exits 2: %s', async (argv, message) => {
    const r = await runCli(argv, world.env);
    expect({ code: r.code, stderr: r.stderr }).toMatchObject({ code: 2 });
    expect(r.stderr).toContain(message);
  });
});
