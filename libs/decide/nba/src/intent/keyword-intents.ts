/**
 * Keyword intents of a customer's message, read by the decision engine's facts (`facts/facts.ts`).
 * Whole words only (`opener` is not `open`), case-insensitive.
 */

export const AT_RISK_WORDS = ['cancel', 'refund', 'complaint', 'terrible', 'angry', 'unacceptable', 'worst', 'lawyer'] as const;
export const GRATITUDE_WORDS = [
  'thanks',
  'thank you',
  'thx',
  'gracias',
  'merci',
  'danke',
  'got it',
  'sorted',
  'resolved',
  'perfect',
] as const;
export const CALLBACK_WORDS = ['call me', 'callback', 'call back', 'speak to someone', 'agent', 'human'] as const;
export const BUYING_WORDS = ['upgrade', 'price', 'pricing', 'plan', 'deal', 'discount'] as const;

export const ROUTINE_INTENTS = ['order_tracking', 'password_reset', 'opening_hours', 'update_address', 'balance'] as const;
export type RoutineIntent = (typeof ROUTINE_INTENTS)[number];

/** Routine inquiries by keyword, with the self-service article that answers them. */
export const ROUTINE_KEYWORDS: Readonly<Record<string, { intent: RoutineIntent; code: string; detail: string }>> = {
  'where is my order': { intent: 'order_tracking', code: 'kb_order_tracking', detail: 'Send the order-tracking link' },
  'order status': { intent: 'order_tracking', code: 'kb_order_tracking', detail: 'Send the order-tracking link' },
  track: { intent: 'order_tracking', code: 'kb_order_tracking', detail: 'Send the order-tracking link' },
  password: { intent: 'password_reset', code: 'kb_password_reset', detail: 'Send the self-service password reset link' },
  hours: { intent: 'opening_hours', code: 'kb_opening_hours', detail: 'Send opening hours' },
  open: { intent: 'opening_hours', code: 'kb_opening_hours', detail: 'Send opening hours' },
  address: { intent: 'update_address', code: 'kb_update_address', detail: 'Send the self-service address change link' },
  balance: { intent: 'balance', code: 'kb_balance', detail: 'Send the balance lookup link' },
};

export const INTENTS = ['closing', 'complaint', 'callback', ...ROUTINE_INTENTS, 'buying', 'none'] as const;
export type Intent = (typeof INTENTS)[number];

const patterns = new Map<string, RegExp>();
/** Whether `text` contains `word` as a whole word (or phrase), ignoring case. */
export function matchesWord(word: string, text: string): boolean {
  let re = patterns.get(word);
  if (!re) {
    re = new RegExp(`\\b${word}\\b`, 'i');
    patterns.set(word, re);
  }
  return re.test(text);
}

export const firstWordIn = (words: readonly string[], text: string): string | undefined => words.find((w) => matchesWord(w, text));

/** A short message of thanks with no question in it: the customer is closing the conversation. */
export function closingThanks(text: string): string | undefined {
  if (text.includes('?') || text.trim().split(/\s+/).length > 6) return undefined;
  return firstWordIn(GRATITUDE_WORDS, text);
}

export interface IntentMatch {
  intent: Intent;
  /** The keyword that decided it (null for `none`). Quotes the customer: personal data. */
  keyword: string | null;
}

/**
 * The intent of one message, first match wins: closing thanks, then a complaint (an at-risk word),
 * a request for a person, a routine inquiry, buying intent.
 */
export function intentOf(text: string | undefined): IntentMatch {
  const t = text ?? '';
  const closing = closingThanks(t);
  if (closing) return { intent: 'closing', keyword: closing };
  const complaint = firstWordIn(AT_RISK_WORDS, t);
  if (complaint) return { intent: 'complaint', keyword: complaint };
  const callback = firstWordIn(CALLBACK_WORDS, t);
  if (callback) return { intent: 'callback', keyword: callback };
  const routine = firstWordIn(Object.keys(ROUTINE_KEYWORDS), t);
  if (routine) return { intent: ROUTINE_KEYWORDS[routine]!.intent, keyword: routine };
  const buying = firstWordIn(BUYING_WORDS, t);
  if (buying) return { intent: 'buying', keyword: buying };
  return { intent: 'none', keyword: null };
}
