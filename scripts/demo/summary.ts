import { STATUS_CODES } from 'node:http';
import { CHANNEL_IDS, type IngestChannelId } from '@hub/contracts';
import type { Delivered } from './sender';

/**
 * The end-of-day summary, from measurements only: what each request got back, what the ingestion
 * apps counted, what the event store and the timeline hold, what the query API says about
 * customers. Pure: the demo measures, these functions count and print.
 */

export interface ChannelSummary {
  channel: IngestChannelId;
  sent: number;
  /** Counted by the ingestion app (`accepted` in /metrics). */
  accepted: number;
  /** Planned provider retries sent. */
  retriesSent: number;
  /** Event ids acknowledged, counting repeats (a retry acknowledges its original's ids again). */
  acknowledgedIds: number;
  /** Distinct event ids acknowledged. */
  distinctIds: number;
  /** Of the distinct ids, how many the event store holds (event ids are unique there: at most once each). */
  stored: number;
  /** Of the distinct ids, how many are on a timeline. */
  onTimeline: number;
  /** Acknowledged deliveries of ids acknowledged before, that stored nothing new (only counted when nothing is missing). */
  deduplicated: number;
  /** Refusals as the provider saw them, `<status> <reason code of the answer>` (`401 signature_invalid`, `400 validation_failed`…). */
  refusedByAnswer: Record<string, number>;
  /** Dead-lettered requests by code, as the app counted them (`/metrics` `dead_lettered.*`: Firehose is answered 200 either way). */
  deadLettered: Record<string, number>;
  /** Refusals the app counted (`/metrics` `rejected.*`), to cross-check with what the provider saw. */
  appRefusals: number;
  /** HTTP statuses the provider saw. */
  statuses: Record<string, number>;
  /** Fields named by 400 answers. */
  fields: Record<string, number>;
  /** Provider retries after 429 / 503. */
  busyRetries: number;
}

export interface Measurements {
  delivered: readonly Delivered[];
  /** The event ids a delivery was acknowledged with (from its answer; Firehose answers without them). */
  eventIdsOf: (d: Delivered) => readonly string[];
  stored: ReadonlySet<string>;
  onTimeline: ReadonlySet<string>;
  /** Each ingestion app's /metrics counters. */
  metrics: Partial<Record<IngestChannelId, Record<string, number>>>;
}

const inc = (m: Record<string, number>, key: string, by = 1) => {
  m[key] = (m[key] ?? 0) + by;
};

const asCode = (name: string): string =>
  name
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_|_$/g, '');

/**
 * The reason code of a refusal's answer: the hub's `reason` or `error` code, else the HTTP
 * framework's error name, else the status's own name, as a code (`Payload Too Large` → `payload_too_large`).
 */
export function answerReason(body: unknown, status: number): string {
  const b = (typeof body === 'object' && body !== null ? body : {}) as { reason?: unknown; error?: unknown; code?: unknown };
  const code = [b.reason, b.code, b.error].find((v): v is string => typeof v === 'string' && /^[A-Za-z_][A-Za-z0-9_.]*$/.test(v));
  if (code) return code;
  if (typeof b.error === 'string' && b.error.trim() !== '') return asCode(b.error);
  return STATUS_CODES[status] ? asCode(STATUS_CODES[status]) : `http_${status}`;
}

export function summarizeChannels({ delivered, eventIdsOf, stored, onTimeline, metrics }: Measurements): ChannelSummary[] {
  return CHANNEL_IDS.map((channel) => {
    const mine = delivered.filter((d) => d.request.channel === channel);
    const ids = mine.filter((d) => d.status >= 200 && d.status < 300).flatMap((d) => eventIdsOf(d));
    const distinct = new Set(ids);
    const storedCount = [...distinct].filter((id) => stored.has(id)).length;
    const statuses: Record<string, number> = {};
    const fields: Record<string, number> = {};
    const refusedByAnswer: Record<string, number> = {};
    for (const d of mine) {
      inc(statuses, String(d.status));
      if (d.status >= 400 || d.status === 0) inc(refusedByAnswer, `${d.status} ${answerReason(d.body, d.status)}`);
      const named = (d.body as { fields?: { field: string }[] } | null)?.fields;
      if (d.status === 400 && Array.isArray(named)) for (const f of named) inc(fields, f.field);
    }
    const counters = metrics[channel] ?? {};
    const prefixed = (prefix: string) =>
      Object.fromEntries(
        Object.entries(counters).flatMap(([k, v]) => (k.startsWith(prefix) && v > 0 ? [[k.slice(prefix.length), v]] : [])),
      );
    return {
      channel,
      sent: mine.length,
      accepted: counters['accepted'] ?? 0,
      retriesSent: mine.filter((d) => d.request.expect === 'redelivery').length,
      acknowledgedIds: ids.length,
      distinctIds: distinct.size,
      stored: storedCount,
      onTimeline: [...distinct].filter((id) => onTimeline.has(id)).length,
      deduplicated: storedCount === distinct.size ? ids.length - distinct.size : 0,
      refusedByAnswer,
      deadLettered: prefixed('dead_lettered.'),
      appRefusals: Object.values(prefixed('rejected.')).reduce((a, b) => a + b, 0),
      statuses,
      fields,
      busyRetries: mine.reduce((s, d) => s + d.retriedAfterBusy, 0),
    };
  });
}

export interface CustomerListing {
  customerId: string;
  interactions: number;
  channels: string[];
  identities: { kind: string; namespace?: string; value: string }[];
  quadrant?: string | null;
}

export interface Recognition {
  customers: number;
  /** Customers whose timeline spans two channels or more (three or more). */
  multiChannel: number;
  threePlus: number;
  /** Customers holding more than one identity, and the identities beyond each customer's first. */
  withLinked: number;
  linkedIdentities: number;
  /** Identities held, by kind (`phone`, `email`, `handle:telegram`, `external:shopify`…). */
  identityKinds: Record<string, number>;
  /** The most common channel combinations of multi-channel customers. */
  combinations: [string, number][];
}

export function recognition(customers: readonly CustomerListing[]): Recognition {
  const identityKinds: Record<string, number> = {};
  const combos: Record<string, number> = {};
  for (const c of customers) {
    for (const i of c.identities) inc(identityKinds, i.namespace ? `${i.kind}:${i.namespace}` : i.kind);
    if (c.channels.length >= 2) inc(combos, [...c.channels].sort().join('+'));
  }
  return {
    customers: customers.length,
    multiChannel: customers.filter((c) => c.channels.length >= 2).length,
    threePlus: customers.filter((c) => c.channels.length >= 3).length,
    withLinked: customers.filter((c) => c.identities.length > 1).length,
    linkedIdentities: customers.reduce((s, c) => s + Math.max(0, c.identities.length - 1), 0),
    identityKinds,
    combinations: Object.entries(combos)
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
      .slice(0, 5),
  };
}

export interface PeopleRecognition {
  /** People of the plan who reached the company, and those of them who used 2+ channels. */
  people: number;
  multiChannel: number;
  /** Multi-channel people whose every interaction is on one customer's timeline. */
  oneCustomer: number;
  /** Multi-channel people spread over several customers, by how many. */
  splitInto: Record<string, number>;
}

/**
 * Which customers the hub put each person's interactions under: the plan knows who is who, the
 * timeline says where their events went. A person is recognised across channels when all of their
 * interactions are on one customer.
 */
export function peopleRecognition(
  interactions: readonly { personId: string; channel: string; eventIds: readonly string[] }[],
  customerOf: ReadonlyMap<string, string>,
): PeopleRecognition {
  const people = new Map<string, { channels: Set<string>; customers: Set<string> }>();
  for (const i of interactions) {
    const p = people.get(i.personId) ?? { channels: new Set(), customers: new Set() };
    p.channels.add(i.channel);
    for (const id of i.eventIds) {
      const customer = customerOf.get(id);
      if (customer) p.customers.add(customer);
    }
    people.set(i.personId, p);
  }
  const multi = [...people.values()].filter((p) => p.channels.size >= 2);
  const splitInto: Record<string, number> = {};
  for (const p of multi) if (p.customers.size > 1) inc(splitInto, String(p.customers.size));
  return { people: people.size, multiChannel: multi.length, oneCustomer: multi.filter((p) => p.customers.size === 1).length, splitInto };
}

export interface Palette {
  dim: string;
  bold: string;
  red: string;
  green: string;
  yellow: string;
  cyan: string;
  reset: string;
}

const n = (v: number): string => (v === 0 ? '·' : v.toLocaleString('en-US'));

const sum = (m: Record<string, number>): number => Object.values(m).reduce((a, b) => a + b, 0);

/** The per-channel table, as lines. */
export function renderChannelTable(rows: readonly ChannelSummary[], c: Palette): string[] {
  const columns: [string, (r: ChannelSummary) => number][] = [
    ['sent', (r) => r.sent],
    ['accepted', (r) => r.accepted],
    ['deduplicated', (r) => r.deduplicated],
    ['stored', (r) => r.stored],
    ['401', (r) => r.statuses['401'] ?? 0],
    ['400', (r) => r.statuses['400'] ?? 0],
    ['413', (r) => r.statuses['413'] ?? 0],
    ['dead-lettered', (r) => sum(r.deadLettered)],
  ];
  const width = (h: string) => Math.max(9, h.length + 2);
  const header = `  ${'channel'.padEnd(10)}${columns.map(([h]) => h.padStart(width(h))).join('')}`;
  const line = (name: string, values: number[], style = '') =>
    `  ${style}${name.padEnd(10)}${values.map((v, i) => n(v).padStart(width(columns[i]![0]))).join('')}${style ? c.reset : ''}`;
  const values = rows.map((r) => columns.map(([, f]) => f(r)));
  const totals = columns.map((_, i) => values.reduce((s, v) => s + v[i]!, 0));
  return [`${c.dim}${header}${c.reset}`, ...rows.map((r, i) => line(r.channel, values[i]!)), line('total', totals, c.bold)];
}

/** Every refusal and dead-letter by reason code, with where it came from; a note when the apps counted fewer than the providers saw. */
export function renderReasons(rows: readonly ChannelSummary[], c: Palette): string[] {
  const byCode = new Map<string, Record<string, number>>();
  const add = (code: string, channel: string, count: number) => {
    const entry = byCode.get(code) ?? {};
    inc(entry, channel, count);
    byCode.set(code, entry);
  };
  for (const r of rows) {
    for (const [code, count] of Object.entries(r.refusedByAnswer)) add(code, r.channel, count);
    for (const [code, count] of Object.entries(r.deadLettered)) add(`dead-lettered ${code}`, r.channel, count);
  }
  const fields = rows.flatMap((r) => Object.entries(r.fields).map(([f, v]) => `${r.channel}:${f}${v > 1 ? ` ×${v}` : ''}`));
  const lines = [...byCode.entries()]
    .map(([code, channels]) => ({ code, channels, count: sum(channels) }))
    .sort((a, b) => b.count - a.count || a.code.localeCompare(b.code))
    .map(({ code, channels, count }) => {
      const where = Object.entries(channels)
        .map(([ch, v]) => `${ch} ${v}`)
        .join(', ');
      return `  ${code.padEnd(40)} ${String(count).padStart(4)}  ${c.dim}${where}${c.reset}`;
    });
  if (fields.length > 0) lines.push(`  ${c.dim}fields the 400s named: ${fields.join(', ')}${c.reset}`);
  const seen = rows.reduce((s, r) => s + sum(r.refusedByAnswer), 0);
  const counted = rows.reduce((s, r) => s + r.appRefusals, 0);
  if (counted !== seen) {
    lines.push(
      `  ${c.yellow}the ingestion apps' /metrics count ${counted} refusals of the ${seen} the providers were answered (a body over the app's own limit is refused by Fastify before the webhook controller counts it)${c.reset}`,
    );
  }
  return lines;
}

export interface PaceInput {
  requests: number;
  concurrency: number;
  /** When the first request was sent and when the last answer came, ms since the epoch (this machine's clock). */
  sendStartedAt: number;
  sendEndedAt: number;
  /** Acknowledged interactions found in the store. */
  recorded: number;
  /** The store's `created_at` of the first and last of them, and of the tenant's last decision (same clock). */
  firstStored?: number;
  lastStored?: number;
  lastDecision?: number;
}

/**
 * The pace the hub kept: how fast the day was sent, the rate it was recorded at from the first send
 * (what the hub sustained, not what the edge accepted), and how far the store and the decisions were
 * behind the last send when the day ended.
 */
export function renderPace(p: PaceInput): string[] {
  const count = (v: number): string => v.toLocaleString('en-US');
  const s = (ms: number) => `${(Math.max(0, ms) / 1000).toFixed(1)} s`;
  const sendMs = Math.max(1, p.sendEndedAt - p.sendStartedAt);
  const lines = [
    `sent ${count(p.requests)} requests in ${s(sendMs)}: ${count(Math.round((p.requests / sendMs) * 1000))}/s with ${p.concurrency} in flight`,
  ];
  if (p.lastStored === undefined) return [...lines, 'nothing recorded'];
  const recordMs = Math.max(1, p.lastStored - p.sendStartedAt);
  lines.push(
    `recorded ${count(p.recorded)} interactions in ${s(recordMs)} from the first send: ${count(Math.round((p.recorded / recordMs) * 1000))}/s sustained; ` +
      `the last stored ${s(p.lastStored - p.sendEndedAt)} after the last send`,
  );
  lines.push(
    p.lastDecision === undefined
      ? 'no decision recorded'
      : `decisions: the last one ${s(p.lastDecision - p.sendEndedAt)} after the last send`,
  );
  return lines;
}
