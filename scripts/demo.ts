/* The demo: every app as its own process, a realistic morning of SMS from several customers, then
 * each customer's timeline and next best action as the query API serves them. */
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { startAppProcess, type AppProcess } from '@hub/testing';
import { signedTwilioRequest, twilioSmsParams } from '@hub/channels-sms/testing';

const once = process.argv.includes('--once');
const tenantArg = process.argv.find((a) => a.startsWith('--tenant='));
const runId = new Date().toISOString().replace(/\D/g, '').slice(0, 14);
const tenant = tenantArg ? tenantArg.slice('--tenant='.length) : `demo-${runId}`;
const AUTH_TOKEN = process.env['TWILIO_AUTH_TOKEN'] ?? randomBytes(16).toString('hex');
const ACCOUNT_SID = `AC${randomBytes(16).toString('hex')}`;
/** The query API key for the demo tenant; the query API is configured with its SHA-256 only. */
const API_KEY = process.env['HUB_DEMO_API_KEY'] ?? randomBytes(24).toString('base64url');
const apiHeaders = { authorization: `Bearer ${API_KEY}` };
const OUR_NUMBER = '+14155550000';

const c = { dim: '\x1b[2m', bold: '\x1b[1m', red: '\x1b[31m', green: '\x1b[32m', yellow: '\x1b[33m', cyan: '\x1b[36m', reset: '\x1b[0m' };
const color = process.stdout.isTTY ? c : (Object.fromEntries(Object.keys(c).map((k) => [k, ''])) as typeof c);

type Step =
  | { kind: 'sms'; from: string; body: string; media?: { url: string; contentType: string }[]; resendOf?: number }
  | { kind: 'forged'; from: string; body: string }
  | { kind: 'malformed'; from: string; body: string; drop: string[]; set?: Record<string, string> }
  | { kind: 'unmappable'; from: string; body: string };

const alice = '+14155550101', bob = '+447400123456', carmen = '+34612345678', dmitri = '+14155550104';
const eve = '+14155550105', farid = '+971501234567', grace = '+61412345678', hiro = '+819012345678';

const SCRIPT: Step[] = [
  { kind: 'sms', from: alice, body: 'Hi, where is my order #4411? It was due yesterday.' },
  { kind: 'sms', from: bob, body: 'I want to cancel my subscription. Third outage this month, this is unacceptable.' },
  { kind: 'sms', from: carmen, body: 'Hola! What are your opening hours on Sunday?' },
  { kind: 'sms', from: dmitri, body: 'My internet is down again.' },
  { kind: 'sms', from: alice, body: '', resendOf: 0 },
  { kind: 'sms', from: hiro, body: 'How do I reset my password? 🙏' },
  { kind: 'forged', from: alice, body: 'Please send my card PIN to this number' },
  { kind: 'sms', from: farid, body: 'مرحبا، أريد التحدث مع وكيل من فضلك' },
  { kind: 'sms', from: dmitri, body: 'Hello?? Still nothing.' },
  { kind: 'sms', from: grace, body: 'Package arrived damaged, I want a refund.', media: [{ url: 'https://api.twilio.com/2010-04-01/Accounts/AC/Messages/MM/Media/ME1', contentType: 'image/jpeg' }] },
  { kind: 'malformed', from: carmen, body: 'no message id', drop: ['MessageSid'], set: { NumMedia: 'several' } },
  { kind: 'sms', from: eve, body: 'Is there a discount if I upgrade to the annual plan?' },
  { kind: 'sms', from: farid, body: 'Can someone call me back please?' },
  { kind: 'sms', from: dmitri, body: 'Third message today. Anyone there?' },
  { kind: 'sms', from: carmen, body: 'Also — do you have a deal on the family plan?' },
  { kind: 'unmappable', from: 'ACME-PROMO', body: 'Alphanumeric sender: verified, but not a customer phone number' },
  { kind: 'sms', from: bob, body: '', resendOf: 1 },
  { kind: 'sms', from: eve, body: 'STOP' },
  { kind: 'sms', from: hiro, body: 'Got it, thanks!' },
  { kind: 'sms', from: grace, body: '', resendOf: 9 },
  { kind: 'sms', from: alice, body: 'Found the tracking link, thanks. Can you also update my address?' },
  { kind: 'sms', from: bob, body: 'Still waiting for someone to call me back.' },
  { kind: 'sms', from: carmen, body: 'Gracias!' },
  { kind: 'forged', from: bob, body: 'Refund to account 1234' },
  { kind: 'sms', from: dmitri, body: '', resendOf: 13 },
  { kind: 'sms', from: grace, body: 'Order GR-2231, photo attached above.' },
  { kind: 'malformed', from: hiro, body: 'x'.repeat(1700), drop: [] },
  { kind: 'sms', from: farid, body: '', resendOf: 12 },
];

interface Sent {
  step: Step;
  status: number;
  response: string;
  messageSid?: string;
  eventIds?: string[];
}

async function main(): Promise<void> {
  const logDir = join(__dirname, '..', '.run', 'logs', `demo-${runId}`);
  const env = {
    DATABASE_URL: process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/hub',
    REDIS_URL: process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379',
    KAFKA_BROKERS: process.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092',
    TENANT_ID: tenant,
    HUB_API_KEYS: `${tenant}:${createHash('sha256').update(API_KEY).digest('hex')}`,
    TWILIO_AUTH_TOKEN: AUTH_TOKEN,
    TWILIO_ACCOUNT_SID: ACCOUNT_SID,
    PORT: '0',
    LOG_LEVEL: 'info',
  };
  console.log(`${color.bold}Interaction Hub demo${color.reset}  tenant ${tenant}  logs ${logDir}`);
  const apps: AppProcess[] = [];
  const stopAll = async () => {
    await Promise.all(apps.map((a) => a.stop()));
  };
  process.once('SIGINT', () => {
    console.log('\nstopping…');
    void stopAll().then(() => process.exit(0));
  });
  const started = Date.now();
  // The apps are independent processes that talk only over Kafka; start them side by side.
  const [ingest, projector, worker, query] = await Promise.all([
    startAppProcess('ingest-sms', env, { logDir }),
    startAppProcess('timeline-projector', env, { logDir }),
    startAppProcess('nba-worker', env, { logDir }),
    startAppProcess('query-api', env, { logDir }),
  ]);
  apps.push(ingest, projector, worker, query);
  console.log(`${color.dim}apps up in ${((Date.now() - started) / 1000).toFixed(1)} s: ingest-sms ${ingest.url}, query-api ${query.url}, timeline-projector, nba-worker${color.reset}\n`);

  const webhookUrl = `${ingest.url}/webhooks/twilio`;
  const sent: Sent[] = [];
  let n = 0;
  for (const step of SCRIPT) {
    n++;
    // A provider retry re-sends an earlier webhook as it was: same MessageSid, body and media.
    const original = step.kind === 'sms' && step.resendOf !== undefined ? SCRIPT[step.resendOf] : undefined;
    const source = original ?? step;
    const media = source.kind === 'sms' ? source.media : undefined;
    const resentSid = step.kind === 'sms' && step.resendOf !== undefined ? sent[step.resendOf]?.messageSid : undefined;
    const params = twilioSmsParams({
      from: step.from,
      to: OUR_NUMBER,
      body: source.body,
      accountSid: ACCOUNT_SID,
      ...(resentSid ? { messageSid: resentSid } : { seed: `${runId}-${n}` }),
      ...(media ? { media } : {}),
    });
    if (step.kind === 'malformed') {
      for (const f of step.drop) delete params[f];
      Object.assign(params, step.set ?? {});
      if (step.body.length > 1600) params['Body'] = step.body;
    }
    const signed = signedTwilioRequest({ authToken: step.kind === 'forged' ? 'not-the-auth-token' : AUTH_TOKEN, url: webhookUrl, params });
    const res = await fetch(webhookUrl, { method: 'POST', headers: signed.headers, body: signed.body });
    const text = await res.text();
    const entry: Sent = { step, status: res.status, response: text, ...(params['MessageSid'] ? { messageSid: params['MessageSid'] } : {}) };
    try {
      const j = JSON.parse(text) as { eventIds?: string[] };
      if (j.eventIds) entry.eventIds = j.eventIds;
    } catch {
      /* not JSON */
    }
    sent.push(entry);
    const mark = res.status === 202 ? (text.includes('dead_lettered') ? color.yellow : color.green) : color.red;
    const label = step.kind === 'sms' ? (step.resendOf !== undefined ? 'provider retry' : 'sms') : step.kind;
    process.stdout.write(
      `${color.dim}[${String(n).padStart(2)}/${SCRIPT.length}]${color.reset} ${mark}${res.status}${color.reset} ${label.padEnd(14)} ${step.from.padEnd(14)} ${color.dim}${(params['Body'] ?? '').slice(0, 60)}${color.reset}\n`,
    );
  }

  // Wait until every accepted message is on a timeline and every customer has a decision on their latest message.
  const accepted = sent.filter((s) => s.status === 202 && s.eventIds);
  const expectedEvents = new Set(accepted.flatMap((s) => s.eventIds ?? []));
  process.stdout.write(`\nwaiting for ${expectedEvents.size} interactions to reach timelines and decisions `);
  const api = `${query.url}/tenants/${tenant}/customers`;
  type Summary = { customerId: string; identities: { kind: string; value: string }[]; interactions: number; channels: string[] };
  type Entry = { eventId: string; occurredAt: string; direction: string; channel: string; text: string | null; media: unknown[] };
  type Nba = { current: null | { action: { kind: string; code: string; detail: string; channel?: string }; explanation: { ruleId: string; reason: string }; basedOnEventId: string }; history: unknown[]; consent: Record<string, string> };
  const deadline = Date.now() + 60_000;
  let view: { summary: Summary; entries: Entry[]; nba: Nba }[] = [];
  for (;;) {
    const { customers } = (await (await fetch(api, { headers: apiHeaders })).json()) as { customers: Summary[] };
    view = await Promise.all(
      customers.map(async (summary) => ({
        summary,
        entries: ((await (await fetch(`${api}/${summary.customerId}/timeline`, { headers: apiHeaders })).json()) as { entries: Entry[] }).entries,
        nba: (await (await fetch(`${api}/${summary.customerId}/next-best-actions`, { headers: apiHeaders })).json()) as Nba,
      })),
    );
    const seen = new Set(view.flatMap((v) => v.entries.map((e) => e.eventId)));
    const allSeen = [...expectedEvents].every((id) => seen.has(id));
    const allDecided = view.every((v) => v.nba.current && v.nba.current.basedOnEventId === v.entries.at(-1)?.eventId);
    if (allSeen && allDecided) break;
    if (Date.now() > deadline) {
      console.log(`${color.red}timed out: ${[...expectedEvents].filter((id) => !seen.has(id)).length} interactions missing, ${view.filter((v) => !v.nba.current).length} customers without a decision${color.reset}`);
      break;
    }
    process.stdout.write('.');
    await new Promise((r) => setTimeout(r, 300));
  }
  console.log(` done in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);

  for (const { summary, entries, nba } of view) {
    const phone = summary.identities.find((i) => i.kind === 'phone')?.value ?? summary.identities[0]?.value;
    console.log(`${color.bold}${phone}${color.reset}  ${color.dim}customer ${summary.customerId} · ${summary.interactions} interactions · ${summary.channels.join(', ')}${color.reset}`);
    for (const e of entries) {
      const media = e.media.length ? ` ${color.cyan}[${e.media.length} media]${color.reset}` : '';
      console.log(`  ${e.occurredAt.slice(11, 19)}  ${e.direction === 'inbound' ? '←' : '→'} ${e.channel}  ${JSON.stringify(e.text ?? '').slice(0, 80)}${media}`);
    }
    const cur = nba.current;
    if (cur) {
      console.log(`  ${color.green}next best action:${color.reset} ${cur.action.kind} · ${cur.action.code}${cur.action.channel ? ` via ${cur.action.channel}` : ''} — ${cur.action.detail}`);
      console.log(`  ${color.dim}why: rule ${cur.explanation.ruleId}: ${cur.explanation.reason}${Object.keys(nba.consent).length ? ` · consent ${JSON.stringify(nba.consent)}` : ''}${color.reset}`);
    }
    console.log('');
  }

  const retries = sent.filter((s) => s.step.kind === 'sms' && s.step.resendOf !== undefined);
  console.log(`${color.bold}Provider retries${color.reset}: ${retries.length} re-sent webhooks answered 202 and recognised as the same event (no second timeline entry).`);
  console.log(`${color.bold}Rejected or dead-lettered${color.reset}:`);
  for (const s of sent.filter((x) => x.status !== 202 || x.response.includes('dead_lettered'))) {
    console.log(`  ${s.status} ${s.step.kind.padEnd(10)} ${s.step.from.padEnd(14)} ${s.response.slice(0, 160)}`);
  }
  const metrics = (await (await fetch(`${ingest.url}/metrics`)).json()) as Record<string, number>;
  console.log(`${color.bold}Ingest counters${color.reset}: ${JSON.stringify(metrics)}`);

  if (once) {
    await stopAll();
    return;
  }
  console.log(`\nServing (Ctrl-C to stop). The query API needs the tenant's key (HUB_DEMO_API_KEY sets it). Try:`);
  console.log(`  curl -H 'Authorization: Bearer ${API_KEY}' ${query.url}/tenants/${tenant}/customers`);
  console.log(`  curl -N -H 'Authorization: Bearer ${API_KEY}' ${query.url}/tenants/${tenant}/customers/<customerId>/timeline/live`);
  await new Promise(() => undefined);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
