/**
 * What a customer's own words say about them, beyond the request itself. Recorded on the
 * interaction (`InteractionRecorded.data.textSignals`) and folded into the customer's state.
 *
 * - `complaint`: the customer complains (bad service, a defect, anger, a formal complaint);
 * - `refund_cancel`: the customer asks for their money back, to cancel an order, a subscription or
 *   a contract, or to close the account — or chases a refund not received;
 * - `repeat_contact`: the customer says they have written or called before without an answer
 *   ("this is my third message", "still no reply");
 * - `urgency`: the customer says it is urgent (and not "not urgent").
 */
export const TEXT_SIGNALS = ['complaint', 'refund_cancel', 'repeat_contact', 'urgency'] as const;
export type TextSignal = (typeof TEXT_SIGNALS)[number];

export const isTextSignal = (v: unknown): v is TextSignal => typeof v === 'string' && (TEXT_SIGNALS as readonly string[]).includes(v);

/** Languages with a lexicon of their own (ISO 639-1). */
export const TEXT_SIGNAL_LANGUAGES = ['en', 'ar', 'fa', 'bg', 'ru', 'es', 'pt'] as const;
export type TextSignalLanguage = (typeof TEXT_SIGNAL_LANGUAGES)[number];

/**
 * The version of the lexicons and of the matching rules. Recorded beside the signals an interaction
 * carries, so a later reader knows which detector found them. Bump it on any change of a lexicon
 * or of how cues, negation and clauses are matched.
 */
export const TEXT_SIGNALS_VERSION = 'lexicon-2025.07-1';
