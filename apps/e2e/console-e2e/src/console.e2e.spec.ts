import { createHash, randomBytes, randomInt } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { loadConformanceFixtures, type ChannelTestSetup } from '@hub/channels-core/testing';
import { hubNames } from '@hub/contracts';
import { createKafka, KafkaEventPublisher } from '@hub/messaging';
import { commerceTestSetup } from '@hub/channels-commerce/testing';
import { signedTwilioRequest, twilioSmsParams } from '@hub/channels-sms/testing';
import { surveyTestSetup } from '@hub/channels-survey/testing';
import { webchatWebhookRequest } from '@hub/channels-webchat/testing';
import {
  ensureConsoleBuilt,
  eventually,
  freshDatabase,
  freshId,
  startAppProcess,
  testInfra,
  workspaceRoot,
  type AppProcess,
} from '@hub/testing';
import { launchChromium } from './browser';

/**
 * The analysts' console in a real browser (Debian's Chromium driven by playwright-core) against the
 * real hub: ingest-sms, -webchat, -commerce and -survey, the projector, the NBA worker and the query
 * API as their own processes, fed signed webhooks (Twilio, web chat, Shopify, Typeform). The console is the query API's /console/, built by Vite when
 * missing or stale. CONSOLE_SCREENSHOTS=1 also saves the pages as docs/console/*.png.
 */
const infra = testInfra();
const tenant = freshId('console');
const AUTH_TOKEN = randomBytes(16).toString('hex');
const ACCOUNT_SID = `AC${randomBytes(16).toString('hex')}`;
const WEBCHAT_SECRET = randomBytes(24).toString('hex');
const API_KEY = randomBytes(24).toString('base64url');
const OPERATOR_KEY = randomBytes(24).toString('base64url');
const sha256 = (key: string) => createHash('sha256').update(key).digest('hex');
const SCREENSHOTS = process.env['CONSOLE_SCREENSHOTS'] === '1' ? join(workspaceRoot(), 'docs', 'console') : undefined;

// The customer: a US number texted in E.164, looked up in national format (the tenant's default region is US).
const PHONE = '+14155550188';
const NATIONAL = '(415) 555-0188';
const EMAIL = `dana.${tenant}@example.com`;
/** Someone else's email, which a visitor also types beside Dana's number: a proposal to reject. */
const OTHER_EMAIL = `sam.${tenant}@example.com`;
/** A web chat visitor id: a decimal, fresh per run. */
const visitorId = () => String(randomInt(1, 2 ** 47));

let database: { url: string; drop(): Promise<void> };
let apps: AppProcess[] = [];
let sms = '';
let webchat = '';
let shop = '';
let survey = '';
let query = '';
let browser: Awaited<ReturnType<typeof launchChromium>>;
let page: Page;

async function text(from: string, body: string, seed: string): Promise<string> {
  const url = `${sms}/webhooks/twilio`;
  const signed = signedTwilioRequest({
    authToken: AUTH_TOKEN,
    url,
    params: twilioSmsParams({ from, to: '+14155550000', body, accountSid: ACCOUNT_SID, seed }),
  });
  const res = await fetch(url, { method: 'POST', headers: signed.headers, body: signed.body });
  expect(res.status).toBe(202);
  return ((await res.json()) as { eventIds: string[] }).eventIds[0]!;
}

async function chat(session: string, visitor: Record<string, string>, messageId: string, words: string): Promise<string> {
  const url = `${webchat}/webhooks/webchat`;
  const payload = {
    sessionId: session,
    visitor,
    messages: [{ id: messageId, sentAt: new Date().toISOString(), text: words }],
    page: { url: 'https://shop.example.com/help' },
  };
  const signed = webchatWebhookRequest({ secret: WEBCHAT_SECRET, url, payload, timestamp: Math.floor(Date.now() / 1000) });
  const res = await fetch(url, { method: 'POST', headers: signed.headers as Record<string, string>, body: signed.rawBody });
  expect(res.status).toBe(202);
  return ((await res.json()) as { eventIds: string[] }).eventIds[0]!;
}

/** A recorded provider payload (the channel's conformance fixture), changed as `edit` says, signed as the provider signs it. */
async function deliverFixture(
  base: string,
  setup: ChannelTestSetup<object>,
  fixture: string,
  edit: (payload: Record<string, unknown>) => void,
): Promise<void> {
  const found = loadConformanceFixtures(setup.fixturesDir).valid.find((f) => f.file.endsWith(fixture));
  if (!found) throw new Error(`no fixture ${fixture} in ${setup.fixturesDir}`);
  const payload = structuredClone(found.payload) as Record<string, unknown>;
  edit(payload);
  const signed = setup.sign(payload, {});
  const res = await fetch(`${base}${new URL(signed.url).pathname}`, {
    method: 'POST',
    headers: signed.headers as Record<string, string>,
    body: signed.rawBody,
  });
  expect(res.status).toBe(202);
}

/** Dana's order on the shop, by her phone: the guest-checkout order recorded from Shopify, made hers. */
async function order(orderNumber: number, at: string): Promise<void> {
  await deliverFixture(shop, commerceTestSetup as ChannelTestSetup<object>, 'orders-create-guest-phone-only.json', (p) => {
    const id = 7_000_000_000_000 + randomInt(1e9);
    Object.assign(p, {
      id,
      admin_graphql_api_id: `gid://shopify/Order/${id}`,
      order_number: orderNumber,
      name: `#${orderNumber}`,
      phone: PHONE,
      created_at: at,
      processed_at: at,
    });
    for (const address of ['billing_address', 'shipping_address']) Object.assign(p[address] as object, { phone: PHONE });
  });
}

/** Dana's answer to a CSAT survey (1–5), the link carrying her phone. */
async function csat(score: number, at: string): Promise<void> {
  await deliverFixture(survey, surveyTestSetup as ChannelTestSetup<object>, 'csat-3-minimal-optional-fields-absent.json', (p) => {
    const response = p['form_response'] as {
      token: string;
      submitted_at: string;
      hidden: Record<string, string>;
      answers: { number: number }[];
    };
    Object.assign(p, { event_id: randomBytes(13).toString('hex').toUpperCase() });
    Object.assign(response, { token: randomBytes(16).toString('hex'), submitted_at: at, hidden: { phone: PHONE } });
    response.answers[0]!.number = score;
  });
}

async function api<T>(path: string): Promise<{ status: number; body: T }> {
  const res = await fetch(`${query}/tenants/${tenant}${path}`, { headers: { authorization: `Bearer ${API_KEY}` } });
  return { status: res.status, body: (await res.json()) as T };
}

type Lookup = { customerId: string; state: { mergeProposals: { proposalId: string; otherId: string }[]; mergedInto?: string } };
const holderOf = async (identity: string) => {
  const r = await api<Lookup>(`/customers?identity=${encodeURIComponent(identity)}`);
  return r.status === 200 ? r.body : undefined;
};
const timelineHas = async (customerId: string, eventId: string) =>
  (await api<{ entries: { eventId: string }[] }>(`/customers/${customerId}/timeline`)).body.entries?.some((e) => e.eventId === eventId)
    ? true
    : undefined;

const entry = (words: string) => page.locator('[data-testid=entry]', { hasText: words });
const shoot = async (name: string) => {
  if (SCREENSHOTS) await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
};

let dana = '';
let other = '';
let stranger = '';
const said = {
  first: 'Hi, where is my order #4417? It was due Monday.',
  chat: 'Following up on my text: can I change the delivery address?',
  other: 'I need to change the address of an order',
  later: 'Is anyone there? Still waiting on order #4417',
};
const ids: Record<keyof typeof said | 'typed', string> = { first: '', chat: '', other: '', later: '', typed: '' };

beforeAll(async () => {
  database = await freshDatabase('e2e_console');
  const env = {
    DATABASE_URL: database.url,
    HUB_NAMESPACE: tenant,
    REDIS_URL: infra.redisUrl,
    KAFKA_BROKERS: infra.kafkaBrokers.join(','),
    TENANT_ID: tenant,
    HUB_API_KEYS: `${tenant}:${sha256(API_KEY)}:read+write`,
    HUB_ADMIN_API_KEYS: `ops.e2e:${sha256(OPERATOR_KEY)}`,
    QUERY_DEFAULT_REGIONS: `${tenant}:US`,
    TWILIO_AUTH_TOKEN: AUTH_TOKEN,
    TWILIO_ACCOUNT_SID: ACCOUNT_SID,
    WEBCHAT_SIGNING_SECRET: WEBCHAT_SECRET,
    ...surveyTestSetup.env,
    ...commerceTestSetup.env,
    PORT: '0',
    NBA_DEBOUNCE_MS: '100',
  };
  const built = await ensureConsoleBuilt();
  // Two at a time: each boot compiles with swc, and the machine may have two cores.
  const start = (name: Parameters<typeof startAppProcess>[0], extra: Record<string, string> = {}) =>
    startAppProcess(name, { ...env, ...extra }, { logSuffix: `-${tenant}`, timeoutMs: 90_000 });
  const [ingestSms, ingestWebchat] = await Promise.all([start('ingest-sms'), start('ingest-webchat')]);
  const [ingestCommerce, ingestSurvey] = await Promise.all([start('ingest-commerce'), start('ingest-survey')]);
  const [projector, worker] = await Promise.all([start('timeline-projector'), start('nba-worker')]);
  const queryApi = await start('query-api', { QUERY_CONSOLE_DIR: built });
  apps = [ingestSms, ingestWebchat, ingestCommerce, ingestSurvey, projector, worker, queryApi];
  [sms, webchat, shop, survey, query] = [ingestSms.url!, ingestWebchat.url!, ingestCommerce.url!, ingestSurvey.url!, queryApi.url!];
  browser = await launchChromium();
  page = await browser.context.newPage();
  page.setDefaultTimeout(30_000);
  if (SCREENSHOTS) mkdirSync(SCREENSHOTS, { recursive: true });

  // Dana texts, then chats on the web giving the same number: one customer, two channels.
  ids.first = await text(PHONE, said.first, `${tenant}-1`);
  dana = (await eventually(() => holderOf(`phone:${PHONE}`), { timeoutMs: 60_000, what: 'the texting customer' })).customerId;
  // She ordered, and answered three satisfaction surveys: a value, a trend, a quadrant.
  const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  await order(4417, minutesAgo(50));
  for (const [n, score] of [3, 4, 5].entries()) await csat(score, minutesAgo(40 - 10 * n));
  ids.chat = await chat(`ws_${tenant}_1`, { id: visitorId(), phone: PHONE }, 'm_1', said.chat);
  // Someone chats giving only an email: another customer, as far as the hub can tell.
  ids.other = await chat(`ws_${tenant}_2`, { id: visitorId(), email: EMAIL }, 'm_2', said.other);
  other = (await eventually(() => holderOf(`email:${EMAIL}`), { timeoutMs: 60_000, what: 'the chatting customer' })).customerId;
  // A visitor types both: what a person typed only proposes a merge (chat_typed_detail).
  ids.typed = await chat(`ws_${tenant}_3`, { id: visitorId(), phone: PHONE, email: EMAIL }, 'm_3', 'It is me, both of those are mine');
  // And once more with someone else's email: a second proposal, which a person will reject.
  await chat(`ws_${tenant}_4`, { id: visitorId(), email: OTHER_EMAIL }, 'm_4', 'Do you ship to Canada?');
  stranger = (await eventually(() => holderOf(`email:${OTHER_EMAIL}`), { timeoutMs: 60_000, what: 'the third customer' })).customerId;
  await chat(`ws_${tenant}_5`, { id: visitorId(), phone: PHONE, email: OTHER_EMAIL }, 'm_5', 'Here are my details');
  const proposed = async () => (await holderOf(`phone:${PHONE}`))?.state.mergeProposals.map((p) => p.otherId);
  await eventually(async () => ((await proposed())?.filter((id) => id === other || id === stranger).length === 2 ? true : undefined), {
    timeoutMs: 60_000,
    what: 'the two merge proposals',
  });
  await eventually(() => timelineHas(dana, ids.chat), { timeoutMs: 60_000, what: 'the web chat entry' });
  await eventually(
    async () => {
      const state = (await api<{ state?: { satisfaction: { answers: unknown[] }; value: { orders: number } } }>(`/customers/${dana}`)).body
        .state;
      return state?.satisfaction.answers.length === 3 && state.value.orders === 1 ? true : undefined;
    },
    {
      timeoutMs: 60_000,
      what: 'the order and the three survey answers',
    },
  );
  // The NBA worker decides after each interaction: the page shows the decision it finds.
  await eventually(
    async () => ((await api<{ current: unknown }>(`/customers/${dana}/next-best-actions`)).body.current ? true : undefined),
    { timeoutMs: 60_000, what: 'a next best action' },
  );
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await Promise.all(apps.map((a) => a.stop()));
  await database?.drop();
});

describe('the analysts console', () => {
  it('signs in with the tenant key and finds the customer by a phone number in national format', async () => {
    await page.goto(`${query}/console/`);
    await page.getByLabel('Tenant').fill(tenant);
    await page.getByLabel('API key').fill(API_KEY);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByLabel('Search', { exact: true }).fill(NATIONAL);
    await page.getByRole('button', { name: 'Search' }).click();
    const result = page.locator('[data-testid=result]');
    await result.waitFor();
    expect(await result.allTextContents()).toEqual([dana]);
    await shoot('search');
    await result.click();
    await page.locator('[data-testid=customer-id]', { hasText: dana }).waitFor();
  });

  it('shows the 360 view, the next best action and the timeline grouped by conversation across channels', async () => {
    await entry(said.first).waitFor();
    await entry(said.chat).waitFor();
    const channels = await page.locator('[data-testid=conversation]').evaluateAll((els) => els.map((e) => e.getAttribute('data-channel')));
    expect(new Set(channels)).toEqual(new Set(['sms', 'webchat', 'commerce', 'survey']));
    expect(
      await page
        .getByRole('img', { name: /satisfaction trend/ })
        .locator('circle')
        .count(),
    ).toBe(3);
    expect(await page.getByTestId('identities').textContent()).toContain(PHONE);
    // Value net of what serving her cost (the catalog's cost per interaction and channel).
    expect(await page.getByTestId('profitability').textContent()).toMatch(/^cost to serve .+ · profit .+$/);
    await page.getByTestId('nba-action').waitFor();
    expect((await page.getByTestId('nba-reason').textContent())?.length).toBeGreaterThan(0);
  });

  it('receives a new webhook entry live, without reloading the page', async () => {
    await page.evaluate(() => Object.assign(globalThis, { stillTheSamePage: true }));
    await page.getByTestId('live').filter({ hasText: 'Live' }).waitFor();
    ids.later = await text(PHONE, said.later, `${tenant}-later`);
    await entry(said.later).waitFor();
    expect(await page.evaluate(() => (globalThis as { stillTheSamePage?: boolean }).stillTheSamePage)).toBe(true);
    await shoot('customer');
  });

  it('hides the later entry when the as-of slider steps back before it, and shows it again at now', async () => {
    const slider = page.getByLabel('As of');
    await slider.focus();
    await page.keyboard.press('ArrowLeft');
    await entry(said.later).waitFor({ state: 'detached' });
    await entry(said.first).waitFor();
    await page.getByTestId('asof-label').filter({ hasNotText: 'now' }).waitFor();
    await page.keyboard.press('End');
    await entry(said.later).waitFor();
  });

  it('rejects a merge proposal, saying why: it is closed and listed as rejected', async () => {
    await page.getByRole('link', { name: /Merge proposals/ }).click();
    const proposal = page.getByTestId('proposal').filter({ hasText: stranger });
    await proposal.waitFor();
    await page.getByTestId('proposal').filter({ hasText: other }).waitFor();
    // Each proposal says who the other customer is: what a person decides on.
    await proposal.getByText(OTHER_EMAIL).waitFor();
    await page.getByTestId('proposal').filter({ hasText: other }).getByText(EMAIL).waitFor();
    await shoot('merge-proposals');
    await proposal.getByLabel('Why not the same person').fill('Sam is her flatmate, not her');
    await proposal.getByRole('button', { name: 'Reject' }).click();
    await page.getByTestId('rejected').filter({ hasText: 'Sam is her flatmate' }).waitFor();
    await proposal.waitFor({ state: 'detached' });
    expect((await holderOf(`email:${OTHER_EMAIL}`))?.customerId).toBe(stranger);
  });

  it('approves the other merge proposal: that customer is merged in, its entries join the timeline', async () => {
    const proposal = page.getByTestId('proposal').filter({ hasText: other });
    await proposal.getByRole('button', { name: 'Approve' }).click();
    await page.getByTestId('proposal-answer').filter({ hasText: 'merged' }).waitFor();
    await page.getByTestId('merged-from').filter({ hasText: other }).waitFor();
    await page.getByTestId('no-proposals').waitFor();
    expect((await holderOf(`email:${EMAIL}`))?.customerId).toBe(dana);
    await page.getByRole('link', { name: '360° and timeline' }).click();
    await entry(said.other).waitFor();
  });

  it('lists every decision with what the sender did with it and what became of it', async () => {
    type Listed = { history: { decisionId: string; contactMode: string }[] };
    const decision = await eventually(
      async () => (await api<Listed>(`/customers/${dana}/next-best-actions`)).body.history.find((d) => d.contactMode !== 'none'),
      { timeoutMs: 60_000, what: 'a decision that contacts her' },
    );
    const res = await fetch(`${query}/tenants/${tenant}/customers/${dana}/decisions/${decision.decisionId}/outcome`, {
      method: 'POST',
      headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ outcome: 'accepted', source: 'agent' }),
    });
    expect(res.status).toBe(201);
    await page.reload();
    const row = page.locator('[data-testid=decision][data-outcome=accepted]');
    await row.waitFor();
    expect(await row.textContent()).toContain('accepted (agent)');
    // No outbound sender runs in this spec: the decision says the hub did not send it.
    expect(await row.getByTestId('decision-sends').textContent()).toBe('not sent by the hub');
    expect(await page.locator('[data-testid=decision]').count()).toBeGreaterThan(1);
  });

  it('lists an escalation as a work item that an agent claims and resolves', async () => {
    // A customer who texts three times without resolution: the worker escalates and opens a work item.
    const phone = `+1415555${String(randomInt(1000, 9999))}`;
    for (const n of [1, 2, 3]) await text(phone, `My internet is still down, this is message ${n}`, `${tenant}-wi-${n}`);
    const customerId = (await eventually(() => holderOf(`phone:${phone}`), { timeoutMs: 60_000, what: 'the customer' })).customerId;
    type Items = { items: { customerId: string; workItemId: string }[] };
    await eventually(async () => (await api<Items>('/work-items?status=open')).body.items.find((i) => i.customerId === customerId), {
      timeoutMs: 60_000,
      what: 'the work item',
    });
    await page.getByRole('link', { name: 'Work items' }).click();
    await page.getByLabel('Agent').fill('agent.e2e');
    const item = page.getByTestId('work-item').filter({ has: page.locator(`a[href$="${customerId}"]`) });
    await item.getByRole('button', { name: 'Claim' }).click();
    await item.waitFor({ state: 'detached' });
    await page.getByLabel('Status').selectOption('claimed');
    await item.filter({ hasText: 'agent.e2e' }).waitFor();
    await shoot('work-items');
    await item.getByRole('button', { name: 'Resolve' }).click();
    await item.waitFor({ state: 'detached' });
    await page.getByLabel('Status').selectOption('resolved');
    await item.filter({ hasText: 'solved' }).waitFor();
  });

  it('shows a dead letter on the Operations page, with its reason, and re-drives it to its topic', async () => {
    // A message the projector can never record (not an interaction), on the interactions topic of this run's namespace.
    const names = hubNames(tenant);
    const marker = freshId('poison');
    const publisher = new KafkaEventPublisher(createKafka({ brokers: infra.kafkaBrokers, clientId: freshId('console-e2e') }));
    await publisher.start();
    try {
      await publisher.publish(names.topics.interactions, [
        { key: marker, value: { type: 'InteractionReceived', marker }, headers: { 'hub-tenant-id': tenant } },
      ]);
    } finally {
      await publisher.close();
    }
    await page.getByRole('link', { name: 'Operations' }).click();
    await page.getByLabel('Operator key').fill(OPERATOR_KEY);
    await page.getByRole('button', { name: 'Open operations' }).click();
    await page.getByRole('region', { name: 'Lag' }).getByTestId('group-lag').first().waitFor();
    const section = page.getByRole('region', { name: 'Dead letters' });
    const deadLetter = section.getByTestId('dead-letter').filter({ hasText: 'INVALID_EVENT' }).filter({ hasText: marker });
    await eventually(
      async () => {
        await section.getByRole('button', { name: 'Refresh' }).click();
        return (await deadLetter.count()) > 0 ? true : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 500, what: 'the dead letter on the page' },
    );
    await deadLetter.first().getByText(names.topics.interactions).waitFor();
    await shoot('operations');
    await deadLetter.first().getByRole('button', { name: 'Re-drive…' }).click();
    await deadLetter.first().getByRole('button', { name: 'Confirm re-drive' }).click();
    await section.getByRole('status').filter({ hasText: 'Re-driven: 1' }).waitFor();
    // Back on its topic, the projector reads it again and, as it is still not an event, dead-letters it again.
    await eventually(
      async () => {
        await section.getByRole('button', { name: 'Refresh' }).click();
        return (await deadLetter.count()) >= 2 ? true : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 500, what: 'the re-driven message dead-lettered again' },
    );
  });

  it('signs an operator in with the tenant left empty: the Operations page only', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('API key').fill(OPERATOR_KEY);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('region', { name: 'Dead letters' }).waitFor();
    expect(await page.getByTestId('tenant').textContent()).toBe('operator');
    expect(await page.getByRole('link', { name: 'Search customers' }).count()).toBe(0);
  });
});
