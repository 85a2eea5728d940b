import { parseDefaultRegions } from './phone-regions';

describe('QUERY_DEFAULT_REGIONS', () => {
  it('maps each tenant to its region, in either case', () => {
    const r = parseDefaultRegions(['acme:us', 'shop-uk:GB']);
    expect(r.problems).toEqual([]);
    expect([...r.byTenant]).toEqual([
      ['acme', 'US'],
      ['shop-uk', 'GB'],
    ]);
  });

  it('names an unknown region and a tenant given two', () => {
    expect(parseDefaultRegions(['acme:XX', 'b:US', 'b:GB']).problems).toEqual([
      expect.stringContaining('"XX" (for acme) is not an ISO 3166-1 alpha-2 country code'),
      'tenant b is given two regions (US and GB)',
    ]);
  });
});
