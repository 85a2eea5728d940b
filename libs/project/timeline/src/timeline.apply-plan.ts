import type { SummaryFact, TimelineChange, TimelineEdit, TimelineEntry } from './timeline.projection';

/** A customer of the read model. */
export interface CustomerKey {
  tenantId: string;
  customerId: string;
}

/**
 * An identity written for a customer. A registration's (`claim`: the customer's own first claim)
 * replaces the row; an interaction's only fills a row nobody has: an interaction may name another
 * customer's identity (a contact card with someone else's phone), which does not make it theirs.
 */
export interface IdentityWrite extends CustomerKey {
  kind: string;
  namespace: string;
  value: string;
  claim: boolean;
}

/**
 * Consecutive entry, registration and fact changes, as rows. Nothing among them reads what another
 * writes, and no erasure happens between them, so they can go in one statement per table:
 * - entries and facts are inserted once per event id (the first one wins, as `on conflict do nothing`
 *   one by one);
 * - identities: the last registration of a key wins, else the row there, else the first interaction's;
 * - a registration's first-seen time is `least` of the existing and the new one (commutative);
 * each statement skips the rows of customers erased before the run.
 */
export interface RowRun {
  entries: TimelineEntry[];
  identities: IdentityWrite[];
  registrations: (CustomerKey & { at: string })[];
  facts: (CustomerKey & { streamRevision: string; fact: SummaryFact })[];
  /** New versions of messages: inserted once per event id; the entries they edit are refreshed after the run. */
  edits: TimelineEdit[];
}

/** The message an entry or an edit is about: what an edit finds its entry by. */
export interface EditedMessageKey {
  tenantId: string;
  channel: string;
  providerName: string;
  messageId: string;
}

/** The messages a run's entries and edits are about, once each: those whose entries show their edits again. */
export function editedMessageKeys(run: RowRun): EditedMessageKey[] {
  const keys = new Map<string, EditedMessageKey>();
  const add = (tenantId: string, channel: string, provider: { name: string; messageId: string }) => {
    const key = { tenantId, channel, providerName: provider.name, messageId: provider.messageId };
    keys.set(JSON.stringify([key.tenantId, key.channel, key.providerName, key.messageId]), key);
  };
  for (const e of run.edits) add(e.tenantId, e.channel, e.provider);
  for (const e of run.entries) add(e.tenantId, e.channel, e.provider);
  return [...keys.values()];
}

/** Changes that read or rewrite rows other changes wrote: applied one at a time, in their place. */
export type OrderedChange = Extract<TimelineChange, { kind: 'purge' | 'merge' | 'unmerge' }>;

export type ApplyStep = { kind: 'rows'; run: RowRun } | { kind: 'ordered'; change: OrderedChange };

/** How a batch of changes is applied: the steps in order, then the per-customer refreshes and notifications. */
export interface ApplyPlan {
  steps: ApplyStep[];
  /** Customers with an entry in the batch: counters and preferred channel recomputed from their entries. */
  refreshCounters: CustomerKey[];
  /** Customers with a fact or a registration: value, satisfaction and quadrant recomputed from their facts. */
  refreshFacts: CustomerKey[];
  /** `pg_notify('hub_timeline', …)` payloads, `<tenant>:<customer>`, once each, in first-touched order. */
  notify: string[];
}

const keyOf = (k: CustomerKey): string => JSON.stringify([k.tenantId, k.customerId]);

/**
 * Pure: groups a batch of changes for a set-based apply with the same effect as applying them one by
 * one. Runs of entry / customer / fact changes become one `RowRun` each; every purge, merge and
 * unmerge ends the run before it and is applied alone, in its place.
 */
export function planApply(changes: readonly TimelineChange[]): ApplyPlan {
  const steps: ApplyStep[] = [];
  const refreshCounters = new Map<string, CustomerKey>();
  const refreshFacts = new Map<string, CustomerKey>();
  const notify = new Set<string>();
  let run: RowRun | undefined;
  const pending = (): RowRun => {
    if (!run) {
      run = { entries: [], identities: [], registrations: [], facts: [], edits: [] };
      steps.push({ kind: 'rows', run });
    }
    return run;
  };
  for (const change of changes) {
    switch (change.kind) {
      case 'entry': {
        const { tenantId, customerId } = change.entry;
        const rows = pending();
        rows.entries.push(change.entry);
        for (const i of change.identities)
          rows.identities.push({ tenantId, customerId, kind: i.kind, namespace: i.namespace ?? '', value: i.value, claim: false });
        refreshCounters.set(keyOf({ tenantId, customerId }), { tenantId, customerId });
        notify.add(`${tenantId}:${customerId}`);
        break;
      }
      case 'edit': {
        const { tenantId, customerId } = change.edit;
        pending().edits.push(change.edit);
        notify.add(`${tenantId}:${customerId}`);
        break;
      }
      case 'customer': {
        const { tenantId, customerId, identity } = change;
        const rows = pending();
        rows.registrations.push({ tenantId, customerId, at: change.at });
        rows.identities.push({
          tenantId,
          customerId,
          kind: identity.kind,
          namespace: identity.namespace ?? '',
          value: identity.value,
          claim: true,
        });
        // A first contact too: the facts may have been projected before the customer's row existed.
        refreshFacts.set(keyOf({ tenantId, customerId }), { tenantId, customerId });
        notify.add(`${tenantId}:${customerId}`);
        break;
      }
      case 'fact': {
        const { tenantId, customerId } = change;
        pending().facts.push({ tenantId, customerId, streamRevision: change.streamRevision, fact: change.fact });
        refreshFacts.set(keyOf({ tenantId, customerId }), { tenantId, customerId });
        notify.add(`${tenantId}:${customerId}`);
        break;
      }
      case 'purge':
      case 'merge':
      case 'unmerge':
        run = undefined;
        steps.push({ kind: 'ordered', change });
        notify.add(`${change.tenantId}:${change.kind === 'merge' ? change.survivorId : change.customerId}`);
        break;
      default: {
        const exhaustive: never = change;
        return exhaustive;
      }
    }
  }
  return { steps, refreshCounters: [...refreshCounters.values()], refreshFacts: [...refreshFacts.values()], notify: [...notify] };
}

/** The keys of `a`, then those of `b` not in `a`. */
export function unionOfCustomers(a: readonly CustomerKey[], b: readonly CustomerKey[]): CustomerKey[] {
  const all = new Map<string, CustomerKey>();
  for (const k of [...a, ...b]) if (!all.has(keyOf(k))) all.set(keyOf(k), k);
  return [...all.values()];
}
