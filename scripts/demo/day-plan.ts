import type { IngestChannelId } from '@hub/contracts';
import { createRng, type Rng } from './prng';
import {
  makePeople,
  writeEmail,
  writePhone,
  type ContactChannel,
  type EmailStyle,
  type Person,
  type PersonOverrides,
  type PhoneStyle,
} from './people';
import { closingText, emailBody, followUpText, INTENT_MIX, openerText, subjectText, SURVEY_COMMENTS, UPSET_INTENTS } from './texts';

/**
 * The day plan: who contacts the company, when, on which channel and provider, saying what — and
 * which deliveries go wrong (provider retries, forged signatures, malformed and unmappable bodies,
 * oversized ones). Pure: the same options always give the same plan (`--seed`).
 */

/** One provider of one channel, as `<channelId>:<manifest.provider>`. */
export type ProviderKey =
  | 'sms:twilio'
  | 'whatsapp:meta'
  | 'messenger:meta'
  | 'instagram:meta'
  | 'telegram:telegram'
  | 'webchat:hub-webchat'
  | 'voice:amazon-connect'
  | 'voice:twilio'
  | 'email:mime'
  | 'email:sendgrid'
  | 'commerce:shopify'
  | 'survey:typeform';

export const channelOf = (provider: ProviderKey): IngestChannelId => provider.slice(0, provider.indexOf(':')) as IngestChannelId;

export type Touch =
  | { kind: 'message'; text: string }
  /** Telegram: the customer shares their own contact card (their phone). */
  | { kind: 'contact' }
  | { kind: 'email'; subject: string; text: string; messageId: string; inReplyTo?: string }
  | {
      kind: 'call';
      direction: 'inbound' | 'outbound';
      outcome: 'answered' | 'abandoned';
      queue: string;
      queueSeconds: number;
      talkSeconds: number;
      agent: string;
    }
  | {
      kind: 'order';
      orderId: number;
      orderNumber: number;
      currency: string;
      items: readonly { id: number; title: string; price: string; quantity: number }[];
    }
  | { kind: 'survey'; survey: 'csat' | 'nps'; score: number; comment?: string; conversation?: { channel: IngestChannelId; id: string } };

/** What goes wrong with a delivery. */
export type Fault = 'forged' | 'malformed' | 'unmappable' | 'oversized';

/** How the provider writes who it is from (already formatted its way). */
export interface WrittenIdentity {
  phone?: string;
  email?: string;
}

/** One webhook delivery of the day. */
export interface PlannedDelivery {
  /** Position in the day: deliveries are sent in this order. */
  seq: number;
  /** When the provider posts it (ISO 8601). Providers that timestamp their payloads use it. */
  at: string;
  provider: ProviderKey;
  channel: IngestChannelId;
  personId: string;
  touch: Touch;
  from: WrittenIdentity;
  /** The conversation: a web-chat session, a Telegram chat, an email thread, a call. */
  thread: string;
  /** Unique per provider within the day: message numbers, order and contact ids derive from it. */
  ref: number;
  fault?: Fault;
  /** A provider retry: the same body as delivery `redeliveryOf`, sent again. */
  redeliveryOf?: number;
}

export interface DayPlanOptions {
  seed: string;
  /** Genuine interactions (each one canonical event); faults and retries come on top. */
  interactions: number;
  customers: number;
  /** The day's window (ISO 8601): every delivery is timed inside it. */
  start: string;
  end: string;
}

export interface DayPlan {
  options: DayPlanOptions;
  people: Person[];
  deliveries: PlannedDelivery[];
  /** The scripted characters, by role, for the demo to show. */
  cast: { journey: string; atRisk: string };
}

/** Which provider carries a channel's traffic, and how much of it. */
const PROVIDER_SHARE: Readonly<Record<ContactChannel, readonly (readonly [ProviderKey, number])[]>> = {
  sms: [['sms:twilio', 1]],
  whatsapp: [['whatsapp:meta', 1]],
  messenger: [['messenger:meta', 1]],
  instagram: [['instagram:meta', 1]],
  telegram: [['telegram:telegram', 1]],
  webchat: [['webchat:hub-webchat', 1]],
  voice: [
    ['voice:amazon-connect', 7],
    ['voice:twilio', 3],
  ],
  email: [
    ['email:mime', 6],
    ['email:sendgrid', 4],
  ],
};

/**
 * How much more often a conversation starts on a channel than its share suggests: a call or an
 * email is one interaction, a chat several, so calls and emails start more conversations for the
 * same share of interactions.
 */
const EPISODES_PER_INTERACTION: Readonly<Record<ContactChannel, number>> = {
  voice: 2.6,
  email: 2.4,
  sms: 1,
  whatsapp: 1,
  webchat: 1,
  messenger: 1,
  instagram: 1,
  telegram: 0.8,
};

/** Fault rates per genuine interaction. */
const RATES = { redelivery: 0.04, forged: 0.003, malformed: 0.005, unmappable: 0.005 } as const;

/** Providers that retry a lot (Twilio retries on timeouts, Meta for hours, Shopify 19 times, Firehose…), as weights. */
const RETRY_WEIGHT: Readonly<Record<ProviderKey, number>> = {
  'sms:twilio': 3,
  'whatsapp:meta': 4,
  'messenger:meta': 3,
  'instagram:meta': 3,
  'telegram:telegram': 2,
  'webchat:hub-webchat': 1,
  'voice:amazon-connect': 3,
  'voice:twilio': 2,
  'email:mime': 1,
  'email:sendgrid': 2,
  'commerce:shopify': 4,
  'survey:typeform': 2,
};

export const ALL_PROVIDERS = Object.keys(RETRY_WEIGHT) as ProviderKey[];

/** Providers the plan can send an oversized body to (see the builders' `oversized`). */
export const OVERSIZE_PROVIDERS: readonly ProviderKey[] = ['webchat:hub-webchat'];

const SCRIPTED: readonly PersonOverrides[] = [
  // The omnichannel customer: emails, texts, WhatsApps, orders, answers a CSAT survey.
  {
    firstName: 'María',
    lastName: 'López',
    language: 'es',
    country: 'US',
    phone: '+16505550123',
    email: 'maria.lopez@example.com',
    channels: [
      ['email', 1],
      ['sms', 1],
      ['whatsapp', 1],
    ],
  },
  // The at-risk customer: abandoned calls, an outage, a detractor score, wants to cancel.
  {
    firstName: 'Dmitri',
    lastName: 'Volkov',
    language: 'en',
    country: 'US',
    phone: '+14155550104',
    email: 'dmitri.volkov@example.net',
    channels: [
      ['voice', 1],
      ['sms', 1],
      ['whatsapp', 1],
    ],
  },
];

interface Draft extends Omit<PlannedDelivery, 'seq' | 'at' | 'redeliveryOf' | 'ref'> {
  atMs: number;
  original?: Draft;
}

export function planDay(options: DayPlanOptions): DayPlan {
  const { seed, interactions, customers } = options;
  if (!Number.isInteger(interactions) || interactions < 20) throw new RangeError('plan at least 20 interactions');
  if (!Number.isInteger(customers) || customers < 10) throw new RangeError('plan at least 10 customers');
  const startMs = Date.parse(options.start);
  const endMs = Date.parse(options.end);
  if (!(endMs - startMs >= 3_600_000)) throw new RangeError('the day must last at least an hour');
  const rng = createRng(`demo-day:${seed}`);
  const people = makePeople(rng.fork('people'), customers, SCRIPTED);
  const [maria, dmitri] = people as [Person, Person];
  const window = { startMs, endMs };
  const ctx: PlanContext = { rng: rng.fork('episodes'), window, threads: 0 };

  const drafts: Draft[] = [...journey(ctx, maria), ...atRisk(ctx, dmitri)];
  const crowd = people.slice(SCRIPTED.length);
  const byActivity = crowd.map((p) => [p, p.activity] as const);
  const ordered = new Set<string>();
  while (drafts.length < interactions) {
    const person = ctx.rng.weighted(byActivity);
    const atMs = timeOfDay(ctx.rng, window);
    const episode =
      person.shopper && !ordered.has(person.id) && ctx.rng.chance(0.5)
        ? (ordered.add(person.id), [orderDraft(ctx, person, atMs)])
        : conversation(ctx, person, ctx.rng.weighted(person.channels.map(([c, w]) => [c, w * EPISODES_PER_INTERACTION[c]] as const)), atMs);
    drafts.push(...episode.slice(0, interactions - drafts.length));
  }

  const faultRng = rng.fork('faults');
  const genuine = drafts.slice().sort(byTime);
  const redeliveries = pickWeighted(faultRng, genuine, Math.round(interactions * RATES.redelivery), (d) => RETRY_WEIGHT[d.provider]).map(
    (original) => ({
      ...original,
      atMs: original.atMs + faultRng.int(2_000, 15 * 60_000),
      original,
    }),
  );
  const faults = [
    ...faultDrafts(ctx, faultRng, people, 'forged', Math.max(1, Math.round(interactions * RATES.forged)), ALL_PROVIDERS),
    ...faultDrafts(ctx, faultRng, people, 'malformed', Math.max(1, Math.round(interactions * RATES.malformed)), ALL_PROVIDERS),
    ...faultDrafts(ctx, faultRng, people, 'unmappable', Math.max(1, Math.round(interactions * RATES.unmappable)), ALL_PROVIDERS),
    ...faultDrafts(ctx, faultRng, people, 'oversized', interactions >= 500 ? 2 : 1, OVERSIZE_PROVIDERS),
  ];

  // Refs first, in time order of the genuine deliveries (a retry carries its original's).
  const refs = new Map<Draft, number>();
  const nextRef = new Map<ProviderKey, number>();
  for (const d of [...genuine, ...faults.sort(byTime)]) {
    const n = (nextRef.get(d.provider) ?? 0) + 1;
    nextRef.set(d.provider, n);
    refs.set(d, n);
  }
  const all = [...genuine, ...redeliveries, ...faults].sort(byTime);
  const seqOf = new Map<Draft, number>(all.map((d, i) => [d, i]));
  const deliveries = all.map((d, seq): PlannedDelivery => {
    const { atMs: _atMs, original, ...rest } = d;
    return {
      ...rest,
      seq,
      at: new Date(d.atMs).toISOString(),
      ref: refs.get(original ?? d)!,
      ...(original ? { redeliveryOf: seqOf.get(original)! } : {}),
    };
  });
  return { options, people, deliveries, cast: { journey: maria.id, atRisk: dmitri.id } };
}

const byTime = (a: { atMs: number }, b: { atMs: number }): number => a.atMs - b.atMs;

interface PlanContext {
  rng: Rng;
  window: { startMs: number; endMs: number };
  threads: number;
}

const clampToDay = (ctx: PlanContext, ms: number): number => Math.min(ctx.window.endMs, Math.max(ctx.window.startMs, ms));
const at = (ctx: PlanContext, fraction: number): number =>
  Math.round(ctx.window.startMs + fraction * (ctx.window.endMs - ctx.window.startMs));

/** Busier mid-morning and mid-afternoon than at the edges of the day. */
function timeOfDay(rng: Rng, window: { startMs: number; endMs: number }): number {
  const span = window.endMs - window.startMs;
  let f = rng.next();
  if (rng.chance(0.45)) {
    const peak = rng.pick([0.28, 0.68]);
    // Sum of three uniforms: a bump around the peak.
    f = peak + ((rng.next() + rng.next() + rng.next()) / 3 - 0.5) * 0.4;
  }
  return window.startMs + Math.round(Math.min(0.999, Math.max(0, f)) * span);
}

function newThread(ctx: PlanContext, prefix: string): string {
  ctx.threads++;
  return `${prefix}${String(ctx.threads).padStart(5, '0')}`;
}

function orderNumberOf(person: Person): number {
  return 1000 + Number(person.id.slice(1));
}

const PHONE_STYLE_BY_PROVIDER: Partial<Record<ProviderKey, readonly (readonly [PhoneStyle, number])[]>> = {
  // Twilio posts E.164; a few numbers arrive formatted by an upstream carrier.
  'sms:twilio': [
    ['e164', 85],
    ['international', 15],
  ],
  // WhatsApp ids are digits with the country code, no `+`.
  'whatsapp:meta': [['digits', 1]],
  'voice:amazon-connect': [['e164', 1]],
  'voice:twilio': [['e164', 1]],
};

function writtenFrom(ctx: PlanContext, person: Person, provider: ProviderKey): WrittenIdentity {
  const styles = PHONE_STYLE_BY_PROVIDER[provider];
  if (styles) return { phone: writePhone(person.phone, ctx.rng.weighted(styles)) };
  if (provider === 'email:mime' || provider === 'email:sendgrid') return { email: writeEmail(person.email, emailStyle(ctx.rng)) };
  return {};
}

const emailStyle = (rng: Rng): EmailStyle =>
  rng.weighted<EmailStyle>([
    ['lower', 50],
    ['capitalised', 40],
    ['upper', 10],
  ]);

/** A conversation on one channel: a few messages, an email (and maybe a reply), a call (and maybe a callback); sometimes a survey after. */
function conversation(ctx: PlanContext, person: Person, channel: ContactChannel, startMs: number): Draft[] {
  const { rng } = ctx;
  const provider = rng.weighted(PROVIDER_SHARE[channel]);
  const intent = rng.weighted(INTENT_MIX);
  const upset = UPSET_INTENTS.has(intent);
  const order = person.shopper ? orderNumberOf(person) : rng.int(700, 999);
  const base = { provider, channel, personId: person.id } as const;
  const drafts: Draft[] = [];
  let t = startMs;
  const push = (touch: Touch, thread: string, from: WrittenIdentity = writtenFrom(ctx, person, provider)) => {
    drafts.push({ ...base, atMs: clampToDay(ctx, t), touch, thread, from });
  };

  if (channel === 'voice') {
    const thread = newThread(ctx, 'call-');
    const abandoned = rng.chance(upset ? 0.4 : 0.22);
    push(callTouch(rng, 'inbound', abandoned), thread);
    if (abandoned && rng.chance(0.55)) {
      t += rng.int(10, 45) * 60_000;
      push(callTouch(rng, 'outbound', false), newThread(ctx, 'call-'));
    }
  } else if (channel === 'email') {
    const thread = newThread(ctx, 'mail-');
    const subject = subjectText(rng, intent, order);
    const first = `<${thread}.${rng.int(1e5, 1e6 - 1)}@${person.email.split('@')[1]}>`;
    push({ kind: 'email', subject, text: emailBody(rng, intent, person.language, order, person.firstName), messageId: first }, thread);
    if (rng.chance(upset ? 0.45 : 0.2)) {
      t += rng.int(60, 240) * 60_000;
      const text = `${upset ? 'I am still waiting for an answer to my email below. This is unacceptable.' : 'Just following up on my email below.'}\n\n${person.firstName}\n`;
      push(
        { kind: 'email', subject: `Re: ${subject}`, text, messageId: `<${thread}.reply@${person.email.split('@')[1]}>`, inReplyTo: first },
        thread,
      );
    }
  } else {
    const thread = newThread(ctx, `${channel}-`);
    // Web-chat visitors often type their email (or phone) into the pre-chat form: it links them.
    const from: WrittenIdentity =
      channel === 'webchat'
        ? rng.weighted<WrittenIdentity>([
            [{ email: writeEmail(person.email, emailStyle(rng)) }, 45],
            [{ phone: writePhone(person.phone, 'international') }, 15],
            [{}, 40],
          ])
        : writtenFrom(ctx, person, provider);
    // Telegram users often share their contact card when the bot asks: it links their phone.
    if (channel === 'telegram' && rng.chance(0.3)) {
      push({ kind: 'contact' }, thread, from);
      t += rng.int(5, 60) * 1000;
    }
    const messages = rng.int(1, upset ? 6 : 4);
    for (let i = 0; i < messages; i++) {
      const text = i === 0 ? openerText(rng, intent, person.language, order) : followUpText(rng, order);
      push({ kind: 'message', text }, thread, from);
      t += rng.int(20, 6 * 60) * 1000;
    }
    if (!upset && rng.chance(0.4)) push({ kind: 'message', text: closingText(rng, person.language) }, thread, from);
  }

  // Some conversations end with a survey link.
  const last = drafts[drafts.length - 1];
  if (last && rng.chance(0.16)) {
    t += rng.int(20, 120) * 60_000;
    drafts.push(surveyDraft(ctx, person, clampToDay(ctx, t), upset, { channel, id: last.thread }));
  }
  return drafts;
}

const QUEUES = ['Support', 'Billing', 'Orders', 'Retention'];
const AGENTS = ['maria.santos', 'tom.becker', 'aisha.khan', 'li.wei', 'sam.jones'];

function callTouch(rng: Rng, direction: 'inbound' | 'outbound', abandoned: boolean): Touch {
  return {
    kind: 'call',
    direction,
    outcome: abandoned ? 'abandoned' : 'answered',
    queue: rng.pick(QUEUES),
    queueSeconds: direction === 'outbound' ? 0 : abandoned ? rng.int(90, 900) : rng.int(5, 420),
    talkSeconds: abandoned ? 0 : rng.int(60, 900),
    agent: rng.pick(AGENTS),
  };
}

const PRODUCTS = [
  { id: 101, title: 'Aurora floor lamp', price: '89.00' },
  { id: 102, title: 'Nimbus kettle', price: '49.90' },
  { id: 103, title: 'Atlas backpack 30 L', price: '120.00' },
  { id: 104, title: 'Linen throw', price: '35.50' },
  { id: 105, title: 'Ceramic mug set', price: '24.00' },
  { id: 106, title: 'Desk organiser', price: '18.75' },
];
const CURRENCY: Readonly<Record<string, string>> = { US: 'USD', GB: 'GBP', AU: 'AUD', JP: 'JPY', AE: 'AED', IL: 'ILS' };

function orderDraft(ctx: PlanContext, person: Person, atMs: number, items?: Extract<Touch, { kind: 'order' }>['items']): Draft {
  const { rng } = ctx;
  const chosen =
    items ??
    Array.from({ length: rng.int(1, 3) }, () => ({ ...rng.pick(PRODUCTS), quantity: rng.int(1, 2) })).filter(
      (p, i, all) => all.findIndex((q) => q.id === p.id) === i,
    );
  const currency = CURRENCY[person.country] ?? 'EUR';
  const touch: Touch = {
    kind: 'order',
    orderId: 5_930_000_000_000 + Number(person.id.slice(1)),
    orderNumber: orderNumberOf(person),
    // Yen have no minor unit.
    currency,
    items: currency === 'JPY' ? chosen.map((p) => ({ ...p, price: String(Math.round(Number(p.price) * 150)) })) : chosen,
  };
  // Shopify writes the phone as the customer typed it at checkout: national format, read in the billing country.
  const guestPhoneOnly = rng.chance(0.08);
  const from: WrittenIdentity = {
    ...(guestPhoneOnly ? {} : { email: writeEmail(person.email, emailStyle(rng)) }),
    phone: writePhone(
      person.phone,
      rng.weighted<PhoneStyle>([
        ['national', 60],
        ['international', 25],
        ['e164', 15],
      ]),
    ),
  };
  return { provider: 'commerce:shopify', channel: 'commerce', personId: person.id, atMs, touch, thread: `order-${touch.orderId}`, from };
}

function surveyDraft(
  ctx: PlanContext,
  person: Person,
  atMs: number,
  upset: boolean,
  conversation?: { channel: IngestChannelId; id: string },
  fixed?: { survey: 'csat' | 'nps'; score: number; comment: string; by: 'email' | 'phone' },
): Draft {
  const { rng } = ctx;
  const survey = fixed?.survey ?? (rng.chance(0.7) ? 'csat' : 'nps');
  const score =
    fixed?.score ??
    (survey === 'csat'
      ? rng.weighted<number>(
          upset
            ? [
                [1, 4],
                [2, 3],
                [3, 2],
                [4, 1],
                [5, 1],
              ]
            : [
                [1, 1],
                [2, 1],
                [3, 2],
                [4, 5],
                [5, 7],
              ],
        )
      : rng.weighted<number>(
          upset
            ? [
                [0, 3],
                [2, 3],
                [4, 2],
                [6, 2],
                [8, 1],
                [10, 1],
              ]
            : [
                [3, 1],
                [6, 1],
                [7, 2],
                [8, 3],
                [9, 4],
                [10, 4],
              ],
        ));
  const mood = (survey === 'csat' ? score >= 4 : score >= 9)
    ? 'happy'
    : (survey === 'csat' ? score <= 2 : score <= 6)
      ? 'unhappy'
      : 'neutral';
  const comment = fixed?.comment ?? (rng.chance(0.6) ? rng.pick(SURVEY_COMMENTS[mood]) : undefined);
  // The survey link carries who it was sent to: their email, else their phone, as our systems wrote it.
  const by = fixed?.by ?? (rng.chance(0.6) ? 'email' : 'phone');
  const from: WrittenIdentity =
    by === 'email'
      ? { email: writeEmail(person.email, emailStyle(rng)) }
      : { phone: writePhone(person.phone, rng.pick<PhoneStyle>(['e164', 'international'])) };
  return {
    provider: 'survey:typeform',
    channel: 'survey',
    personId: person.id,
    atMs,
    touch: { kind: 'survey', survey, score, ...(comment ? { comment } : {}), ...(conversation ? { conversation } : {}) },
    thread: conversation?.id ?? newThread(ctx, 'survey-'),
    from,
  };
}

/** María: an email, then a text, then WhatsApp, then an order, then a CSAT survey — each provider writing her differently. */
function journey(ctx: PlanContext, maria: Person): Draft[] {
  const base = { personId: maria.id } as const;
  const mail = newThread(ctx, 'mail-');
  const wa = newThread(ctx, 'whatsapp-');
  return [
    {
      ...base,
      provider: 'email:mime',
      channel: 'email',
      atMs: at(ctx, 0.06),
      thread: mail,
      from: { email: writeEmail(maria.email, 'capitalised') },
      touch: {
        kind: 'email',
        subject: 'Question about the Aurora lamp',
        text: 'Hi,\n\nIs the Aurora floor lamp back in stock? I would like to order two.\n\nMaría\n',
        messageId: `<${mail}.aurora@example.com>`,
      },
    },
    {
      ...base,
      provider: 'sms:twilio',
      channel: 'sms',
      atMs: at(ctx, 0.19),
      thread: newThread(ctx, 'sms-'),
      from: { phone: writePhone(maria.phone, 'international') },
      touch: { kind: 'message', text: 'Hi, it’s María — I emailed this morning about the Aurora lamp. Any news?' },
    },
    {
      ...base,
      provider: 'whatsapp:meta',
      channel: 'whatsapp',
      atMs: at(ctx, 0.34),
      thread: wa,
      from: { phone: writePhone(maria.phone, 'digits') },
      touch: { kind: 'message', text: 'Just saw it is back in stock! Is there a discount if I buy two? 💡' },
    },
    {
      ...orderDraft(ctx, maria, at(ctx, 0.47), [{ ...PRODUCTS[0]!, quantity: 2 }]),
      from: { email: writeEmail(maria.email, 'upper'), phone: writePhone(maria.phone, 'national') },
    },
    surveyDraft(
      ctx,
      maria,
      at(ctx, 0.9),
      false,
      { channel: 'whatsapp', id: wa },
      { survey: 'csat', score: 5, comment: 'Quick and friendly, thanks!', by: 'email' },
    ),
  ];
}

/** Dmitri: two abandoned calls, an outage text, a callback, a detractor score, then he wants to cancel. */
function atRisk(ctx: PlanContext, dmitri: Person): Draft[] {
  const base = { personId: dmitri.id } as const;
  const phone = (style: PhoneStyle): WrittenIdentity => ({ phone: writePhone(dmitri.phone, style) });
  const call = (outcome: 'answered' | 'abandoned', direction: 'inbound' | 'outbound', queueSeconds: number): Touch => ({
    kind: 'call',
    direction,
    outcome,
    queue: 'Support',
    queueSeconds,
    talkSeconds: outcome === 'answered' ? 540 : 0,
    agent: 'tom.becker',
  });
  const sms = newThread(ctx, 'sms-');
  return [
    {
      ...base,
      provider: 'voice:amazon-connect',
      channel: 'voice',
      atMs: at(ctx, 0.03),
      thread: newThread(ctx, 'call-'),
      from: phone('e164'),
      touch: call('abandoned', 'inbound', 380),
    },
    {
      ...base,
      provider: 'voice:amazon-connect',
      channel: 'voice',
      atMs: at(ctx, 0.05),
      thread: newThread(ctx, 'call-'),
      from: phone('e164'),
      touch: call('abandoned', 'inbound', 610),
    },
    {
      ...base,
      provider: 'sms:twilio',
      channel: 'sms',
      atMs: at(ctx, 0.08),
      thread: sms,
      from: phone('e164'),
      touch: { kind: 'message', text: 'My internet is down again. Third outage this month, this is unacceptable.' },
    },
    {
      ...base,
      provider: 'sms:twilio',
      channel: 'sms',
      atMs: at(ctx, 0.09),
      thread: sms,
      from: phone('e164'),
      touch: { kind: 'message', text: 'Two calls, nobody answers. Can someone call me back?' },
    },
    {
      ...base,
      provider: 'voice:twilio',
      channel: 'voice',
      atMs: at(ctx, 0.22),
      thread: newThread(ctx, 'call-'),
      from: phone('e164'),
      touch: call('answered', 'outbound', 0),
    },
    surveyDraft(ctx, dmitri, at(ctx, 0.5), true, undefined, {
      survey: 'nps',
      score: 0,
      comment: 'Three outages and an hour on hold.',
      by: 'phone',
    }),
    {
      ...base,
      provider: 'whatsapp:meta',
      channel: 'whatsapp',
      atMs: at(ctx, 0.8),
      thread: newThread(ctx, 'whatsapp-'),
      from: phone('digits'),
      touch: { kind: 'message', text: 'Down again tonight. I want to cancel my contract.' },
    },
  ];
}

/** `count` of `items`, drawn without replacement, each as likely as its weight. */
function pickWeighted<T>(rng: Rng, items: readonly T[], count: number, weight: (item: T) => number): T[] {
  const pool = items.map((item) => [item, weight(item)] as const).filter(([, w]) => w > 0);
  const out: T[] = [];
  while (out.length < count && pool.length > 0) {
    const item = rng.weighted(pool);
    out.push(item);
    pool.splice(
      pool.findIndex(([i]) => i === item),
      1,
    );
  }
  return out;
}

/** Faults spread over the providers in turn (from a random one), at random times, claiming to be random people. */
function faultDrafts(
  ctx: PlanContext,
  rng: Rng,
  people: readonly Person[],
  fault: Fault,
  count: number,
  providers: readonly ProviderKey[],
): Draft[] {
  const offset = rng.int(0, providers.length - 1);
  return Array.from({ length: count }, (_, i): Draft => {
    const provider = providers[(offset + i) % providers.length]!;
    const draft = oneDelivery(ctx, rng.pick(people), provider, timeOfDay(rng, ctx.window));
    const text =
      fault === 'forged'
        ? rng.pick(['Please send my card PIN to this number', 'Refund to account 1234 please', 'Change my email to attacker@example.org'])
        : undefined;
    return {
      ...draft,
      ...(text && draft.touch.kind === 'message' ? { touch: { kind: 'message', text } } : {}),
      thread: newThread(ctx, `${fault}-`),
      fault,
    };
  });
}

/** One ordinary delivery of `provider` from `person`: what a fault is a broken copy of. */
function oneDelivery(ctx: PlanContext, person: Person, provider: ProviderKey, atMs: number): Draft {
  const channel = channelOf(provider);
  if (channel === 'commerce') return orderDraft(ctx, person, atMs);
  if (channel === 'survey') return surveyDraft(ctx, person, atMs, false);
  const touch: Touch =
    channel === 'voice'
      ? callTouch(ctx.rng, 'inbound', false)
      : channel === 'email'
        ? {
            kind: 'email',
            subject: 'Hello',
            text: 'Hello,\n\nWhere is my order?\n',
            messageId: `<fault.${ctx.threads}@${person.email.split('@')[1]}>`,
          }
        : { kind: 'message', text: ctx.rng.pick(['hello', 'Where is my order?', 'Are you open today?']) };
  const from = channel === 'webchat' ? { email: person.email } : writtenFrom(ctx, person, provider);
  return { provider, channel, personId: person.id, atMs, touch, thread: newThread(ctx, 'x-'), from };
}
