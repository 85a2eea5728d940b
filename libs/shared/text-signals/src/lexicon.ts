import type { TextSignal, TextSignalLanguage } from './text-signals';

/**
 * One language's cues, written as a customer writes them, in a small pattern language compiled by
 * `compileLexicon` (both the patterns and the message go through `normalizeText` first, so write
 * words with their usual accents and letters):
 *
 * - a space between words matches any run of spaces;
 * - `*` at the end of a word matches the rest of the word (stems: `refund*`, `жалоб*`, `مستعجل*`);
 * - ` ~ ` between words matches up to three words in between (`want ~ money back`);
 * - `(a|b)` and `?` are regular-expression alternatives and options; `\s?` an optional space.
 *
 * A cue matches whole words only. It does not count when it is negated: a negator among the
 * `negationWindow` words before it in the same clause (`not urgent`, `no quiero cancelar`), or one
 * of `negatorsAfter` right after it (Persian `فوری نیست`). Clauses end at punctuation and at
 * `clauseBreaks` (`but`, `pero`, `но`, `لكن`, `ولی`). Cues that contain their own negation
 * ("haven't received my refund", "still no answer") are matched as written.
 */
export interface Lexicon {
  language: TextSignalLanguage;
  cues: Readonly<Record<TextSignal, readonly string[]>>;
  /** Whole words that negate a cue shortly after them (each a pattern as above, matched against one word). */
  negators: readonly string[];
  negationWindow: number;
  /** Whole words that negate the cue right before them (within two words). */
  negatorsAfter?: readonly string[];
  clauseBreaks: readonly string[];
  /** A prefix that may be attached to any cue word (Arabic `و` `ف` `ب` `ل` `ك` and the article `ال`). */
  proclitics?: string;
}
