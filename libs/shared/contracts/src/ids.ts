import { v5 as uuidv5 } from 'uuid';

/** Namespace for every deterministic id in the hub. Changing it changes every derived id: never do. */
export const HUB_ID_NAMESPACE = '0f6c7c1e-3a51-4a43-9d0e-6f7e2b1c9a10';

/**
 * A deterministic id from its parts: the same provider message always gives the same event id, so a
 * provider retry or a Kafka redelivery is recognised as the same event everywhere downstream.
 */
export function deterministicId(...parts: readonly string[]): string {
  return uuidv5(wellFormed(parts.map((p) => `${p.length}:${p}`).join('|')), HUB_ID_NAMESPACE);
}

/** A UTF-16 code unit of a surrogate pair without its other half. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * The name as UTF-8 can carry it: a lone surrogate (valid in a JSON string, e.g. `"\udfff\ud800"`)
 * made uuid's `encodeURIComponent` throw URIError — a 500 for a signed webhook (fuzz campaign,
 * issue #15). Each is written as its `\uXXXX` text instead; a well-formed name is unchanged, and so
 * is every id derived so far.
 */
function wellFormed(name: string): string {
  return name.replace(LONE_SURROGATE, (c) => `\\u${c.charCodeAt(0).toString(16)}`);
}
