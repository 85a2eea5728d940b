import type { IdentityRef } from '@hub/contracts';
import { own } from '../state/own';

/** What evidence of one source may do: merge at once, only propose (a person confirms), or nothing. */
export type MergeMode = 'auto' | 'propose' | 'never';

/** Per evidence source (`MergeEvidence.source`), what it may do. Sources not listed only propose. */
export type MergePolicy = Readonly<Record<string, MergeMode>>;

/**
 * The default: strong evidence (a paid order, a logged-in session, an agent's confirmation) merges;
 * details a customer typed into a chat only propose. Anything else proposes (`mergeModeFor`).
 */
export const DEFAULT_MERGE_POLICY: MergePolicy = {
  paid_order: 'auto',
  authenticated_session: 'auto',
  chat_typed_detail: 'propose',
  agent_confirmed: 'auto',
};

/** Conservative for what the policy does not name: an unknown source only proposes. */
export function mergeModeFor(policy: MergePolicy, source: string): MergeMode {
  return own(policy, source) ?? 'propose';
}

export interface ExternalIdConflict {
  namespace: string;
  survivorValues: string[];
  mergedValues: string[];
}

function externalIdsByNamespace(identities: readonly IdentityRef[]): Map<string, Set<string>> {
  const byNamespace = new Map<string, Set<string>>();
  for (const i of identities) {
    if (i.kind !== 'external') continue;
    const ns = i.namespace ?? '';
    byNamespace.set(ns, (byNamespace.get(ns) ?? new Set()).add(i.value));
  }
  return byNamespace;
}

/**
 * Namespaces where both customers hold external ids and not the same ones (two different
 * Salesforce contacts, two shop accounts): two records another system keeps apart. Sorted by
 * namespace. Such customers are never merged, whatever the evidence.
 */
export function conflictingExternalIds(survivor: readonly IdentityRef[], merged: readonly IdentityRef[]): ExternalIdConflict[] {
  const a = externalIdsByNamespace(survivor);
  const b = externalIdsByNamespace(merged);
  const conflicts: ExternalIdConflict[] = [];
  for (const [namespace, values] of a) {
    const other = b.get(namespace);
    if (!other) continue;
    const same = values.size === other.size && [...values].every((v) => other.has(v));
    if (!same) conflicts.push({ namespace, survivorValues: [...values].sort(), mergedValues: [...other].sort() });
  }
  return conflicts.sort((x, y) => (x.namespace < y.namespace ? -1 : x.namespace > y.namespace ? 1 : 0));
}
