import { ValidateBy, type ValidationOptions } from 'class-validator';

/**
 * The one JSON parse of a webhook body, for every channel (the ingestion app parses every
 * `application/json` request with it, and hands `parse` what it gives).
 *
 * Providers send 64-bit ids as JSON numbers (Shopify's `customer.id`, Viber's `message_token`), and
 * `JSON.parse` rounds any integer beyond 2^53 to the nearest double: …723954 becomes …723950, and
 * two customers can share an id. Here an integer literal that a double cannot hold exactly is kept
 * as its decimal digits, a string; every other value is what `JSON.parse` makes of it. An adapter
 * that reads such an id declares it with `@IsIntegerId()` and turns it into text with
 * `integerIdText`; anywhere else the string fails the field's number validation, so a large id is
 * refused with the field named rather than rounded.
 *
 * Node 20 (the hub's floor) has no `JSON.parse` reviver `context.source` to read a literal's digits
 * from, so the body is parsed by `JSON.parse` (which also judges validity), and only when the text
 * has a run of 16 digits or more — the least an unsafe integer needs — is it scanned for integer
 * literals outside strings and parsed again with those few quoted.
 *
 * Like Fastify's own parser (secure-json-parse), a body with a `__proto__` key, or a `constructor`
 * key holding `prototype`, is refused: validation assigns the keys of the body onto objects.
 */
export type JsonBodyResult = { ok: true; value: unknown } | { ok: false; reason: string };

/**
 * How deep a body's arrays and objects may nest. Providers send a handful of levels; a body nested
 * thousands deep (a few KB, correctly signed) overflowed the recursive walks behind the parse —
 * validation, class-transformer, the adapters — and answered 500, or blocked a topic's partition
 * on an error that was not permanent. Refused up front instead, with the reason.
 */
export const MAX_JSON_DEPTH = 64;

/**
 * The deepest nesting of arrays and objects in `text` (JSON or not), counted in one pass without
 * recursion, skipping strings; it stops counting once past `limit`.
 */
export function jsonNestingDepth(text: string, limit = Number.POSITIVE_INFINITY): number {
  let depth = 0;
  let deepest = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      i++;
      while (i < text.length && text.charCodeAt(i) !== 0x22) i += text.charCodeAt(i) === 0x5c /* \ */ ? 2 : 1;
    } else if (c === 0x5b /* [ */ || c === 0x7b /* { */) {
      depth++;
      if (depth > deepest) {
        deepest = depth;
        if (deepest > limit) return deepest;
      }
    } else if (c === 0x5d /* ] */ || c === 0x7d /* } */) {
      depth--;
    }
  }
  return deepest;
}

/** The reason a body nested deeper than `MAX_JSON_DEPTH` is refused, or undefined. */
export function tooDeep(text: string): string | undefined {
  return jsonNestingDepth(text, MAX_JSON_DEPTH) > MAX_JSON_DEPTH
    ? `the body nests arrays and objects more than ${MAX_JSON_DEPTH} levels deep`
    : undefined;
}

const LONG_DIGIT_RUN = /\d{16}/;
const NUMBER_LITERAL = /-?\d+(\.\d+)?([eE][+-]?\d+)?/y;
const MAYBE_POISONED = /"(?:__proto__|constructor)"|\\u/;

export function parseJsonBody(raw: Buffer | string): JsonBodyResult {
  let text = typeof raw === 'string' ? raw : raw.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const deep = tooDeep(text);
  if (deep) return { ok: false, reason: deep };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { ok: false, reason: `the body is not valid JSON: ${(err as Error).message}` };
  }
  if (LONG_DIGIT_RUN.test(text)) {
    const exact = quoteUnsafeIntegers(text);
    if (exact !== text) value = JSON.parse(exact);
  }
  if (MAYBE_POISONED.test(text)) {
    const poisoned = poisonedKey(value);
    if (poisoned) return { ok: false, reason: `the body has a ${poisoned} key, which is refused` };
  }
  return { ok: true, value };
}

/**
 * `text` (valid JSON) with every integer literal outside a string that is not a safe integer
 * written as a string of the same characters; the same text when there is none.
 */
export function quoteUnsafeIntegers(text: string): string {
  let out = '';
  let copiedUpTo = 0;
  for (let i = 0; i < text.length; ) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      i++;
      while (i < text.length && text.charCodeAt(i) !== 0x22) i += text.charCodeAt(i) === 0x5c /* \ */ ? 2 : 1;
      i++;
    } else if (c === 0x2d /* - */ || (c >= 0x30 && c <= 0x39)) {
      NUMBER_LITERAL.lastIndex = i;
      const m = NUMBER_LITERAL.exec(text);
      const literal = m?.[0] ?? text[i]!;
      const integer = m !== null && m[1] === undefined && m[2] === undefined;
      if (integer && !Number.isSafeInteger(Number(literal))) {
        out += `${text.slice(copiedUpTo, i)}"${literal}"`;
        copiedUpTo = i + literal.length;
      }
      i += literal.length;
    } else {
      i++;
    }
  }
  return copiedUpTo === 0 ? text : out + text.slice(copiedUpTo);
}

function poisonedKey(value: unknown): string | undefined {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const node = stack.pop();
    if (typeof node !== 'object' || node === null) continue;
    if (Object.prototype.hasOwnProperty.call(node, '__proto__')) return '__proto__';
    const ctor = Object.prototype.hasOwnProperty.call(node, 'constructor') ? (node as Record<string, unknown>)['constructor'] : undefined;
    if (typeof ctor === 'object' && ctor !== null && Object.prototype.hasOwnProperty.call(ctor, 'prototype'))
      return 'constructor.prototype';
    stack.push(...(Array.isArray(node) ? node : Object.values(node)));
  }
  return undefined;
}

/**
 * What the ingestion app hands on as the body of a JSON request that `parseJsonBody` refused: the
 * ingestion service answers 400 `invalid_json` with the reason once the request has verified, and
 * no adapter's `parse` sees it.
 */
export class InvalidJsonBody {
  constructor(readonly reason: string) {}
}

/** A positive integer id as `parseJsonBody` hands it over: a safe integer, or the digits of a larger one. */
export function isIntegerId(value: unknown): value is number | string {
  return (
    (typeof value === 'number' && Number.isSafeInteger(value) && value > 0) || (typeof value === 'string' && /^[1-9]\d{0,39}$/.test(value))
  );
}

/** The exact decimal text of an id `isIntegerId` accepted. */
export function integerIdText(value: number | string): string {
  return typeof value === 'number' ? String(value) : value;
}

/** class-validator: a positive integer id, exact whatever its size (see `parseJsonBody`). */
export function IsIntegerId(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isIntegerId',
      validator: { validate: isIntegerId, defaultMessage: (a) => `${a?.property ?? 'id'} must be a positive integer` },
    },
    options,
  );
}
