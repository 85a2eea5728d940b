import type { CustomerSnapshot } from '@hub/customer';

export const SNAPSHOT_STORE = Symbol('SNAPSHOT_STORE');

/**
 * Where folded customer states are cached. A snapshot is never the record: losing one only costs a
 * longer fold, so a store may drop them at will (and must on erasure).
 */
export interface SnapshotStore {
  load(tenantId: string, customerId: string): Promise<CustomerSnapshot | undefined>;
  save(tenantId: string, customerId: string, snapshot: CustomerSnapshot): Promise<void>;
  delete(tenantId: string, customerId: string): Promise<void>;
}
