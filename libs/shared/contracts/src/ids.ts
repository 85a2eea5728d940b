import { createHash } from 'node:crypto';

/** Namespace for every deterministic id in the hub. Changing it changes every derived id: never do. */
export const HUB_ID_NAMESPACE = '0f6c7c1e-3a51-4a43-9d0e-6f7e2b1c9a10';

/**
 * A deterministic id from its parts: the same provider message always gives the same event id, so a
 * provider retry or a Kafka redelivery is recognised as the same event everywhere downstream.
 */
export function deterministicId(...parts: readonly string[]): string {
  return uuidV5(wellFormed(parts.map((p) => `${p.length}:${p}`).join('|')));
}

const NAMESPACE_BYTES = Buffer.from(HUB_ID_NAMESPACE.replace(/-/g, ''), 'hex');

/**
 * RFC 9562 version 5 (SHA-1, name-based) in the hub's namespace, with Node's own hash: the `uuid`
 * package parses the namespace and encodes the name byte by byte in JavaScript on every call, which
 * was an eighth of a decision's CPU (each decision derives several ids) and 2.5 % of an ingest
 * app's. The same ids, bit for bit (`ids.spec.ts` checks it against `uuid`'s v5).
 */
function uuidV5(name: string): string {
  const h = createHash('sha1').update(NAMESPACE_BYTES).update(name, 'utf8').digest();
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.toString('hex', 0, 16);
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
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
