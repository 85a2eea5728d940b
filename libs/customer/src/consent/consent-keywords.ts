/**
 * Carrier-standard SMS opt-out / opt-in keywords (the ones Twilio honours by default). A message
 * that is exactly one of them, ignoring case and surrounding punctuation, changes consent.
 */
const OPT_OUT = new Set(['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT', 'OPTOUT', 'REVOKE']);
const OPT_IN = new Set(['START', 'UNSTOP', 'YES', 'OPTIN']);

export type ConsentSignal = 'opt_out' | 'opt_in' | undefined;

export function consentSignal(text: string | undefined): ConsentSignal {
  if (!text) return undefined;
  const word = text.trim().replace(/[.!\s]+$/, '').toUpperCase();
  if (OPT_OUT.has(word)) return 'opt_out';
  if (OPT_IN.has(word)) return 'opt_in';
  return undefined;
}
