/**
 * Field paths into an event (`data.identities[*].value`): the grammar of `PersonalDataPolicy` and
 * of the concrete paths recorded in `metadata.encryption.fields`.
 *
 *   path     = ( name | quoted ) segment*
 *   segment  = "." name | "." "*" | "[" "*" "]" | "[" digits "]" | quoted | ".." name | "[^" JSON string "]"
 *   name     = one or more characters other than . [ ] " (and not just "*")
 *   quoted   = "[" JSON string "]"       any key, e.g. ["address.city"]
 *
 * `.*` is every property of an object (`data.traits.*`), `[*]` every element of an array.
 * `..name` is every property `name` at any depth below (objects and arrays searched), and
 * `[^"prefix"]` every property whose key starts with `prefix`: `data.arbitration..facts[^"traits."]`
 * reaches each `traits.<key>` value in every `facts` map of a decision, however deeply nested. A path
 * that does not reach a value (a missing key, an object where an array is expected, …) matches
 * nothing: events of one type may leave optional fields out.
 */
export type FieldPathSegment =
  | { kind: 'key'; name: string }
  | { kind: 'eachKey' }
  | { kind: 'each' }
  | { kind: 'index'; index: number }
  | { kind: 'descendant'; name: string }
  | { kind: 'keyPrefix'; prefix: string };

const NAME = '[^.[\\]"]+';
const QUOTED = '\\[("(?:[^"\\\\]|\\\\.)*")\\]';
const FIRST = new RegExp(`(${NAME})|${QUOTED}`, 'y');
const NEXT = new RegExp(`\\.\\.(${NAME})|\\.(${NAME})|${QUOTED}|\\[(\\*|\\d+)\\]|\\[\\^("(?:[^"\\\\]|\\\\.)*")\\]`, 'y');

export function parseFieldPath(path: string): FieldPathSegment[] {
  const segments: FieldPathSegment[] = [];
  let at = 0;
  while (at < path.length) {
    const token = at === 0 ? FIRST : NEXT;
    token.lastIndex = at;
    const m = token.exec(path);
    if (!m) throw new RangeError(`field path ${JSON.stringify(path)} is invalid at offset ${at}`);
    at = token.lastIndex;
    // FIRST captures (name, quoted); NEXT (descendant, name, quoted, bracket, prefix).
    const [descendant, name, quoted, bracket, prefix] = token === FIRST ? [undefined, m[1], m[2], undefined, undefined] : m.slice(1);
    if (descendant !== undefined) segments.push(descendant === '*' ? invalid(path) : { kind: 'descendant', name: descendant });
    else if (prefix !== undefined) segments.push({ kind: 'keyPrefix', prefix: parseQuoted(prefix, path) });
    else if (name !== undefined)
      segments.push(name === '*' ? (segments.length === 0 ? invalid(path) : { kind: 'eachKey' }) : { kind: 'key', name });
    else if (quoted !== undefined) segments.push({ kind: 'key', name: parseQuoted(quoted, path) });
    else if (bracket === '*') segments.push({ kind: 'each' });
    else segments.push({ kind: 'index', index: Number(bracket) });
  }
  if (segments.length === 0) throw new RangeError('a field path must not be empty');
  return segments;
}

export function formatFieldPath(segments: readonly FieldPathSegment[]): string {
  return segments
    .map((s, i) => {
      switch (s.kind) {
        case 'key':
          return s.name !== '*' && /^[^.[\]"]+$/.test(s.name) ? (i === 0 ? s.name : `.${s.name}`) : `[${JSON.stringify(s.name)}]`;
        case 'eachKey':
          return '.*';
        case 'each':
          return '[*]';
        case 'index':
          return `[${s.index}]`;
        case 'descendant':
          return `..${s.name}`;
        case 'keyPrefix':
          return `[^${JSON.stringify(s.prefix)}]`;
        default: {
          const exhaustive: never = s;
          return exhaustive;
        }
      }
    })
    .join('');
}

/**
 * Copy of `root` where every value the path reaches is replaced by `replace(value, concretePath)`
 * (`concretePath` names each key and index instead of `.*` and `[*]`, e.g.
 * `data.identities[1].value`). Only the objects and arrays on the way to a changed value are
 * copied; `root` is never changed, and is returned as is when nothing changed. `undefined` and
 * `null` values are not personal data: they are left alone and `replace` never sees them.
 */
export function mapFieldPath(
  root: unknown,
  path: string | readonly FieldPathSegment[],
  replace: (value: unknown, concretePath: string) => unknown,
): unknown {
  const segments = typeof path === 'string' ? parseFieldPath(path) : path;
  return walk(root, segments, 0, [], replace);
}

/** The concrete paths (`data.identities[0].value`, …) of the values `path` reaches in `root`. */
export function matchFieldPath(root: unknown, path: string | readonly FieldPathSegment[]): string[] {
  const found: string[] = [];
  mapFieldPath(root, path, (value, concrete) => {
    found.push(concrete);
    return value;
  });
  return found;
}

function walk(
  node: unknown,
  segments: readonly FieldPathSegment[],
  depth: number,
  trail: readonly FieldPathSegment[],
  replace: (value: unknown, concretePath: string) => unknown,
): unknown {
  if (node === undefined || node === null) return node;
  if (depth === segments.length) return replace(node, formatFieldPath(trail));
  const segment = segments[depth]!;
  const down = (child: unknown, step: FieldPathSegment): unknown => walk(child, segments, depth + 1, [...trail, step], replace);
  switch (segment.kind) {
    case 'key': {
      if (!isPlainObject(node) || !Object.hasOwn(node, segment.name)) return node;
      return replaceKeys(node, [segment.name], down);
    }
    case 'eachKey': {
      if (!isPlainObject(node)) return node;
      return replaceKeys(node, Object.keys(node), down);
    }
    case 'index': {
      if (!Array.isArray(node) || segment.index >= node.length) return node;
      return replaceIndexes(node, [segment.index], down);
    }
    case 'each': {
      if (!Array.isArray(node)) return node;
      return replaceIndexes(
        node,
        node.map((_, i) => i),
        down,
      );
    }
    case 'keyPrefix': {
      if (!isPlainObject(node)) return node;
      return replaceKeys(
        node,
        Object.keys(node).filter((k) => k.startsWith(segment.prefix)),
        down,
      );
    }
    case 'descendant': {
      // Every child is searched with this same segment; a child under the name also takes the rest of the path.
      const deeper = (child: unknown, step: FieldPathSegment): unknown => walk(child, segments, depth, [...trail, step], replace);
      if (Array.isArray(node))
        return replaceIndexes(
          node,
          node.map((_, i) => i),
          deeper,
        );
      if (!isPlainObject(node)) return node;
      return replaceKeys(node, Object.keys(node), (child, step) =>
        deeper(step.kind === 'key' && step.name === segment.name ? down(child, step) : child, step),
      );
    }
    default: {
      const exhaustive: never = segment;
      return exhaustive;
    }
  }
}

function replaceKeys(
  node: Record<string, unknown>,
  names: readonly string[],
  down: (child: unknown, step: FieldPathSegment) => unknown,
): unknown {
  let copy: Record<string, unknown> | undefined;
  for (const name of names) {
    const child = node[name];
    const next = down(child, { kind: 'key', name });
    if (next === child) continue;
    // defineProperty, not assignment: a key named `__proto__` stays an ordinary own property.
    copy ??= { ...node };
    Object.defineProperty(copy, name, { value: next, enumerable: true, writable: true, configurable: true });
  }
  return copy ?? node;
}

function replaceIndexes(
  node: readonly unknown[],
  indexes: readonly number[],
  down: (child: unknown, step: FieldPathSegment) => unknown,
): unknown {
  let copy: unknown[] | undefined;
  for (const index of indexes) {
    const child = node[index];
    const next = down(child, { kind: 'index', index });
    if (next === child) continue;
    copy ??= [...node];
    copy[index] = next;
  }
  return copy ?? node;
}

function parseQuoted(quoted: string, path: string): string {
  try {
    return JSON.parse(quoted) as string;
  } catch {
    throw new RangeError(`field path ${JSON.stringify(path)} has an invalid quoted key ${quoted}`);
  }
}

function invalid(path: string): never {
  throw new RangeError(`field path ${JSON.stringify(path)} must start with a name`);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
