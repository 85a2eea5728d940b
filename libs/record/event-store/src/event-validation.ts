import { InvalidEventError, type ExpectedRevision, type NewEvent } from './event-store.port';

/**
 * Input checks shared by every adapter, run before anything is sent to the store, so an invalid
 * batch is rejected the same way (`InvalidEventError`, nothing written) whichever store is behind the port.
 */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether `value` can be an event id (a UUID, 8-4-4-4-12 hex, any case). */
export const isEventId = (value: unknown): value is string => typeof value === 'string' && UUID.test(value);

export interface ValidatedEvent {
  /** Lower-cased: both stores hand ids back in lower case. */
  eventId: string;
  type: string;
  data: unknown;
  metadata: Record<string, unknown>;
  /** JSON text of `data` and `metadata`, serialised once here. */
  dataJson: string;
  metadataJson: string;
}

export function validateStreamName(stream: unknown): asserts stream is string {
  if (typeof stream !== 'string' || stream.trim() === '') throw new InvalidEventError('stream name must be a non-empty string');
  if (stream.startsWith('$')) throw new InvalidEventError(`stream name ${stream} is reserved: names starting with '$' are system streams`);
}

/** Throws `InvalidEventError` for the first problem found in the batch; returns the events ready to write. */
export function validateAppend(stream: string, events: readonly NewEvent[]): ValidatedEvent[] {
  validateStreamName(stream);
  if (!Array.isArray(events) || events.length === 0) throw new InvalidEventError(`stream ${stream}: a batch needs at least one event`);
  const seen = new Set<string>();
  return events.map((event, index) => {
    const where = `stream ${stream}, event #${index}`;
    if (typeof event !== 'object' || event === null) throw new InvalidEventError(`${where}: not an event object`);
    if (typeof event.eventId !== 'string' || !UUID.test(event.eventId)) {
      throw new InvalidEventError(`${where}: eventId ${JSON.stringify(String(event.eventId))} is not a UUID (8-4-4-4-12 hex)`);
    }
    const eventId = event.eventId.toLowerCase();
    if (seen.has(eventId)) throw new InvalidEventError(`${where}: eventId ${eventId} appears twice in the batch`);
    seen.add(eventId);
    if (typeof event.type !== 'string' || event.type.trim() === '')
      throw new InvalidEventError(`${where}: type must be a non-empty string`);
    if (event.type.startsWith('$'))
      throw new InvalidEventError(`${where}: type ${event.type} is reserved: types starting with '$' are system events`);
    if (!isJsonContainer(event.data)) throw new InvalidEventError(`${where}: data must be a JSON object or array`);
    const dataProblem = jsonProblem(event.data, 'data');
    if (dataProblem) throw new InvalidEventError(`${where}: ${dataProblem}`);
    if (!isPlainObject(event.metadata)) throw new InvalidEventError(`${where}: metadata must be a JSON object`);
    const metadataProblem = jsonProblem(event.metadata, 'metadata');
    if (metadataProblem) throw new InvalidEventError(`${where}: ${metadataProblem}`);
    return {
      eventId,
      type: event.type,
      data: event.data,
      metadata: event.metadata,
      dataJson: JSON.stringify(event.data),
      metadataJson: JSON.stringify(event.metadata),
    };
  });
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function isJsonContainer(value: unknown): boolean {
  return Array.isArray(value) || isPlainObject(value);
}

/**
 * Why `value` would not come back from the store as the same value, or undefined when it would.
 * Stricter than JSON.stringify on purpose: NaN, Infinity, Date, Map or class instances would be
 * silently changed by serialisation; bigint and cycles would throw mid-write; `\u0000` is refused
 * by PostgreSQL jsonb. Object properties that are `undefined` are allowed and dropped, as in JSON.
 */
function jsonProblem(root: unknown, rootPath: string): string | undefined {
  const ancestors = new Set<object>();
  const visit = (value: unknown, path: string): string | undefined => {
    switch (typeof value) {
      case 'string':
        return stringProblem(value, path);
      case 'boolean':
        return undefined;
      case 'number':
        return Number.isFinite(value) ? undefined : `${path} is ${String(value)}, which JSON cannot represent`;
      case 'bigint':
        return `${path} is a bigint, which JSON cannot represent (store it as a string)`;
      case 'undefined':
        return `${path} is undefined`;
      case 'function':
      case 'symbol':
        return `${path} is a ${typeof value}, which JSON cannot represent`;
      case 'object': {
        if (value === null) return undefined;
        if (ancestors.has(value)) return `${path} refers back to itself (cycle)`;
        ancestors.add(value);
        try {
          if (Array.isArray(value)) {
            for (let i = 0; i < value.length; i++) {
              const problem = visit(value[i], `${path}[${i}]`);
              if (problem) return problem;
            }
            return undefined;
          }
          if (!isPlainObject(value)) {
            const kind = value.constructor?.name ?? 'object';
            return `${path} is a ${kind}, not a plain JSON object${kind === 'Date' ? ' (store dates as ISO-8601 strings)' : ''}`;
          }
          for (const [key, child] of Object.entries(value)) {
            const keyProblem = stringProblem(key, `${path} key ${JSON.stringify(key)}`);
            if (keyProblem) return keyProblem;
            if (child === undefined) continue;
            const problem = visit(child, `${path}.${key}`);
            if (problem) return problem;
          }
          return undefined;
        } finally {
          ancestors.delete(value);
        }
      }
      default:
        return `${path} has an unsupported type`;
    }
  };
  return visit(root, rootPath);
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function stringProblem(value: string, path: string): string | undefined {
  if (value.includes('\u0000')) return `${path} contains a NUL character (\\u0000)`;
  if (LONE_SURROGATE.test(value)) return `${path} contains a lone UTF-16 surrogate (not valid Unicode)`;
  return undefined;
}

/** Keys EventStoreDB's client turns into system metadata (retention, ACL): refused so both adapters mean the same. */
const RESERVED_METADATA_KEYS = new Set(['maxAge', 'maxCount', 'truncateBefore', 'cacheControl', 'acl']);

/** Checks custom stream metadata (a plain JSON object, no reserved key); returns its JSON text. */
export function validateStreamMetadata(metadata: unknown): string {
  if (!isPlainObject(metadata)) throw new InvalidEventError('stream metadata must be a plain JSON object');
  for (const key of Object.keys(metadata)) {
    if (key.startsWith('$') || RESERVED_METADATA_KEYS.has(key)) {
      throw new InvalidEventError(`stream metadata key ${JSON.stringify(key)} is reserved (EventStoreDB system metadata)`);
    }
  }
  const problem = jsonProblem(metadata, 'metadata');
  if (problem) throw new InvalidEventError(`stream ${problem}`);
  return JSON.stringify(metadata);
}

/** Checks the expected revision of an append (a typo'd string or a negative revision is a caller bug). */
export function validateExpectedRevision(expected: unknown): asserts expected is ExpectedRevision {
  if (expected === 'any' || expected === 'no_stream' || expected === 'stream_exists') return;
  if (typeof expected === 'bigint' && expected >= 0n) return;
  throw new InvalidEventError(
    `expectedRevision must be 'any', 'no_stream', 'stream_exists' or a bigint >= 0n, not ${typeof expected === 'bigint' ? `${expected}n` : JSON.stringify(expected)}`,
  );
}

/** `maxCount` of a read: undefined (no limit) or a non-negative safe integer; 0 reads nothing. */
export function validateMaxCount(maxCount: number | undefined): number | undefined {
  if (maxCount === undefined) return undefined;
  if (!Number.isSafeInteger(maxCount) || maxCount < 0) throw new RangeError(`maxCount must be a non-negative integer, not ${maxCount}`);
  return maxCount;
}

export function validateFromRevision(fromRevision: bigint | undefined): bigint | undefined {
  if (fromRevision === undefined) return undefined;
  if (typeof fromRevision !== 'bigint' || fromRevision < 0n)
    throw new RangeError(`fromRevision must be a bigint >= 0n, not ${String(fromRevision)}`);
  return fromRevision;
}
