/**
 * `#/` search, `#/customers/<id>` the customer, `#/customers/<id>/merges` its merge proposals,
 * `#/work-items` the escalations handed to people, `#/operations` the operators' page.
 */
export type Route =
  | { page: 'search' }
  | { page: 'operations' }
  | { page: 'work-items' }
  | { page: 'customer'; customerId: string; tab: CustomerTab };
export type CustomerTab = 'overview' | 'merges';

export function routeOf(hash: string): Route {
  if (hash === '#/operations') return { page: 'operations' };
  if (hash === '#/work-items') return { page: 'work-items' };
  const m = /^#\/customers\/([^/]+)(\/merges)?$/.exec(hash);
  if (m) return { page: 'customer', customerId: decodeURIComponent(m[1]!), tab: m[2] ? 'merges' : 'overview' };
  return { page: 'search' };
}

export const customerHref = (customerId: string, tab: CustomerTab = 'overview'): string =>
  `#/customers/${encodeURIComponent(customerId)}${tab === 'merges' ? '/merges' : ''}`;
