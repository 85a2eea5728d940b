/* The demo: every app as its own process, a realistic mixed-channel day streamed through the real
 * ingestion apps (signed as each provider signs), then what the hub made of it — measured — and a
 * few customers' cross-channel timelines and next best actions as the query API serves them.
 *
 *   npm run demo [-- --once] [--interactions 3000] [--customers 300] [--seed demo] [--concurrency 16] [--tenant=<id>] [--keep-data]
 */
import { createHash, randomBytes, randomInt } from 'node:crypto';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';
import { CONFORMANCE_BASE_URL } from '@hub/channels-core/testing';
import { CHANNEL_TEST_SETUPS } from '@hub/channel-registry/testing';
import { TEST_WHATSAPP_METADATA } from '@hub/channels-meta/testing';
import { FakeWhatsApp } from '@hub/deliver-outbound/testing';
import { CHANNEL_IDS, hubNames } from '@hub/contracts';
import { ensureConsoleBuilt, startAppProcess, type AppProcess, type HubAppName } from '@hub/testing';
import { startApps } from './demo/apps';
import { closeTheLoop } from './demo/loop';
import { channelsWithoutDemoBuilders } from './demo/builders';
import { planDay, type DayPlan } from './demo/day-plan';
import { acknowledgedEventIds, DemoDatabase, ingestMetrics, listCustomers } from './demo/measure';
import { ProgressReporter } from './demo/progress';
import { buildRequests, type DemoRequest } from './demo/requests';
import { clientQuickstartCommand, signedSmsCurl } from './demo/try-it';
import { sendAll, type Delivered } from './demo/sender';
import { renderCustomer, type CustomerSummary, type NextBestActions, type TimelineEntry } from './demo/show';
import {
  peopleRecognition,
  recognition,
  renderChannelTable,
  renderPace,
  renderReasons,
  summarizeChannels,
  type Palette,
} from './demo/summary';

// ---------------------------------------------------------------------------------------------
// Options
// ---------------------------------------------------------------------------------------------

const argv = process.argv.slice(2);
function arg(name: string): string | undefined {
  const i = argv.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  if (i < 0) return undefined;
  const a = argv[i]!;
  return a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[i + 1];
}
function intArg(name: string, fallback: number, min: number): number {
  const raw = arg(name);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be a whole number ≥ ${min}, got ${raw}`);
  return n;
}

const once = argv.includes('--once');
const keepData = argv.includes('--keep-data');
const interactions = intArg('interactions', 3000, 20);
const customers = intArg('customers', Math.max(10, Math.round(interactions / 10)), 10);
const concurrency = intArg('concurrency', 16, 1);
const seed = arg('seed') ?? 'demo';
const runId = new Date().toISOString().replace(/\D/g, '').slice(0, 14);
const tenant = arg('tenant') ?? `demo-${runId}`;
/** Kafka topics and BullMQ queues of this run only: nothing else on the cluster sees them. */
const namespace = `demo-${runId}`;
/** The query API key for the demo tenant; the query API is configured with its SHA-256 only. */
const API_KEY = process.env['HUB_DEMO_API_KEY'] ?? randomBytes(24).toString('base64url');
/** An operator key (HUB_ADMIN_API_KEYS): what a replay over the API needs. */
const OPERATOR_KEY = process.env['HUB_DEMO_OPERATOR_KEY'] ?? randomBytes(24).toString('base64url');
const apiHeaders = { authorization: `Bearer ${API_KEY}` };
/** The source key of the generic ingest API (a platform `demo` sending for the tenant), for @hub/client's quickstart. */
const SOURCE_KEY = process.env['HUB_DEMO_SOURCE_KEY'] ?? randomBytes(24).toString('base64url');
const baseDatabaseUrl = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/hub';
/** A database of the run's own: event ids are unique in a store, and the summary counts what this run stored. */
const databaseName = `hub_demo_${runId}`;
const databaseUrl = Object.assign(new URL(baseDatabaseUrl), { pathname: `/${databaseName}` }).href;

const plain: Palette = { dim: '', bold: '', red: '', green: '', yellow: '', cyan: '', reset: '' };
const color: Palette = process.stdout.isTTY
  ? { dim: '\x1b[2m', bold: '\x1b[1m', red: '\x1b[31m', green: '\x1b[32m', yellow: '\x1b[33m', cyan: '\x1b[36m', reset: '\x1b[0m' }
  : plain;
const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
const count = (n: number): string => n.toLocaleString('en-US');

// ---------------------------------------------------------------------------------------------
// Infrastructure of the run: a database, apps, and cleaning up after them
// ---------------------------------------------------------------------------------------------

async function admin<T>(sql: string): Promise<T | undefined> {
  const c = new Client({ connectionString: Object.assign(new URL(baseDatabaseUrl), { pathname: '/postgres' }).href });
  await c.connect();
  try {
    return (await c.query(sql)) as T;
  } finally {
    await c.end();
  }
}

function appEnv(name: HubAppName): NodeJS.ProcessEnv {
  const base = {
    DATABASE_URL: databaseUrl,
    REDIS_URL: process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379',
    KAFKA_BROKERS: process.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092',
    HUB_NAMESPACE: namespace,
    TENANT_ID: tenant,
    // The demo's one key may do everything the query API offers (merge, outcomes, erasure), to try them all.
    HUB_API_KEYS: `${tenant}:${createHash('sha256').update(API_KEY).digest('hex')}:read+write+erase`,
    HUB_ADMIN_API_KEYS: `demo-operator:${createHash('sha256').update(OPERATOR_KEY).digest('hex')}`,
    // The public URL the providers call and sign (the channels' test setups sign for it).
    PUBLIC_BASE_URL: CONFORMANCE_BASE_URL,
    PORT: '0',
    LOG_LEVEL: 'info',
  };
  // A channel's ingestion app (`ingest-api`, the generic API, is none: it takes source keys, not provider secrets).
  const channel = CHANNEL_IDS.find((c) => name === `ingest-${c}`);
  // Each ingestion app gets its providers' secrets, as the test setups configure them.
  return channel ? Object.assign(base, ...CHANNEL_TEST_SETUPS[channel].map((s) => s.env)) : base;
}

const apps = new Map<HubAppName, AppProcess>();
/** What else the run started (the provider stand-ins), closed once the apps are stopped. */
const cleanUps: (() => Promise<void>)[] = [];
let cleanedUp = false;
async function cleanUp(): Promise<void> {
  if (cleanedUp) return;
  cleanedUp = true;
  await Promise.all([...apps.values()].map((a) => a.stop()));
  await Promise.all(cleanUps.map((c) => c().catch(() => undefined)));
  if (keepData) {
    console.log(`${color.dim}kept database ${databaseName} and Kafka topics ${namespace}.*${color.reset}`);
    return;
  }
  await admin(`drop database if exists "${databaseName}" with (force)`).catch((err: unknown) =>
    console.error(`could not drop ${databaseName}: ${String(err)}`),
  );
  const kafka = new Kafka({ clientId: 'hub-demo', brokers: appEnv('query-api')['KAFKA_BROKERS']!.split(','), logLevel: logLevel.NOTHING });
  const kafkaAdmin = kafka.admin();
  await kafkaAdmin
    .connect()
    .then(() => kafkaAdmin.deleteTopics({ topics: Object.values(hubNames(namespace).topics) }))
    .catch(() => undefined)
    .finally(() => kafkaAdmin.disconnect().catch(() => undefined));
}

// ---------------------------------------------------------------------------------------------
// The day
// ---------------------------------------------------------------------------------------------

function describePlan(plan: DayPlan, requests: readonly DemoRequest[]): string {
  const by = (e: DemoRequest['expect']) => requests.filter((r) => r.expect === e).length;
  const channelsOf = new Map<string, Set<string>>();
  for (const r of requests)
    if (r.expect === 'accepted') channelsOf.set(r.personId, (channelsOf.get(r.personId) ?? new Set()).add(r.channel));
  const multi = [...channelsOf.values()].filter((s) => s.size >= 2).length;
  return (
    `${count(by('accepted'))} interactions from ${count(channelsOf.size)} people (${count(multi)} on 2+ channels) between ${plan.options.start.slice(11, 16)} and ${plan.options.end.slice(11, 16)} UTC, ` +
    `plus ${by('redelivery')} provider retries, ${by('forged')} forged, ${by('malformed')} malformed, ${by('unmappable')} unmappable, ${by('oversized')} oversized = ${count(requests.length)} requests`
  );
}

async function waitForProjection(
  db: DemoDatabase,
  expected: readonly string[],
): Promise<{ ms: number; missing: number; awaiting: number }> {
  const progress = new ProgressReporter(process.stdout, 'recording ', expected.length);
  const deadline = Date.now() + 150_000;
  for (;;) {
    const [seen, awaiting] = await Promise.all([db.onTimeline(tenant, expected), db.awaitingDecision(tenant)]);
    const detail = `on timelines · ${awaiting < 0 ? '?' : awaiting} customers awaiting a decision`;
    if ((seen.size === expected.length && awaiting === 0) || Date.now() > deadline) {
      const ms = progress.finish(seen.size, detail);
      return { ms, missing: expected.length - seen.size, awaiting };
    }
    progress.update(seen.size, detail);
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function get<T>(queryUrl: string, path: string): Promise<T | undefined> {
  const res = await fetch(`${queryUrl}/tenants/${tenant}${path}`, { headers: apiHeaders });
  return res.ok ? ((await res.json()) as T) : undefined;
}

async function customerView(
  queryUrl: string,
  customerId: string,
): Promise<{ summary: CustomerSummary; entries: TimelineEntry[]; nba: NextBestActions } | undefined> {
  const [summary, timeline, nba] = await Promise.all([
    get<CustomerSummary>(queryUrl, `/customers/${customerId}`),
    get<{ entries: TimelineEntry[] }>(queryUrl, `/customers/${customerId}/timeline?limit=500`),
    get<NextBestActions>(queryUrl, `/customers/${customerId}/next-best-actions`),
  ]);
  return summary && timeline && nba ? { summary, entries: timeline.entries, nba } : undefined;
}

async function main(): Promise<void> {
  const started = Date.now();
  const logDir = join(__dirname, '..', '.run', 'logs', `demo-${runId}`);
  // The day: the ten hours before now, so every provider's own timestamps are in the past.
  const end = new Date(Math.floor(Date.now() / 60_000) * 60_000 - 60_000);
  const plan = planDay({
    seed,
    interactions,
    customers,
    start: new Date(end.getTime() - 10 * 3_600_000).toISOString(),
    end: end.toISOString(),
  });
  const requests = buildRequests(plan);
  console.log(
    `${color.bold}Interaction Hub demo${color.reset}  tenant ${tenant}  seed ${JSON.stringify(seed)}  database ${databaseName}  logs ${logDir}`,
  );
  console.log(`${color.dim}the day: ${describePlan(plan, requests)}${color.reset}`);
  const leftOut = channelsWithoutDemoBuilders(CHANNEL_IDS);
  if (leftOut.length > 0)
    console.log(`${color.dim}left out of the day (no demo builder in scripts/demo/builders/): ${leftOut.join(', ')}${color.reset}`);

  process.once('SIGINT', () => {
    console.log('\nstopping…');
    void cleanUp().then(() => process.exit(130));
  });

  await admin(`create database "${databaseName}"`);
  // The analysts' console, which the query API serves at /console/ (built by Vite when missing or stale).
  await ensureConsoleBuilt({ log: (line) => console.log(`${color.dim}${line}${color.reset}`) });
  const names: HubAppName[] = ['timeline-projector', 'nba-worker', 'query-api', ...CHANNEL_IDS.map((c): HubAppName => `ingest-${c}`)];
  const booting = new ProgressReporter(process.stdout, 'apps      ', names.length);
  booting.update(0, 'starting, three at a time');
  await startApps(names, appEnv, {
    logDir,
    parallel: 3,
    onStarted: (app, up) => {
      apps.set(app.name, app);
      booting.update(up, `${app.name} up`);
    },
  });
  const bootMs = booting.finish(apps.size, 'all serving');
  const query = apps.get('query-api')!;

  // Send the day, in time order, `concurrency` requests in flight.
  const statusCounts: Record<string, number> = {};
  const sending = new ProgressReporter(process.stdout, 'sending   ', requests.length);
  const sendStartedAt = Date.now();
  const delivered = await sendAll(requests, {
    concurrency,
    baseUrlOf: (r) => apps.get(`ingest-${r.channel}`)!.url!,
    onDelivered: (d, done) => {
      statusCounts[d.status] = (statusCounts[d.status] ?? 0) + 1;
      sending.update(
        done,
        Object.entries(statusCounts)
          .map(([s, n]) => `${s}×${n}`)
          .join(' '),
      );
    },
  });
  const sendMs = sending.finish(
    delivered.length,
    Object.entries(statusCounts)
      .map(([s, n]) => `${s}×${n}`)
      .join(' '),
  );
  const sendEndedAt = Date.now();

  // Wait until every acknowledged interaction is on a timeline and every customer has a decision on their latest.
  const idsOf = await acknowledgedEventIds(delivered, tenant);
  const expected = [...new Set([...idsOf.values()].flat())];
  const db = new DemoDatabase(databaseUrl);
  const waited = await waitForProjection(db, expected);
  if (waited.missing > 0 || waited.awaiting !== 0) {
    console.log(
      `${color.red}timed out: ${waited.missing} interactions not on a timeline, ${waited.awaiting} customers without a decision on their latest interaction${color.reset}`,
    );
  }

  // Measure.
  const [pace, stored, onTimeline, customerOf, listing, metricsList] = await Promise.all([
    db.pace(tenant, expected),
    db.stored(expected),
    db.onTimeline(tenant, expected),
    db.customerOfEvents(tenant, expected),
    listCustomers(query.url!, tenant, apiHeaders),
    Promise.all(CHANNEL_IDS.map(async (c) => [c, await ingestMetrics(apps.get(`ingest-${c}`)!.url!)] as const)),
  ]);
  await db.close();
  const rows = summarizeChannels({
    delivered,
    eventIdsOf: (d: Delivered) => idsOf.get(d) ?? [],
    stored,
    onTimeline,
    metrics: Object.fromEntries(metricsList),
  });
  const known = recognition(listing);
  const acknowledged = delivered
    .filter((d) => d.request.expect === 'accepted')
    .map((d) => ({ personId: d.request.personId, channel: d.request.channel, eventIds: idsOf.get(d) ?? [] }));
  const people = peopleRecognition(acknowledged, customerOf);
  /** The customers a person's interactions went to, the first one first. */
  const customersOfPerson = (personId: string): string[] => {
    const ids = acknowledged.filter((a) => a.personId === personId).flatMap((a) => a.eventIds);
    return [...new Set(ids.map((id) => customerOf.get(id)).filter((x): x is string => !!x))];
  };

  console.log(
    `\n${color.bold}What the hub made of the day${color.reset} ${color.dim}(measured: ingestion apps' /metrics, the event store, the timeline, the query API)${color.reset}`,
  );
  for (const line of renderChannelTable(rows, color)) console.log(line);
  const retries = rows.reduce((s, r) => s + r.retriesSent, 0);
  const distinct = rows.reduce((s, r) => s + r.distinctIds, 0);
  const storedTotal = rows.reduce((s, r) => s + r.stored, 0);
  const timelineTotal = rows.reduce((s, r) => s + r.onTimeline, 0);
  console.log(
    `  ${color.dim}deduplicated: acknowledged again (a provider retry, ${retries} sent) but stored nothing new — each of the ${count(distinct)} acknowledged event ids is in the event store ${storedTotal === distinct ? 'exactly once' : `only ${count(storedTotal)} times`} and ${timelineTotal === distinct ? 'on a timeline once' : `on timelines ${count(timelineTotal)} times`}${color.reset}`,
  );
  console.log(
    `${color.bold}Pace${color.reset} ${color.dim}(send times here; store times from hub_events.created_at, same clock)${color.reset}`,
  );
  for (const line of renderPace({ requests: delivered.length, concurrency, sendStartedAt, sendEndedAt, recorded: storedTotal, ...pace }))
    console.log(`  ${line}`);
  const busy = rows.reduce((s, r) => s + r.busyRetries, 0);
  if (busy > 0) console.log(`  ${color.yellow}${busy} deliveries were retried after 429/503 (Retry-After honoured)${color.reset}`);
  console.log(`${color.bold}Refused or dead-lettered, by reason code${color.reset}`);
  for (const line of renderReasons(rows, color)) console.log(line);
  console.log(`${color.bold}Customers recognised across channels${color.reset} ${color.dim}(query API)${color.reset}`);
  console.log(
    `  ${count(known.customers)} customers; ${count(known.multiChannel)} with a timeline spanning 2+ channels (${count(known.threePlus)} spanning 3+); ` +
      `${count(known.withLinked)} hold more than one identity: ${count(known.linkedIdentities)} identities linked beyond each customer's first`,
  );
  const split = Object.entries(people.splitInto)
    .map(([k, v]) => `${v} into ${k}`)
    .join(', ');
  console.log(
    `  ${count(people.people)} people of the plan reached us, ${count(people.multiChannel)} on 2+ channels: ${count(people.oneCustomer)} of them recognised as one customer across all their channels, ` +
      `the others split (${split || 'none'}) — phones, emails and platform ids meet only where one event carries two of them (an order, a survey link, a web-chat form, a Telegram contact)`,
  );
  console.log(
    `  ${color.dim}identities held: ${Object.entries(known.identityKinds)
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}${color.reset}`,
  );
  console.log(`  ${color.dim}most common channel mixes: ${known.combinations.map(([k, v]) => `${k} ${v}`).join(' · ')}${color.reset}`);

  // A few customers, as the query API serves them.
  console.log('');
  const maria = plan.people.find((p) => p.id === plan.cast.journey)!;
  const dmitri = plan.people.find((p) => p.id === plan.cast.atRisk)!;
  const mariaIds = customersOfPerson(maria.id);
  if (mariaIds.length === 1) {
    console.log(
      `  ${color.green}one person, one customer:${color.reset} her WhatsApp and texts started a customer keyed by her phone, her email another; her Shopify order carried both, ` +
        `and the merge policy (paid_order: merge at once) made them one — the phone now reaches her, and the timeline below is the merged one.\n`,
    );
  }
  for (const id of mariaIds) {
    const view = await customerView(query.url!, id);
    if (view)
      for (const line of renderCustomer(
        `${maria.firstName} ${maria.lastName} — email, text, WhatsApp, order, CSAT`,
        view.summary,
        view.entries,
        view.nba,
        color,
      ))
        console.log(line);
    console.log('');
  }
  if (mariaIds.length === 2) {
    const preview = await fetch(`${query.url!}/tenants/${tenant}/customers/merge-preview`, {
      method: 'POST',
      headers: { ...apiHeaders, 'content-type': 'application/json' },
      body: JSON.stringify({
        customerIds: mariaIds,
        evidence: {
          source: 'paid_order',
          detail: `Shopify order ${1000 + Number(maria.id.slice(1))} carries her email and phone`,
          identities: [
            { kind: 'email', value: maria.email },
            { kind: 'phone', value: maria.phone },
          ],
        },
      }),
    });
    const p = (await preview.json().catch(() => ({}))) as { decision?: string; reason?: string };
    console.log(
      `  ${color.yellow}one person, two customers:${color.reset} her texts and WhatsApps are keyed by her phone, her email, order and survey by her email (the order also carries her phone). ` +
        `Merge preview on the order's evidence: ${p.decision ?? preview.status}${p.reason ? ` — ${p.reason}` : ''}\n`,
    );
  }
  const [dmitriId] = customersOfPerson(dmitri.id);
  const dmitriView = dmitriId ? await customerView(query.url!, dmitriId) : undefined;
  if (dmitriView)
    for (const line of [
      ...renderCustomer(`${dmitri.firstName} ${dmitri.lastName} — at risk`, dmitriView.summary, dmitriView.entries, dmitriView.nba, color),
      '',
    ])
      console.log(line);
  // A visitor recognised by what they typed: a web-chat or Telegram customer holding a phone or email too, on the most channels.
  const linked = listing
    .filter(
      (c) =>
        c.identities.some((i) => i.namespace === 'webchat' || i.namespace === 'telegram') &&
        c.identities.some((i) => i.kind === 'email' || i.kind === 'phone') &&
        c.channels.length >= 2,
    )
    .sort((a, b) => b.channels.length - a.channels.length || b.interactions - a.interactions)[0];
  const linkedView = linked ? await customerView(query.url!, linked.customerId) : undefined;
  if (linkedView)
    for (const line of [
      ...renderCustomer(
        'A chat visitor the hub linked by the email or phone they gave',
        linkedView.summary,
        linkedView.entries,
        linkedView.nba,
        color,
        8,
      ),
      '',
    ])
      console.log(line);

  console.log(
    `${color.dim}(Twilio's SMS webhook carries no timestamp: SMS entries are stamped when the hub received them, now; every other provider says when it happened.)${color.reset}\n`,
  );
  const loopStartedAt = Date.now();
  for (const line of await closeLoop(logDir, query.url!)) console.log(line);
  const loopMs = Date.now() - loopStartedAt;
  console.log('');
  const totalMs = Date.now() - started;
  console.log(
    `${color.bold}Timings${color.reset}: apps up ${seconds(bootMs)} · sent ${count(requests.length)} requests in ${seconds(sendMs)} (${Math.round((requests.length / sendMs) * 1000)}/s, ${concurrency} in flight) · ` +
      `projected and decided ${seconds(waited.ms)} later · the loop ${seconds(loopMs)} · total ${seconds(totalMs)}`,
  );

  // The CLI reads the database of DATABASE_URL: without this line an analyst's `hub replay` reads another one.
  // NODE_ENV=development: the demo's apps name identities under the published development key (startAppProcess).
  const cliHint = `  NODE_ENV=development DATABASE_URL=${databaseUrl} npm run hub -- replay --diff --tenant ${tenant}`;
  if (once) {
    if (keepData) console.log(`\nThe database ${databaseName} is kept (--keep-data). The hub CLI reads it with:\n${cliHint}`);
    await cleanUp();
    return;
  }
  console.log(
    `\nServing (Ctrl-C to stop${keepData ? '' : `; the database ${databaseName} is dropped then, --keep-data keeps it`}). The query API needs the tenant's key (HUB_DEMO_API_KEY sets it). Try:`,
  );
  console.log(
    `  the analysts' console (docs/console.md): ${color.bold}${query.url}/console/${color.reset}  — sign in with tenant ${tenant} and key ${API_KEY}`,
  );
  console.log(`  curl -H 'Authorization: Bearer ${API_KEY}' '${query.url}/tenants/${tenant}/customers?limit=5'`);
  console.log(
    `  curl -H 'Authorization: Bearer ${API_KEY}' '${query.url}/tenants/${tenant}/customers?identity=phone:${encodeURIComponent(maria.phone)}'`,
  );
  if (dmitriId)
    console.log(`  curl -H 'Authorization: Bearer ${API_KEY}' ${query.url}/tenants/${tenant}/customers/${dmitriId}/next-best-actions`);
  console.log(
    `  curl -N -H 'Authorization: Bearer ${API_KEY}' ${query.url}/tenants/${tenant}/customers/${mariaIds[0] ?? '<customerId>'}/timeline/live`,
  );
  console.log(
    `  the console's Operations page (replays, dead letters, lag, queues): ${color.bold}${query.url}/console/#/operations${color.reset}  — sign in with the tenant left empty and the operator key ${OPERATOR_KEY}`,
  );
  console.log(
    `  every HTTP app documents itself (OpenAPI) at /docs, e.g. ${query.url}/docs and ${apps.get('ingest-sms')!.url!}/docs; each app also serves /metrics (Prometheus) and /health/live, /health/ready`,
  );
  console.log(`A replay over the API needs the operator key (HUB_DEMO_OPERATOR_KEY sets it):`);
  console.log(
    `  curl -i -X POST -H 'Authorization: Bearer ${OPERATOR_KEY}' -H 'Content-Type: application/json' -d '{"tenantId":"${tenant}","diff":true}' ${query.url}/replays`,
  );
  // One message with one MessageSid: sent again it is what a Twilio retry is — 202 with the same event id, stored once.
  console.log(
    `A customer texting the hub, signed as Twilio signs it (202 with its event id; sent again, it is a provider retry: the same event id, recorded once):`,
  );
  console.log(`  ${signedSmsCurl(apps.get('ingest-sms')!.url!, maria.phone, 'Hi again, any news on my order?')}`);
  console.log(`then see it on her timeline (the live stream above shows it as it arrives):`);
  console.log(
    `  curl -H 'Authorization: Bearer ${API_KEY}' '${query.url}/tenants/${tenant}/customers/${mariaIds[0] ?? '<customerId>'}/timeline?channel=sms'`,
  );
  console.log(`The hub CLI (docs/operations.md) reads this run's database when given its URL:\n${cliHint}`);
  await startGenericApi(logDir);
  await new Promise(() => undefined);
}

/**
 * The loop closed (scripts/demo/loop.ts): the outbound sender, started once the day is measured (so
 * it changes none of the figures above and sends none of the day's decisions: a new consumer group
 * starts at the decisions published from then on), sending on WhatsApp to a local stand-in for the
 * Cloud API; then three customers' questions, menus and taps.
 */
async function closeLoop(logDir: string, queryUrl: string): Promise<string[]> {
  const account = { phoneNumberId: TEST_WHATSAPP_METADATA.phone_number_id, accessToken: randomBytes(24).toString('base64url') };
  const whatsapp = await FakeWhatsApp.start(account);
  try {
    const outbound = await startAppProcess(
      'outbound',
      {
        ...appEnv('outbound'),
        OUTBOUND_CHANNELS: 'whatsapp',
        WHATSAPP_API_BASE_URL: whatsapp.url,
        WHATSAPP_PHONE_NUMBER_ID: account.phoneNumberId,
        WHATSAPP_ACCESS_TOKEN: account.accessToken,
      },
      { logDir },
    );
    apps.set('outbound', outbound);
    const waId = () => `1650555${String(randomInt(0, 10_000)).padStart(4, '0')}`;
    return await closeTheLoop({
      ingestWhatsappUrl: apps.get('ingest-whatsapp')!.url!,
      queryUrl,
      tenant,
      headers: apiHeaders,
      whatsapp,
      color,
      outcomesCacheMs: Number(appEnv('nba-worker')['NBA_OUTCOMES_CACHE_MS'] ?? 5_000),
      waIds: [waId(), waId(), waId()],
    });
  } finally {
    // The stand-in stays up while the demo serves: the sender may still answer a customer who writes.
    cleanUps.push(() => whatsapp.close());
  }
}

/**
 * The generic ingest API, for a platform's side of the hub through @hub/client: started only once
 * the day is measured and the demo serves, so it changes neither the boot nor the figures above.
 */
async function startGenericApi(logDir: string): Promise<void> {
  try {
    const api = await startAppProcess(
      'ingest-api',
      {
        ...appEnv('ingest-api'),
        INGEST_API_KEYS: `demo:${tenant}:${createHash('sha256').update(SOURCE_KEY).digest('hex')}`,
        INGEST_RAW_ENABLED: 'false',
      },
      { logDir },
    );
    apps.set('ingest-api', api);
    console.log(
      `A contact-center platform sending through the generic API with @hub/client (libs/shared/client/README.md): a new customer's events, a batch and facts, then the next best actions decided for them, each decision once (HUB_DEMO_SOURCE_KEY sets the key):`,
    );
    console.log(
      `  ${clientQuickstartCommand({ ingestApiUrl: api.url!, sourceKey: SOURCE_KEY, kafkaBrokers: appEnv('ingest-api')['KAFKA_BROKERS']!, namespace })}`,
    );
  } catch (err) {
    console.log(
      `${color.dim}(the generic ingest API did not start, so no @hub/client example: ${String(err).split('\n')[0]})${color.reset}`,
    );
  }
}

main().catch(async (err: unknown) => {
  console.error(err);
  await cleanUp().catch(() => undefined);
  process.exit(1);
});
