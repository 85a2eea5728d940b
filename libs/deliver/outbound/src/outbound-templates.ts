import type { ChannelId } from '@hub/contracts';
import type { CustomerState } from '@hub/customer';
import { nbaReplyId } from '@hub/nba';

/**
 * The text of each action per channel and locale: `{name}` placeholders filled from the customer's
 * traits (`{first_name}`), with a fallback after a pipe (`{first_name|there}`). The catalog's
 * action ids are the keys; an action without a template for the chosen channel is not sent
 * (skipped as `no_template`), never sent as some default text.
 */
export type OutboundTemplates = Readonly<Record<string, Partial<Record<ChannelId, Readonly<Record<string, string>>>>>>;

export const DEFAULT_LOCALE = 'en';

/** The English texts of the current catalog's actions that send a message (catalog v2). */
const TEXTS_EN: Readonly<Record<string, string>> = {
  kb_order_tracking: 'Hi {first_name|there}, you can follow your order here: {order_tracking_url|https://example.com/orders}',
  kb_password_reset: 'Hi {first_name|there}, reset your password here: {password_reset_url|https://example.com/reset}',
  kb_opening_hours: 'Hi {first_name|there}, we are open {opening_hours|Mon–Fri 9:00–18:00}.',
  kb_update_address: 'Hi {first_name|there}, you can change your address here: {address_url|https://example.com/address}',
  kb_balance: 'Hi {first_name|there}, check your balance here: {balance_url|https://example.com/balance}',
  schedule_callback: 'Hi {first_name|there}, reply with a time that suits you and an agent will call you back.',
  service_recovery: 'Hi {first_name|there}, we are sorry we let you down. We have added a goodwill credit to your account.',
  nps_detractor_callback: 'Hi {first_name|there}, thank you for your feedback. May we call you to hear more? Reply YES.',
  retention_offer: 'Hi {first_name|there}, as a thank-you for staying with us, here is a loyalty discount: {offer_code|LOYAL10}',
  offer_upgrade: 'Hi {first_name|there}, switch to the annual plan and save. Reply UPGRADE to learn more.',
  csat_survey: 'Hi {first_name|there}, how did we do today? Reply with a score from 1 (poor) to 5 (great).',
};

/** Each action's text on each channel with a sender (the same words on SMS, Telegram and WhatsApp), by locale. */
export const OUTBOUND_TEMPLATES: OutboundTemplates = Object.fromEntries(
  Object.entries(TEXTS_EN).map(([action, en]) => [action, { sms: { en }, telegram: { en }, whatsapp: { en }, email: { en } }]),
);

/** The subject of each action's email. */
export const OUTBOUND_SUBJECTS: Readonly<Record<string, string>> = {
  kb_order_tracking: 'Where your order is',
  kb_password_reset: 'Resetting your password',
  kb_opening_hours: 'Our opening hours',
  kb_update_address: 'Changing your address',
  kb_balance: 'Your balance',
  schedule_callback: 'Shall we call you back?',
  service_recovery: 'We are sorry',
  nps_detractor_callback: 'Thank you for your feedback',
  retention_offer: 'A thank-you for staying with us',
  offer_upgrade: 'Save with the annual plan',
  csat_survey: 'How did we do?',
};

/** One reply button: its id comes back as the reply's `interactive.id` (a Telegram callback query's data). */
export interface ReplyButton {
  id: string;
  title: string;
}

/** The titles of an action's two answers: accepting it, declining it. */
export type OutboundReplyButtons = Readonly<Record<string, { accept: string; decline: string }>>;

/**
 * The answers offered with an action's message on channels that show buttons (Telegram's inline
 * keyboard, WhatsApp's reply buttons; SMS and email ignore them). Each button's id is the decision's
 * reply id (`nbaReplyId`: `nba:<decisionId>:accept|decline`), which the nba-worker reads back from
 * the customer's reply as the decision's outcome (docs/events.md, the reply outcomes).
 */
export const OUTBOUND_REPLY_BUTTONS: OutboundReplyButtons = {
  schedule_callback: { accept: 'Call me back', decline: 'No, thanks' },
  nps_detractor_callback: { accept: 'Yes, call me', decline: 'No, thanks' },
  retention_offer: { accept: 'Yes, please', decline: 'No, thanks' },
  offer_upgrade: { accept: 'Upgrade', decline: 'Not now' },
};

/** The buttons of one decision's message: accept and decline, each with the decision's reply id. */
export function replyButtonsOf(buttons: OutboundReplyButtons, actionCode: string, decisionId: string): ReplyButton[] | undefined {
  const titles = buttons[actionCode];
  if (!titles) return undefined;
  return [
    { id: nbaReplyId(decisionId, 'accept'), title: titles.accept },
    { id: nbaReplyId(decisionId, 'decline'), title: titles.decline },
  ];
}

/** The customer's locale: the `locale` trait (`es`, `pt-BR`), else the default. */
export function localeOf(state: CustomerState): string {
  const locale = state.traits['locale'];
  return typeof locale === 'string' && locale !== '' ? locale : DEFAULT_LOCALE;
}

/**
 * The message of an action on a channel for this customer: the template of their locale (then its
 * language, then the default locale), filled from their traits; undefined when there is none.
 */
export function renderOutboundMessage(
  templates: OutboundTemplates,
  actionCode: string,
  channel: ChannelId,
  state: CustomerState,
): { body: string; locale: string } | undefined {
  const byLocale = templates[actionCode]?.[channel];
  if (!byLocale) return undefined;
  const wanted = localeOf(state);
  const locale = [wanted, wanted.split('-')[0]!, DEFAULT_LOCALE].find((l) => byLocale[l] !== undefined);
  if (locale === undefined) return undefined;
  const body = byLocale[locale]!.replace(/\{([a-z0-9_]+)(?:\|([^}]*))?\}/g, (_, name: string, fallback: string | undefined) => {
    const v = state.traits[name];
    return v === undefined || v === null || v === '' ? (fallback ?? '') : String(v);
  });
  return { body, locale };
}
