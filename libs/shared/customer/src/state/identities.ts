import type { IdentityRef } from '@hub/contracts';

export const sameIdentity = (a: IdentityRef, b: IdentityRef): boolean =>
  a.kind === b.kind && a.value === b.value && a.namespace === b.namespace;

export const hasIdentity = (list: readonly IdentityRef[], identity: IdentityRef): boolean => list.some((i) => sameIdentity(i, identity));

export function withIdentity(list: IdentityRef[], identity: IdentityRef): IdentityRef[] {
  return hasIdentity(list, identity) ? list : [...list, identity];
}

export function withoutIdentities(list: IdentityRef[], remove: readonly IdentityRef[]): IdentityRef[] {
  return list.filter((i) => !hasIdentity(remove, i));
}
