import { minorUnitDigits, toMinorUnits } from './money';

describe('money in minor units', () => {
  describe('when Shopify sends an amount the currency can hold exactly', () => {
    it.each([
      ['199.00', 'USD', 19900],
      ['0.00', 'USD', 0],
      ['0.10', 'USD', 10],
      ['0.29', 'USD', 29], // 0.29 * 100 === 28.999999999999996 as floats
      ['19.99', 'EUR', 1999], // 19.99 * 100 === 1998.9999999999998
      ['12.3', 'USD', 1230],
      ['7', 'GBP', 700],
      ['00012.30', 'CAD', 1230],
      ['1500', 'JPY', 1500],
      ['1500.00', 'JPY', 1500],
      ['15800', 'KRW', 15800],
      ['12.345', 'KWD', 12345],
      ['12.3', 'KWD', 12300],
      ['0.001', 'BHD', 1],
      ['1.2345', 'CLF', 12345],
      ['1500.00', 'HUF', 150000], // ISO 4217: 2 minor units, although Intl displays HUF with 0
      ['25000.00', 'IDR', 2500000], // likewise
      ['250.125', 'IQD', 250125], // ISO 4217: 3, Intl displays 0
      ['90071992547409.91', 'USD', Number.MAX_SAFE_INTEGER],
    ])('then %s %s is %i minor units', (amount, currency, expected) => {
      expect(toMinorUnits(amount, currency)).toEqual({ ok: true, value: expected });
    });
  });

  describe('when the amount cannot be held exactly or is not an amount', () => {
    it.each([
      ['1500.50', 'JPY', 'more decimals than the currency'],
      ['19.999', 'USD', 'more decimals than the currency'],
      ['1.005', 'USD', 'more decimals than the currency'],
      ['12.3456', 'KWD', 'more decimals than the currency'],
      ['90071992547409.92', 'USD', 'too large to hold exactly'],
      ['-5.00', 'USD', 'not a non-negative decimal amount'],
      ['1e3', 'USD', 'not a non-negative decimal amount'],
      ['1,000.00', 'USD', 'not a non-negative decimal amount'],
      ['', 'USD', 'not a non-negative decimal amount'],
      ['.50', 'USD', 'not a non-negative decimal amount'],
      ['10.00', 'XAU', 'not a currency with a minor unit'],
      ['10.00', 'usd', 'not a currency with a minor unit'],
      ['10.00', 'US', 'not a currency with a minor unit'],
    ])('then %j %s is refused: %s', (amount, currency, reason) => {
      expect(toMinorUnits(amount, currency)).toEqual({ ok: false, reason: expect.stringContaining(reason) });
    });
  });

  describe('the minor unit of a currency (ISO 4217)', () => {
    it.each([
      ['USD', 2],
      ['EUR', 2],
      ['JPY', 0],
      ['KRW', 0],
      ['VND', 0],
      ['CLP', 0],
      ['ISK', 0],
      ['KWD', 3],
      ['BHD', 3],
      ['TND', 3],
      ['CLF', 4],
      ['HUF', 2],
      ['MGA', 2],
      ['XAU', undefined],
      ['XXX', undefined],
    ])('then %s has %p decimals', (currency, digits) => {
      expect(minorUnitDigits(currency)).toBe(digits);
    });
  });
});
