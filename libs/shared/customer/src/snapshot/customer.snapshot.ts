import type { CustomerEvent } from '../events/customer.events';
import { foldCustomer } from '../state/customer.evolve';
import { initialCustomerState, type CustomerState } from '../state/customer.state';

/**
 * The version of the `CustomerState` shape (and of `evolve`'s meaning). Bump it whenever either
 * changes: snapshots of another version are ignored, and the state is folded from the events again.
 */
export const CUSTOMER_STATE_SCHEMA_VERSION = 7;

/** A cache of the fold up to and including `revision`. Never the record: the stream is. */
export interface CustomerSnapshot {
  state: CustomerState;
  revision: bigint;
  schemaVersion: number;
}

export function snapshotOf(state: CustomerState, revision: bigint): CustomerSnapshot {
  return { state, revision, schemaVersion: CUSTOMER_STATE_SCHEMA_VERSION };
}

/** Take a snapshot after every `everyN` events: at revisions everyN-1, 2·everyN-1, … */
export function shouldSnapshot(revision: bigint, everyN: number): boolean {
  if (!Number.isInteger(everyN) || everyN < 1) throw new RangeError(`shouldSnapshot: everyN must be a positive integer, got ${everyN}`);
  return revision >= 0n && (revision + 1n) % BigInt(everyN) === 0n;
}

/** JSON with the revision as a decimal string (JSON has no bigint). */
export function serializeSnapshot(snapshot: CustomerSnapshot): string {
  return JSON.stringify({ schemaVersion: snapshot.schemaVersion, revision: snapshot.revision.toString(), state: snapshot.state });
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The snapshot, or `undefined` when it is unreadable or of another state schema version: the caller
 * then folds the whole stream (a snapshot is only ever an optimisation).
 */
export function deserializeSnapshot(json: string): CustomerSnapshot | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    return undefined;
  }
  if (!isRecord(parsed) || parsed['schemaVersion'] !== CUSTOMER_STATE_SCHEMA_VERSION) return undefined;
  const { revision, state } = parsed;
  if (typeof revision !== 'string' || !/^\d+$/.test(revision) || !isRecord(state)) return undefined;
  return {
    state: { ...initialCustomerState(), ...state } as CustomerState,
    revision: BigInt(revision),
    schemaVersion: CUSTOMER_STATE_SCHEMA_VERSION,
  };
}

/**
 * The state from a snapshot plus the events recorded after it (revision `snapshot.revision + 1`
 * onwards); without a snapshot, the whole stream. Equal to folding the whole stream.
 */
export function foldFromSnapshot(snapshot: CustomerSnapshot | undefined, eventsAfter: Iterable<CustomerEvent>): CustomerState {
  return foldCustomer(eventsAfter, snapshot ? snapshot.state : initialCustomerState());
}
