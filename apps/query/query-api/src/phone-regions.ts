import type { CountryCode } from 'libphonenumber-js';
import { PHONE_REGIONS } from './query-params';

/** `<tenant>:<region>` as QUERY_DEFAULT_REGIONS lists them. */
export const DEFAULT_REGION_ENTRY = /^[a-z0-9][a-z0-9_-]*:[A-Za-z]{2}$/;

/** QUERY_DEFAULT_REGIONS → each tenant's default phone region, with one problem per entry that cannot be one. */
export function parseDefaultRegions(entries: readonly string[]): { byTenant: ReadonlyMap<string, CountryCode>; problems: string[] } {
  const byTenant = new Map<string, CountryCode>();
  const problems: string[] = [];
  for (const entry of entries) {
    const [tenant, raw] = entry.split(':') as [string, string];
    const region = raw.toUpperCase() as CountryCode;
    if (!PHONE_REGIONS.includes(region))
      problems.push(`${JSON.stringify(raw)} (for ${tenant}) is not an ISO 3166-1 alpha-2 country code libphonenumber knows, e.g. US or GB`);
    else if (byTenant.has(tenant) && byTenant.get(tenant) !== region)
      problems.push(`tenant ${tenant} is given two regions (${byTenant.get(tenant)} and ${region})`);
    else byTenant.set(tenant, region);
  }
  return { byTenant, problems };
}
