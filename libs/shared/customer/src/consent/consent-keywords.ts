/**
 * Carrier-standard SMS opt-out / opt-in keywords (the ones Twilio honours by default). A message
 * that is exactly one of them, ignoring case and surrounding punctuation, changes consent.
 */
const OPT_OUT = new Set(['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT', 'OPTOUT', 'REVOKE']);
const OPT_IN = new Set(['START', 'UNSTOP', 'YES', 'OPTIN']);

export type ConsentSignal = 'opt_out' | 'opt_in' | undefined;

export function consentSignal(text: string | undefined): ConsentSignal {
  if (!text) return undefined;
  const word = text
    .trim()
    .replace(/[.!\s]+$/, '')
    .toUpperCase();
  if (OPT_OUT.has(word)) return 'opt_out';
  if (OPT_IN.has(word)) return 'opt_in';
  return undefined;
}

const HELP = new Set(['HELP', 'INFO']);

/**
 * The consent keyword a message is, if any, for channels to stamp on the canonical event:
 * `{ signal, keyword }` with the keyword upper-cased as matched (`STOP`, `UNSTOP`, `HELP`).
 */
export function consentKeyword(text: string | undefined): { signal: 'opt_out' | 'opt_in' | 'help'; keyword: string } | undefined {
  if (!text) return undefined;
  const word = text
    .trim()
    .replace(/[.!\s]+$/, '')
    .toUpperCase();
  if (OPT_OUT.has(word)) return { signal: 'opt_out', keyword: word };
  if (OPT_IN.has(word)) return { signal: 'opt_in', keyword: word };
  if (HELP.has(word)) return { signal: 'help', keyword: word };
  return undefined;
}
