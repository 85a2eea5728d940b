import type { Language } from './people';
import type { Rng } from './prng';

/**
 * What customers write about, per intent: the openers (a few languages), follow-ups and closings
 * of a conversation. The words are the ones the next-best-action rules react to (refund, cancel,
 * call me back, password, upgrade…), so the day produces the decisions a real one would.
 */

export const INTENTS = [
  'order_status',
  'damaged',
  'refund',
  'cancel',
  'outage',
  'billing',
  'password',
  'hours',
  'address',
  'upgrade',
  'callback',
  'product',
] as const;
export type Intent = (typeof INTENTS)[number];

/** How common each intent is on a retailer's service channels. */
export const INTENT_MIX: readonly (readonly [Intent, number])[] = [
  ['order_status', 24],
  ['product', 12],
  ['damaged', 7],
  ['refund', 7],
  ['billing', 8],
  ['password', 8],
  ['hours', 6],
  ['address', 6],
  ['upgrade', 7],
  ['callback', 6],
  ['outage', 5],
  ['cancel', 4],
];

/** Intents of an unhappy customer: their conversations run longer and their surveys score lower. */
export const UPSET_INTENTS: ReadonlySet<Intent> = new Set(['damaged', 'refund', 'cancel', 'outage', 'billing']);

type Texts = readonly string[];

const OPENERS: Readonly<Record<Intent, Partial<Record<Language, Texts>> & { en: Texts }>> = {
  order_status: {
    en: [
      'Hi, where is my order #{order}? It was due yesterday.',
      'Can you check the order status for #{order}?',
      'Hello! Any idea when order {order} will arrive?',
      'My parcel still says "label created". Order #{order}, can you track it?',
    ],
    es: ['Hola, ¿dónde está mi pedido #{order}? Debía llegar ayer.'],
    fr: ['Bonjour, où en est ma commande #{order} ? Elle devait arriver hier.'],
    de: ['Hallo, wo ist meine Bestellung #{order}? Sie sollte gestern kommen.'],
    ar: ['مرحبا، أين طلبي رقم {order}؟ كان من المفترض أن يصل أمس.'],
    he: ['שלום, איפה ההזמנה שלי {order}? היא הייתה אמורה להגיע אתמול.'],
    ja: ['こんにちは、注文 #{order} はどこですか？昨日届く予定でした。'],
  },
  damaged: {
    en: [
      'Package arrived damaged, I want a refund. Order #{order}.',
      'The lamp I got is cracked 😞 order {order}',
      'Half the items in order #{order} are broken.',
    ],
    es: ['El paquete llegó dañado. Pedido #{order}.'],
    de: ['Das Paket kam beschädigt an. Bestellung #{order}.'],
  },
  refund: {
    en: [
      'I returned order #{order} two weeks ago and still no refund.',
      'When will I get my refund for #{order}?',
      'I want a refund, the item is not as described.',
    ],
    fr: ['Je veux un remboursement pour la commande #{order}.'],
  },
  cancel: {
    en: [
      'I want to cancel my subscription.',
      'Please cancel my membership, this is the worst service I have had.',
      'How do I cancel? I have asked twice already.',
    ],
    es: ['Quiero cancelar mi suscripción.'],
  },
  outage: {
    en: [
      'My internet is down again. Third outage this month, this is unacceptable.',
      'The app has not worked since this morning.',
      'Service is down in my area, again.',
    ],
    de: ['Mein Internet ist schon wieder ausgefallen.'],
  },
  billing: {
    en: ['I was charged twice for order {order}.', 'There is a charge on my card I do not recognise.', 'Why is my bill higher this month?'],
    ar: ['تم خصم المبلغ مرتين من بطاقتي.'],
  },
  password: {
    en: [
      'How do I reset my password? 🙏',
      'I forgot my password and the reset email never arrives.',
      'Locked out of my account, password not working.',
    ],
    ja: ['パスワードをリセットするにはどうすればいいですか？ password'],
  },
  hours: {
    en: [
      'What are your opening hours on Sunday?',
      'Is the Market Street store open today? What hours?',
      'Are you open on the bank holiday?',
    ],
    es: ['¿Cuál es el horario de apertura? hours'],
  },
  address: {
    en: [
      'Can you update my delivery address?',
      'I moved, please change the address on my account.',
      'Wrong address on order #{order}, can I change it?',
    ],
  },
  upgrade: {
    en: [
      'Is there a discount if I upgrade to the annual plan?',
      'What is the price of the family plan?',
      'Any deal on the premium plan this month?',
    ],
    fr: ['Y a-t-il une réduction sur le plan annuel ? deal'],
  },
  callback: {
    en: ['Can someone call me back please?', 'I would like to speak to someone, not a bot.', 'Please call me, I need a human.'],
    he: ['אפשר שמישהו יחזור אליי? callback'],
  },
  product: {
    en: [
      'Is the Aurora floor lamp back in stock?',
      'Does the Nimbus kettle come in black?',
      'Do you ship to Canada?',
      'What size is the Atlas backpack, 30 or 40 litres?',
    ],
    es: ['¿Tienen la lámpara Aurora en stock?'],
    de: ['Gibt es den Nimbus Wasserkocher auch in Schwarz?'],
  },
};

const FOLLOW_UPS: Texts = [
  'Hello??',
  'Any update?',
  'Still waiting for an answer.',
  'The order number is #{order}.',
  'I have been waiting for 20 minutes.',
  'Can someone call me back please?',
  'I sent a photo earlier.',
  'It is the one I ordered on Monday.',
  'This is the third time I ask.',
];

const CLOSINGS: Readonly<Record<Language, Texts>> = {
  en: ['Thanks!', 'Got it, thanks', 'Perfect, thank you 🙏', 'Sorted, thanks!', 'thx'],
  es: ['Gracias!', 'Perfecto, gracias'],
  fr: ['Merci !', 'Parfait, merci'],
  de: ['Danke!', 'Perfekt, danke'],
  ar: ['شكرا جزيلا', 'Thanks!'],
  he: ['תודה רבה', 'Thanks!'],
  ja: ['ありがとうございます', 'Thanks!'],
};

const SUBJECTS: Readonly<Record<Intent, Texts>> = {
  order_status: ['Where is my order #{order}?', 'Order #{order} not arrived'],
  damaged: ['Damaged delivery, order #{order}', 'Broken item'],
  refund: ['Refund for order #{order}', 'Still waiting for my refund'],
  cancel: ['Cancel my subscription', 'Cancellation request'],
  outage: ['Service down again', 'Outage complaint'],
  billing: ['Charged twice', 'Question about my bill'],
  password: ['Password reset not working', 'Cannot log in'],
  hours: ['Opening hours', 'Store hours on Sunday'],
  address: ['Change of address', 'Update delivery address'],
  upgrade: ['Annual plan pricing', 'Upgrade question'],
  callback: ['Please call me back', 'Callback request'],
  product: ['Question about the Aurora lamp', 'Stock question'],
};

/** Fill `{order}` with the person's order number. */
const fill = (text: string, order: number): string => text.replace(/\{order\}/g, String(order));

export function openerText(rng: Rng, intent: Intent, language: Language, order: number): string {
  const texts = OPENERS[intent];
  const own = texts[language];
  return fill(rng.pick(own && rng.chance(0.7) ? own : texts.en), order);
}

export const followUpText = (rng: Rng, order: number): string => fill(rng.pick(FOLLOW_UPS), order);
export const closingText = (rng: Rng, language: Language): string => rng.pick(rng.chance(0.7) ? CLOSINGS[language] : CLOSINGS.en);
export const subjectText = (rng: Rng, intent: Intent, order: number): string => fill(rng.pick(SUBJECTS[intent]), order);

/** An email body: greeting, the opener, a line of detail, a sign-off. */
export function emailBody(rng: Rng, intent: Intent, language: Language, order: number, firstName: string): string {
  const detail = rng.pick([
    'Could you look into it today?',
    'I would appreciate a quick reply.',
    'Order details are in my account.',
    'Thank you in advance.',
  ]);
  return `Hi,\n\n${openerText(rng, intent, language, order)}\n${detail}\n\nBest regards,\n${firstName}\n`;
}

export const SURVEY_COMMENTS = {
  happy: ['Quick and friendly, thanks!', 'Sorted in minutes.', 'Great help from the agent.', 'Very clear answer.'],
  neutral: ['OK in the end.', 'Took a while but fine.', 'Had to explain twice.'],
  unhappy: ['Three days without an answer.', 'Nobody called me back.', 'Still not resolved.', 'An hour on hold, terrible.'],
} as const;
