import { v5 as uuidv5 } from 'uuid';

/** Namespace for every deterministic id in the hub. Changing it changes every derived id: never do. */
export const HUB_ID_NAMESPACE = '0f6c7c1e-3a51-4a43-9d0e-6f7e2b1c9a10';

/**
 * A deterministic id from its parts: the same provider message always gives the same event id, so a
 * provider retry or a Kafka redelivery is recognised as the same event everywhere downstream.
 */
export function deterministicId(...parts: readonly string[]): string {
  return uuidv5(parts.map((p) => `${p.length}:${p}`).join('|'), HUB_ID_NAMESPACE);
}
