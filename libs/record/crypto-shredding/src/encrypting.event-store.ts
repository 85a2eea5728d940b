import { randomBytes } from 'node:crypto';
import { parseCustomerStream, StreamCategories } from '@hub/contracts';
import {
  EventStoreUnavailableError,
  InvalidEventError,
  assertDistinctStreams,
  type AppendResult,
  type StreamAppend,
  type StreamAppendOutcome,
  type EventStore,
  type ExpectedRevision,
  type NewEvent,
  type ReadAllOptions,
  type ReadStreamOptions,
  type RecordedEvent,
  type StreamMetadata,
  type SubscribeToAllOptions,
  type Subscription,
  type SubscriptionFilter,
} from '@hub/event-store';
import { DecryptionError, KeyStoreUnavailableError, NoDataSubjectError } from './crypto-shredding.errors';
import { isEnvelope, KEY_BYTES, openValue, sealValue } from './envelope';
import { mapFieldPath, parseFieldPath, type FieldPathSegment } from './field-path';
import type { KeyStore } from './key-store.port';
import { ERASED_MARKER, PERSONAL_DATA_POLICY, type PersonalDataPolicy } from './personal-data.policy';

/** Whose personal data an event holds: the key it is encrypted with is that subject's. */
export interface DataSubject {
  tenantId: string;
  subjectId: string;
}

export type DataSubjectOf = (stream: string, event: NewEvent) => DataSubject | undefined;

/**
 * What `EncryptingEventStore` records in `metadata.encryption` of an event it encrypted: whose key,
 * and exactly which fields (concrete paths), so reading never depends on today's policy.
 */
export interface EncryptionMetadata {
  tenantId: string;
  subject: string;
  keyVersion: 1;
  fields: string[];
}

/**
 * The data subject of an event: the customer of a customer stream (`customer-<tenant>.<id>`); the
 * claiming customer (`data.customerId`) in an identity claim stream (`identity-<tenant>.…`).
 */
export function defaultDataSubjectOf(stream: string, event: NewEvent): DataSubject | undefined {
  const customer = parseCustomerStream(stream);
  if (customer) return { tenantId: customer.tenantId, subjectId: customer.customerId };
  const identityPrefix = `${StreamCategories.identity}-`;
  if (stream.startsWith(identityPrefix)) {
    const rest = stream.slice(identityPrefix.length);
    const dot = rest.indexOf('.');
    const data = event.data;
    const customerId = typeof data === 'object' && data !== null && 'customerId' in data ? data.customerId : undefined;
    if (dot > 0 && typeof customerId === 'string' && customerId !== '') return { tenantId: rest.slice(0, dot), subjectId: customerId };
  }
  return undefined;
}

export interface EncryptingEventStoreOptions {
  keys: KeyStore;
  /** Default `PERSONAL_DATA_POLICY`. Paths must start at `data`. */
  policy?: PersonalDataPolicy;
  /** Default `defaultDataSubjectOf`. */
  dataSubjectOf?: DataSubjectOf;
}

/**
 * Crypto-shredding in front of any `EventStore` adapter (a decorator: callers keep the port).
 *
 * Append: every field the policy names for the event's type is replaced by an AES-256-GCM envelope
 * (`enc:v1:…`, see `envelope.ts`) under the data subject's key, bound to tenant, subject, event id
 * and field path; `metadata.encryption` records whose key and which fields. The rest of the event
 * is stored as given. The event id is unchanged, so re-appending an event is still a duplicate for
 * the store (the second, differently encrypted copy is simply not written).
 *
 * Read: the recorded fields are decrypted and `metadata.encryption` is removed, so callers get
 * back exactly what was appended. When the subject was erased (its key destroyed), each personal
 * field reads as `ERASED_MARKER` and everything else is intact, so folds and projections keep
 * working. A changed ciphertext throws `DecryptionError`; it never returns garbage.
 *
 * After erasure, events appended for the subject (a late redelivery, a decision made in flight) are
 * encrypted with a one-off key that is never stored: they are written (or recognised as
 * duplicates) as usual and their personal fields are unreadable from the start.
 */
export class EncryptingEventStore implements EventStore {
  private readonly keys: KeyStore;
  private readonly policy: ReadonlyMap<string, readonly (readonly FieldPathSegment[])[]>;
  private readonly dataSubjectOf: DataSubjectOf;

  constructor(
    private readonly inner: EventStore,
    options: EncryptingEventStoreOptions,
  ) {
    this.keys = options.keys;
    this.dataSubjectOf = options.dataSubjectOf ?? defaultDataSubjectOf;
    this.policy = new Map(Object.entries(options.policy ?? PERSONAL_DATA_POLICY).map(([type, paths]) => [type, paths.map(parseDataPath)]));
  }

  async appendToStream(
    stream: string,
    events: readonly NewEvent[],
    options?: { expectedRevision?: ExpectedRevision },
  ): Promise<AppendResult> {
    if (!Array.isArray(events)) return this.inner.appendToStream(stream, events, options);
    const [sealed] = await this.sealAll([{ stream, events }]);
    return this.inner.appendToStream(stream, sealed!, options);
  }

  async readStream(stream: string, options?: ReadStreamOptions): Promise<RecordedEvent[]> {
    return this.openAll(await this.inner.readStream(stream, options));
  }

  /**
   * Every stream's events sealed as `appendToStream` seals them (the keys of all their subjects
   * fetched, or made, in one `getOrCreateMany`), then one call to the inner store.
   */
  async appendToStreams(appends: readonly StreamAppend[]): Promise<StreamAppendOutcome[]> {
    assertDistinctStreams(appends);
    const sealed = await this.sealAll(appends.map((a) => ({ stream: a.stream, events: Array.isArray(a.events) ? a.events : undefined })));
    return this.inner.appendToStreams(appends.map((a, i) => (Array.isArray(a.events) ? { ...a, events: sealed[i]! } : a)));
  }

  async readLastEvents(streams: readonly string[]): Promise<Map<string, RecordedEvent>> {
    const last = await this.inner.readLastEvents(streams);
    const opened = await this.openAll([...last.values()]);
    return new Map(opened.map((e) => [e.streamName, e]));
  }

  async readAll(options?: ReadAllOptions): Promise<RecordedEvent[]> {
    return this.openAll(await this.inner.readAll(options));
  }

  headPosition(): Promise<bigint> {
    return this.inner.headPosition();
  }

  countEvents(range?: Parameters<EventStore['countEvents']>[0]): ReturnType<EventStore['countEvents']> {
    return this.inner.countEvents(range);
  }

  readPositions(range?: Parameters<EventStore['readPositions']>[0]): ReturnType<EventStore['readPositions']> {
    return this.inner.readPositions(range);
  }

  /** No event data in the answer: nothing to open. */
  lastMatchingEvents(filter: Parameters<EventStore['lastMatchingEvents']>[0]): ReturnType<EventStore['lastMatchingEvents']> {
    return this.inner.lastMatchingEvents(filter);
  }

  async readEvent(eventId: string, filter?: SubscriptionFilter): Promise<RecordedEvent | undefined> {
    const event = await this.inner.readEvent(eventId, filter);
    return event && (await this.openAll([event]))[0];
  }

  /**
   * The inner subscription, with every batch decrypted before `onEvents` sees it. A batch that does
   * not decrypt (a tampered event: `DecryptionError`; the key store down) fails like a failing
   * handler: reported to `onError` and retried, never delivered as garbage.
   */
  subscribeToAll(options: SubscribeToAllOptions): Subscription {
    return this.inner.subscribeToAll({ ...options, onEvents: async (events) => options.onEvents(await this.openAll(events)) });
  }

  /** Stream metadata is not an event: it is passed through as it is (keep personal data out of it). */
  setStreamMetadata(stream: string, metadata: StreamMetadata): Promise<void> {
    return this.inner.setStreamMetadata(stream, metadata);
  }

  getStreamMetadata(stream: string): Promise<StreamMetadata | undefined> {
    return this.inner.getStreamMetadata(stream);
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  /**
   * Each batch's events sealed (an undefined batch stays as it is: the inner store refuses it):
   * first every event is checked and its subject found, then the keys of all subjects are fetched
   * in one `getOrCreateMany` (one round trip however many customers), then the fields are sealed.
   */
  private async sealAll(batches: readonly { stream: string; events: readonly NewEvent[] | undefined }[]): Promise<NewEvent[][]> {
    const prepared = batches.map(({ stream, events }) => (events ?? []).map((event) => this.prepare(stream, event)));
    const subjects = new Map<string, DataSubject>();
    for (const p of prepared.flat()) if (p.seal) subjects.set(subjectKey(p.seal.subject), p.seal.subject);
    const keys = await this.keysForWriting([...subjects.values()]);
    return prepared.map((events) =>
      events.map((p) => (p.seal ? this.seal(p.event, p.seal.subject, p.seal.paths, keys.get(subjectKey(p.seal.subject))!) : p.event)),
    );
  }

  /** Checks the event's personal fields and finds its subject; `seal` is undefined when there is nothing to seal. */
  private prepare(
    stream: string,
    event: NewEvent,
  ): { event: NewEvent; seal?: { subject: DataSubject; paths: readonly (readonly FieldPathSegment[])[] } } {
    // Not an event the wrapped store would accept: pass it on untouched, for its validation to refuse.
    if (typeof event !== 'object' || event === null || !isRecord(event.metadata)) return { event };
    if (Object.hasOwn(event.metadata, 'encryption')) {
      throw new InvalidEventError(
        `stream ${stream}, event ${String(event.eventId)}: metadata.encryption is reserved for the encrypting store`,
      );
    }
    const paths = this.policy.get(event.type);
    if (!paths) return { event };
    const root: unknown = { data: event.data };
    const personal: { path: string; value: unknown }[] = [];
    for (const path of paths) {
      mapFieldPath(root, path, (value, concrete) => {
        personal.push({ path: concrete, value });
        return value;
      });
    }
    if (personal.length === 0) return { event };
    for (const { path, value } of personal) checkPersonalValue(stream, event.eventId, path, value);

    const subject = this.dataSubjectOf(stream, event);
    if (!subject) throw new NoDataSubjectError(stream, event.eventId, event.type);
    return { event, seal: { subject, paths } };
  }

  private seal(event: NewEvent, subject: DataSubject, paths: readonly (readonly FieldPathSegment[])[], dataKey: Buffer): NewEvent {
    const fields: string[] = [];
    let sealedRoot: unknown = { data: event.data };
    for (const path of paths) {
      sealedRoot = mapFieldPath(sealedRoot, path, (value, concrete) => {
        if (fields.includes(concrete)) return value; // two policy paths reaching one field: seal it once
        fields.push(concrete);
        return sealValue(dataKey, value, fieldAad(subject, event.eventId, concrete));
      });
    }
    const encryption: EncryptionMetadata = { tenantId: subject.tenantId, subject: subject.subjectId, keyVersion: 1, fields };
    return { ...event, data: (sealedRoot as { data: unknown }).data, metadata: { ...event.metadata, encryption } };
  }

  /** Each subject's key by `subjectKey`; an erased subject gets a key nobody keeps, so its events are stored (or found duplicates) but unreadable. */
  private async keysForWriting(subjects: readonly DataSubject[]): Promise<Map<string, Buffer>> {
    if (subjects.length === 0) return new Map();
    let keys: (Buffer | undefined)[];
    try {
      keys = await this.keys.getOrCreateMany(subjects);
    } catch (err) {
      throw toStoreError(err);
    }
    return new Map(subjects.map((subject, i) => [subjectKey(subject), keys[i] ?? randomBytes(KEY_BYTES)]));
  }

  private async openAll(events: RecordedEvent[]): Promise<RecordedEvent[]> {
    const keys = new Map<string, Promise<Buffer | undefined>>();
    // The keys of every subject of the batch in one `getMany`; `open` looks up any it missed (a malformed record) itself.
    const subjects = new Map<string, DataSubject>();
    for (const event of events) {
      const encryption = isRecord(event.metadata) ? parseEncryptionMetadata(event.metadata['encryption']) : undefined;
      if (encryption)
        subjects.set(subjectKey({ tenantId: encryption.tenantId, subjectId: encryption.subject }), {
          tenantId: encryption.tenantId,
          subjectId: encryption.subject,
        });
    }
    if (subjects.size > 1) {
      const fetched = this.keys.getMany([...subjects.values()]).catch((err: unknown) => {
        throw toStoreError(err);
      });
      [...subjects.keys()].forEach((id, i) => {
        const key = fetched.then((all) => all[i]);
        key.catch(() => undefined); // the first one awaited reports the failure; the others must not go unhandled
        keys.set(id, key);
      });
    }
    const out: RecordedEvent[] = [];
    for (const event of events) out.push(await this.open(event, keys));
    return out;
  }

  private async open(event: RecordedEvent, keys: Map<string, Promise<Buffer | undefined>>): Promise<RecordedEvent> {
    if (!isRecord(event.metadata) || !Object.hasOwn(event.metadata, 'encryption')) return event;
    const where = { stream: event.streamName, eventId: event.eventId };
    const { encryption: raw, ...metadata } = event.metadata;
    const encryption = parseEncryptionMetadata(raw);
    if (!encryption) throw new DecryptionError('malformed_envelope', { ...where, path: 'metadata.encryption' });

    const subject = { tenantId: encryption.tenantId, subjectId: encryption.subject };
    const id = subjectKey(subject);
    let key = keys.get(id);
    if (!key) {
      key = this.keys.get(subject.tenantId, subject.subjectId).catch((err: unknown) => {
        throw toStoreError(err);
      });
      keys.set(id, key);
    }
    const dataKey = await key;

    let root: unknown = { data: event.data };
    for (const field of encryption.fields) {
      let reached = false;
      let segments: FieldPathSegment[];
      try {
        segments = parseDataPath(field);
      } catch {
        throw new DecryptionError('malformed_envelope', { ...where, path: field });
      }
      root = mapFieldPath(root, segments, (value) => {
        reached = true;
        if (!isEnvelope(value)) throw new DecryptionError('malformed_envelope', { ...where, path: field });
        if (!dataKey) return ERASED_MARKER;
        try {
          return openValue(dataKey, value, fieldAad(subject, event.eventId, field));
        } catch (err) {
          if (err instanceof DecryptionError) throw new DecryptionError(err.reason, { ...where, path: field }, err);
          throw err;
        }
      });
      if (!reached) throw new DecryptionError('malformed_envelope', { ...where, path: field });
    }
    return { ...event, data: (root as { data: unknown }).data, metadata };
  }
}

/** Field paths of the policy and of `metadata.encryption.fields` start at the event's `data`. */
function parseDataPath(path: string): FieldPathSegment[] {
  const segments = parseFieldPath(path);
  const first = segments[0];
  if (!first || first.kind !== 'key' || first.name !== 'data')
    throw new RangeError(`personal field path ${JSON.stringify(path)} must start with "data"`);
  return segments;
}

/** Binds a ciphertext to its place: copied to another field, event or subject it does not open. */
function fieldAad(subject: DataSubject, eventId: string, path: string): string {
  // The stores hand event ids back in lower case.
  return JSON.stringify(['hub-field', 1, subject.tenantId, subject.subjectId, eventId.toLowerCase(), path]);
}

function subjectKey(subject: DataSubject): string {
  return JSON.stringify([subject.tenantId, subject.subjectId]);
}

/**
 * Personal fields are leaves: a string, a finite number or a boolean. Anything else is refused as
 * the store would refuse it in clear, rather than being changed silently by serialisation.
 */
function checkPersonalValue(stream: string, eventId: string, path: string, value: unknown): void {
  const ok =
    (typeof value === 'string' && !value.includes('\u0000')) ||
    (typeof value === 'number' && Number.isFinite(value)) ||
    typeof value === 'boolean';
  if (!ok)
    throw new InvalidEventError(
      `stream ${stream}, event ${eventId}: personal field ${path} must be a string (without \\u0000), a finite number or a boolean`,
    );
}

function parseEncryptionMetadata(value: unknown): EncryptionMetadata | undefined {
  if (!isRecord(value)) return undefined;
  const { tenantId, subject, keyVersion, fields } = value;
  if (typeof tenantId !== 'string' || typeof subject !== 'string' || keyVersion !== 1) return undefined;
  if (!Array.isArray(fields) || !fields.every((f): f is string => typeof f === 'string')) return undefined;
  return { tenantId, subject, keyVersion, fields };
}

function toStoreError(err: unknown): unknown {
  return err instanceof KeyStoreUnavailableError ? new EventStoreUnavailableError(err.message, err) : err;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
