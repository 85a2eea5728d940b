/**
 * Money as the hub holds it: a whole number of the currency's minor unit, computed from Shopify's
 * decimal strings ("199.00", "1500", "12.345") digit by digit — never through a float, where
 * 0.29 × 100 is 28.999999999999996.
 *
 * Minor units are ISO 4217's (the list below), not `Intl.NumberFormat`'s: Intl gives CLDR's
 * *display* digits, which differ from ISO for several currencies (HUF and IDR display 0 digits but
 * have 2 minor units; IQD displays 0 but has 3).
 */

/** ISO 4217 currencies whose minor unit is not 1/100. Everything else well-formed has 2 decimals. */
const MINOR_UNIT_DIGITS: Readonly<Record<string, number>> = Object.freeze({
  // 0 decimals
  BIF: 0,
  CLP: 0,
  DJF: 0,
  GNF: 0,
  ISK: 0,
  JPY: 0,
  KMF: 0,
  KRW: 0,
  PYG: 0,
  RWF: 0,
  UGX: 0,
  UYI: 0,
  VND: 0,
  VUV: 0,
  XAF: 0,
  XOF: 0,
  XPF: 0,
  // 3 decimals
  BHD: 3,
  IQD: 3,
  JOD: 3,
  KWD: 3,
  LYD: 3,
  OMR: 3,
  TND: 3,
  // 4 decimals
  CLF: 4,
  UYW: 4,
});

/** ISO 4217 codes with no minor unit at all (precious metals, SDR, bond units, testing codes): not money we can count. */
const NO_MINOR_UNIT = new Set(['XAG', 'XAU', 'XBA', 'XBB', 'XBC', 'XBD', 'XDR', 'XPD', 'XPT', 'XSU', 'XTS', 'XUA', 'XXX']);

const CURRENCY_PATTERN = /^[A-Z]{3}$/;
const DECIMAL_PATTERN = /^(\d+)(?:\.(\d+))?$/;

export type MoneyResult = { ok: true; value: number } | { ok: false; reason: string };

/** How many decimals the currency's minor unit has, or undefined for a code that is not countable money. */
export function minorUnitDigits(currency: string): number | undefined {
  if (!CURRENCY_PATTERN.test(currency) || NO_MINOR_UNIT.has(currency)) return undefined;
  return MINOR_UNIT_DIGITS[currency] ?? 2;
}

/**
 * "12.30" USD → 1230; "1500" or "1500.00" JPY → 1500; "12.345" KWD → 12345. Trailing zeros beyond
 * the minor unit are fine; any other digit there ("1500.50" JPY, "19.999" USD) is money that
 * cannot be held exactly, and so is a negative, an exponent or more than 2^53 − 1 minor units.
 */
export function toMinorUnits(amount: string, currency: string): MoneyResult {
  const digits = minorUnitDigits(currency);
  if (digits === undefined) return { ok: false, reason: `${JSON.stringify(currency)} is not a currency with a minor unit` };
  const match = DECIMAL_PATTERN.exec(amount);
  if (!match) return { ok: false, reason: `${JSON.stringify(amount)} is not a non-negative decimal amount` };
  const whole = match[1]!;
  const fraction = match[2] ?? '';
  if (/[1-9]/.test(fraction.slice(digits)))
    return { ok: false, reason: `${amount} ${currency} has more decimals than the currency's ${digits}` };
  const minor = BigInt(whole) * 10n ** BigInt(digits) + BigInt(fraction.slice(0, digits).padEnd(digits, '0') || '0');
  if (minor > BigInt(Number.MAX_SAFE_INTEGER)) return { ok: false, reason: `${amount} ${currency} is too large to hold exactly` };
  return { ok: true, value: Number(minor) };
}
