import fc from 'fast-check';

/**
 * The mutations of the fuzz campaign, as plain data: a mutation names what it does and *which* part
 * of the payload by a number (`pick`) that is reduced modulo the payload's own paths when applied.
 * So one generated list applies to any base payload, a counterexample prints small, and a seed
 * replays exactly.
 */

/** A value to put somewhere: plain JSON, or a descriptor that is only materialised when applied. */
export type FuzzValue =
  | { json: unknown }
  /** `unit` repeated `times` times (a huge string, up to a few hundred KB). */
  | { huge: string; times: number }
  /** `leaf` wrapped in `depth` arrays or objects. */
  | { deep: number; as: 'array' | 'object'; leaf: unknown }
  /** A JSON number literal that is not a double: a 30-digit integer, `1e999`, `-0`, `1E-400`. */
  | { rawNumber: string };

export type Retype =
  | 'string'
  | 'number'
  | 'null'
  | 'boolean'
  | 'wrap-in-array'
  | 'array-to-object'
  | 'empty-object'
  | 'empty-array'
  | 'number-as-string';

export type Mutation =
  | { op: 'delete'; pick: number }
  | { op: 'set'; pick: number; value: FuzzValue }
  | { op: 'add'; pick: number; key: string; value: FuzzValue }
  | { op: 'retype'; pick: number; to: Retype }
  | { op: 'nest'; pick: number; depth: number; as: 'array' | 'object' }
  /** An array element (or any value, wrapped) repeated: a batch of many items. */
  | { op: 'repeat'; pick: number; times: number }
  /** A key of an object sent twice, `value` first and the original last (or the other way round). */
  | { op: 'duplicate-key'; pick: number; value: FuzzValue; originalFirst: boolean }
  /** On the bytes: cut at `at`‰ of the length. */
  | { op: 'truncate'; at: number }
  /** On the bytes: insert `text` at `at`‰ of the length. */
  | { op: 'splice'; at: number; text: string }
  /** On the bytes: replace the byte at `at`‰ of the length. */
  | { op: 'flip'; at: number; byte: number };

export const RAW_OPS: ReadonlySet<Mutation['op']> = new Set(['truncate', 'splice', 'flip']);

// ---------------------------------------------------------------------------------------------
// Arbitraries
// ---------------------------------------------------------------------------------------------

const NASTY_STRINGS = [
  '',
  ' ',
  '\u0000',
  '\u202e\u0644\u0627',
  '𝕳𝖚𝖇 🧪👩‍👩‍👧‍👦',
  'e\u0301',
  '\ud800',
  '\udfff\ud800',
  '\uFEFF',
  '<script>alert(1)</script>',
  "'; DROP TABLE customers; --",
  '../../../../etc/passwd',
  '%00%ff%',
  '2025-13-45T25:61:00Z',
  '1970-01-01T00:00:00Z',
  '9999-12-31T23:59:59.999Z',
  'Tue, 31 Feb 2025 99:99:99 +0000',
  '+1',
  '+999999999999999999999',
  '+14155550123',
  'not-an-email@',
  'a@b',
  'user@例え.テスト',
  'null',
  'undefined',
  'true',
  '[object Object]',
  '__proto__',
  'NaN',
  'Infinity',
  '-0',
  '0x1F',
  '١٢٣',
  '1e999',
  '00000000-0000-0000-0000-000000000000',
  'gid://shopify/Order/1',
  'AC00000000000000000000000000000000',
  'SM00000000000000000000000000000000',
  '\r\n\r\nInjected: header',
  'a'.repeat(300),
];

const NASTY_KEYS = [
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  '',
  ' ',
  'a.b',
  '0',
  'MediaUrl0',
  'MediaUrl99',
  'NumMedia',
  'entry',
  'data',
  'metadata',
  'é',
  '$where',
  '💥',
];

const NUMBER_LITERALS = [
  '123456789012345678901234567890',
  '-123456789012345678901234567890',
  '1e999',
  '-1e999',
  '-0',
  '1E-400',
  '0.0000000000000000000001',
  '9007199254740993',
  '1.5e300',
];

const smallJson = fc.jsonValue({ maxDepth: 2, depthSize: 'small' });

export const fuzzValue: fc.Arbitrary<FuzzValue> = fc.oneof(
  { arbitrary: fc.constantFrom(...NASTY_STRINGS).map((json) => ({ json })), weight: 4 },
  { arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }).map((json) => ({ json })), weight: 2 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 20 }).map((json) => ({ json })), weight: 1 },
  {
    arbitrary: fc
      .constantFrom<unknown>(null, true, false, 0, -1, 1, 2 ** 53 + 1, -(2 ** 31), 1e308, -1e-308, 0.1, 3.5)
      .map((json) => ({ json })),
    weight: 3,
  },
  { arbitrary: fc.integer().map((n) => ({ json: String(n) })), weight: 2 },
  { arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }).map((json) => ({ json })), weight: 1 },
  { arbitrary: fc.constantFrom(...NUMBER_LITERALS).map((rawNumber) => ({ rawNumber })), weight: 2 },
  { arbitrary: fc.constantFrom<unknown>([], {}, [null], [{}], { '': null }, [[]], ['a', 1, null]).map((json) => ({ json })), weight: 2 },
  { arbitrary: smallJson.map((json) => ({ json })), weight: 2 },
  {
    arbitrary: fc.record({
      huge: fc.constantFrom('a', 'é', '𝕳', '\u0000', ' ', '{', '\\'),
      times: fc.integer({ min: 1_000, max: 120_000 }),
    }),
    weight: 1,
  },
  {
    arbitrary: fc.record({
      deep: fc.integer({ min: 2, max: 200 }),
      as: fc.constantFrom<'array' | 'object'>('array', 'object'),
      leaf: fc.constantFrom<unknown>(null, 'x', 1, {}),
    }),
    weight: 1,
  },
);

const pick = fc.nat();
const permille = fc.integer({ min: 0, max: 1000 });

const structural: fc.Arbitrary<Mutation> = fc.oneof(
  { arbitrary: fc.record({ op: fc.constant('delete' as const), pick }), weight: 4 },
  { arbitrary: fc.record({ op: fc.constant('set' as const), pick, value: fuzzValue }), weight: 6 },
  {
    arbitrary: fc.record({
      op: fc.constant('add' as const),
      pick,
      key: fc.oneof(fc.constantFrom(...NASTY_KEYS), fc.string({ maxLength: 12 })),
      value: fuzzValue,
    }),
    weight: 2,
  },
  {
    arbitrary: fc.record({
      op: fc.constant('retype' as const),
      pick,
      to: fc.constantFrom<Retype>(
        'string',
        'number',
        'null',
        'boolean',
        'wrap-in-array',
        'array-to-object',
        'empty-object',
        'empty-array',
        'number-as-string',
      ),
    }),
    weight: 5,
  },
  {
    arbitrary: fc.record({
      op: fc.constant('nest' as const),
      pick,
      depth: fc.integer({ min: 2, max: 120 }),
      as: fc.constantFrom<'array' | 'object'>('array', 'object'),
    }),
    weight: 1,
  },
  { arbitrary: fc.record({ op: fc.constant('repeat' as const), pick, times: fc.integer({ min: 2, max: 60 }) }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant('duplicate-key' as const), pick, value: fuzzValue, originalFirst: fc.boolean() }), weight: 1 },
);

const raw: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('truncate' as const), at: permille }),
  fc.record({
    op: fc.constant('splice' as const),
    at: permille,
    text: fc.oneof(
      fc.constantFrom(',', '}', ']', '"', '\\', '{"a":', 'null', '\u0000', '\r\n', '\r\n\r\n', '--', '=?UTF-8?B?', '%'),
      fc.string({ unit: 'grapheme', maxLength: 8 }),
    ),
  }),
  fc.record({ op: fc.constant('flip' as const), at: permille, byte: fc.integer({ min: 0, max: 255 }) }),
);

/** One to four mutations, mostly structural; now and then one on the bytes. */
export const mutationList: fc.Arbitrary<Mutation[]> = fc.array(
  fc.oneof({ arbitrary: structural, weight: 6 }, { arbitrary: raw, weight: 1 }),
  { minLength: 1, maxLength: 4 },
);

// ---------------------------------------------------------------------------------------------
// Applying mutations to a JSON value
// ---------------------------------------------------------------------------------------------

/** A JSON number literal kept as written (see `serializeJson`). */
export class RawNumber {
  constructor(readonly literal: string) {}
}

/** Keys an object carries twice on the wire: `[key, value]` pairs written before its own keys. */
export const DUPLICATE_KEYS = Symbol('duplicateKeys');
type WithDuplicates = Record<string, unknown> & { [DUPLICATE_KEYS]?: [string, unknown][] };

type Path = readonly (string | number)[];

export function materialize(value: FuzzValue): unknown {
  if ('json' in value) return structuredClone(value.json);
  if ('huge' in value) return value.huge.repeat(value.times);
  if ('rawNumber' in value) return new RawNumber(value.rawNumber);
  let v: unknown = structuredClone(value.leaf);
  for (let i = 0; i < value.deep; i++) v = value.as === 'array' ? [v] : { n: v };
  return v;
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof RawNumber);

/** Every path of the value, the root first, depth-first (bounded: a payload of thousands of nodes is sampled by its first ones). */
export function pathsOf(root: unknown, limit = 2_000): Path[] {
  const out: Path[] = [];
  const walk = (v: unknown, path: Path): void => {
    if (out.length >= limit) return;
    out.push(path);
    if (Array.isArray(v)) v.forEach((c, i) => walk(c, [...path, i]));
    else if (isRecord(v)) for (const k of Object.keys(v)) walk(v[k], [...path, k]);
  };
  walk(root, []);
  return out;
}

function getAt(root: unknown, path: Path): unknown {
  let v = root;
  for (const k of path) v = (v as Record<string | number, unknown>)[k];
  return v;
}

/** Own, enumerable, even for `__proto__` (an assignment would set the prototype instead). */
function defineKey(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** Returns the new root (the root itself may be replaced). */
function setAt(root: unknown, path: Path, value: unknown): unknown {
  if (path.length === 0) return value;
  const parent = getAt(root, path.slice(0, -1)) as Record<string | number, unknown>;
  const key = path[path.length - 1]!;
  if (Array.isArray(parent)) parent[key as number] = value;
  else defineKey(parent as Record<string, unknown>, String(key), value);
  return root;
}

function retype(v: unknown, to: Retype): unknown {
  switch (to) {
    case 'string':
      return typeof v === 'string' ? `${v}x` : (JSON.stringify(v) ?? 'undefined');
    case 'number':
      return typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : typeof v === 'number' ? -v - 1 : 42;
    case 'number-as-string':
      return typeof v === 'number' ? String(v) : typeof v === 'string' ? String(v.length) : '17';
    case 'null':
      return null;
    case 'boolean':
      return typeof v !== 'boolean';
    case 'wrap-in-array':
      return [v];
    case 'array-to-object':
      return Array.isArray(v) ? Object.fromEntries(v.map((x, i) => [String(i), x])) : isRecord(v) ? Object.values(v) : { value: v };
    case 'empty-object':
      return {};
    case 'empty-array':
      return [];
    default: {
      const exhaustive: never = to;
      throw new Error(`unknown retype ${String(exhaustive)}`);
    }
  }
}

/** The structural mutations applied in order to a copy of `base`; byte mutations are left to `applyRaw`. */
export function applyStructural(base: unknown, mutations: readonly Mutation[]): unknown {
  let root = structuredClone(base);
  for (const m of mutations) {
    if (RAW_OPS.has(m.op)) continue;
    const paths = pathsOf(root);
    const path = paths[('pick' in m ? m.pick : 0) % paths.length]!;
    const target = getAt(root, path);
    switch (m.op) {
      case 'delete': {
        if (path.length === 0) {
          root = {};
          break;
        }
        const parent = getAt(root, path.slice(0, -1));
        const key = path[path.length - 1]!;
        if (Array.isArray(parent)) parent.splice(key as number, 1);
        else delete (parent as Record<string, unknown>)[key];
        break;
      }
      case 'set':
        root = setAt(root, path, materialize(m.value));
        break;
      case 'add': {
        // Into the nearest container at or above the picked path.
        let at = path;
        while (at.length > 0 && !isRecord(getAt(root, at)) && !Array.isArray(getAt(root, at))) at = at.slice(0, -1);
        const container = getAt(root, at);
        if (Array.isArray(container)) container.push(materialize(m.value));
        else if (isRecord(container)) defineKey(container, m.key, materialize(m.value));
        else root = { [m.key]: materialize(m.value) };
        break;
      }
      case 'retype':
        root = setAt(root, path, retype(target, m.to));
        break;
      case 'nest': {
        let v = target;
        for (let i = 0; i < m.depth; i++) v = m.as === 'array' ? [v] : { nested: v };
        root = setAt(root, path, v);
        break;
      }
      case 'repeat':
        root = setAt(
          root,
          path,
          Array.isArray(target) && target.length > 0
            ? Array.from({ length: m.times }, (_, i) => structuredClone(target[i % target.length]))
            : Array.from({ length: m.times }, () => structuredClone(target)),
        );
        break;
      case 'duplicate-key': {
        // On the nearest object holding the picked path: its last key of the path sent twice.
        let at = path;
        while (at.length > 0 && !isRecord(getAt(root, at.slice(0, -1)))) at = at.slice(0, -1);
        const owner = at.length === 0 ? root : getAt(root, at.slice(0, -1));
        if (!isRecord(owner)) break;
        const key = at.length === 0 ? (Object.keys(owner)[0] ?? 'k') : String(at[at.length - 1]);
        const extra = materialize(m.value);
        const w = owner as WithDuplicates;
        if (m.originalFirst) {
          // The original first, the fuzz value last (it wins in JSON.parse).
          w[DUPLICATE_KEYS] = [...(w[DUPLICATE_KEYS] ?? []), [key, owner[key]]];
          defineKey(owner, key, extra);
        } else {
          w[DUPLICATE_KEYS] = [...(w[DUPLICATE_KEYS] ?? []), [key, extra]];
        }
        break;
      }
      default:
        break;
    }
  }
  return root;
}

/** JSON text of a mutated value: duplicated keys written twice, raw numbers as written, `undefined` as null. */
export function serializeJson(v: unknown): string {
  if (v instanceof RawNumber) return v.literal;
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'number') return Number.isFinite(v) ? JSON.stringify(v) : 'null';
  if (typeof v === 'string' || typeof v === 'boolean') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(serializeJson).join(',')}]`;
  if (typeof v === 'object') {
    const dupes = (v as WithDuplicates)[DUPLICATE_KEYS] ?? [];
    const entries = [...dupes, ...Object.keys(v).map((k): [string, unknown] => [k, (v as Record<string, unknown>)[k]])];
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${serializeJson(x)}`).join(',')}}`;
  }
  return 'null';
}

/** The byte mutations applied in order. */
export function applyRaw(raw: Buffer, mutations: readonly Mutation[]): Buffer {
  let out = raw;
  for (const m of mutations) {
    const at = 'at' in m ? Math.floor((out.length * m.at) / 1000) : 0;
    if (m.op === 'truncate') out = out.subarray(0, at);
    else if (m.op === 'splice') out = Buffer.concat([out.subarray(0, at), Buffer.from(m.text, 'utf8'), out.subarray(at)]);
    else if (m.op === 'flip' && out.length > 0) {
      out = Buffer.from(out);
      out[Math.min(at, out.length - 1)] = m.byte;
    }
  }
  return out;
}

/** A string form of any value, as a form field carries it. */
export function asFormValue(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v instanceof RawNumber) return v.literal;
  return serializeJson(v);
}
