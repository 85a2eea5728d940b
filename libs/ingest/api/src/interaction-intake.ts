import {
  deterministicId,
  IDENTITY_KINDS,
  INTERACTION_RECEIVED_SCHEMA_VERSION,
  InteractionReceivedDto,
  validateAs,
  type FieldError,
  type IdentityRef,
  type InteractionReceived,
} from '@hub/contracts';
import { normalizeEmail, normalizeExternalId, normalizeHandle, normalizePhone, type NormalizeResult } from '@hub/customer';
import { jsonNestingDepth, MAX_JSON_DEPTH } from '@hub/channels-core';
import { AttributeSchemas } from './attribute-schemas';

/**
 * Why an event sent to the generic API (HTTP or the raw topic) is refused. Stable: they appear in
 * responses, logs (`code`), /metrics and, upper-cased, as the dead-letter code of raw messages.
 */
export type IntakeRejectionCode =
  | 'invalid_json'
  | 'event_too_large'
  | 'invalid_event'
  | 'tenant_mismatch'
  | 'source_mismatch'
  | 'tenant_not_allowed';

/**
 * Who sent the event. Over HTTP: the API key's source and tenant, which the event must not
 * contradict. On the raw topic: anyone who may produce to it (Kafka ACLs), for an allowed tenant only.
 */
export type IntakeOrigin = { kind: 'api'; source: string; tenantId: string } | { kind: 'raw'; allowedTenants: ReadonlySet<string> };

export interface IntakeContext {
  origin: IntakeOrigin;
  /** When the hub accepted it (ISO 8601): always the hub's, whatever the event says. */
  recordedAt: string;
  /** An event (a JSON body, an NDJSON line, a raw message) larger than this is refused unread. */
  maxEventBytes: number;
  /** Each tenant's declared `data.attributes` (`INGEST_ATTRIBUTE_SCHEMAS`); none: no tenant may send attributes. */
  attributeSchemas?: AttributeSchemas;
}

/**
 * `clientEventId`: the id the sender gave (lower-cased), when it gave one; `event.metadata.eventId` is
 * the stored id scoped from it. A refusal names the tenant the event claimed (`tenantId`, any string
 * it gave) and the sender's id when they could be read: where the raw topic's feedback goes, and what
 * it is about.
 */
export type IntakeResult =
  | { ok: true; event: InteractionReceived; clientEventId?: string }
  | { ok: false; code: IntakeRejectionCode; errors: FieldError[]; tenantId?: string; clientEventId?: string };

/** Namespace of the event ids the hub derives for the generic API (part of every such id: never change). */
const GENERIC_API_ID_PART = 'ingest-api';

/**
 * The event id of an event sent without one: UUID v5 of (tenant, source, provider message id). A
 * platform's retry — over HTTP or the raw topic, in any batch — is therefore the same event, and is
 * deduplicated downstream by its id.
 */
export function derivedEventId(tenantId: string, source: string, providerMessageId: string): string {
  return deterministicId(GENERIC_API_ID_PART, tenantId, source, providerMessageId);
}

/** Namespace of the stored ids of events sent with an id of their own (part of every such id: never change). */
const CLIENT_EVENT_ID_PART = 'client-event';

/**
 * The stored id of an event sent with an id of its own: UUID v5 of (tenant, source, the sender's id).
 * A sender's id is unique only within what that sender sends: taken as the stored id, one tenant's
 * key could pre-claim another tenant's event id (whose real event would then be dropped as already
 * recorded). Scoped, two tenants (or two sources) sending the same id get two events, and a retry of
 * the same (tenant, source, id) is still the same event.
 */
export function clientScopedEventId(tenantId: string, source: string, clientEventId: string): string {
  return deterministicId(CLIENT_EVENT_ID_PART, tenantId, source, canonicalClientEventId(clientEventId));
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * A platform's own event id: a UUID (any case: the same UUID), or any other id of its own — `CCX-1`,
 * a Salesforce `00Q5e00000AbCdE` — compared exactly (such ids can be case-sensitive), 1 to
 * `MAX_CLIENT_EVENT_ID` characters, no control characters.
 */
export const MAX_CLIENT_EVENT_ID = 200;
// eslint-disable-next-line no-control-regex
const CLIENT_EVENT_ID = /^[^\u0000-\u001f\u007f]+$/u;

function canonicalClientEventId(id: string): string {
  return UUID.test(id) ? id.toLowerCase() : id;
}

function isClientEventId(id: unknown): id is string {
  return typeof id === 'string' && id.length >= 1 && id.length <= MAX_CLIENT_EVENT_ID && id.trim() === id && CLIENT_EVENT_ID.test(id);
}

/**
 * One event's bytes → a canonical `InteractionReceived`, or why not. The single path every
 * generic-API event takes: a JSON body, each NDJSON line, each raw-topic message.
 */
export function readInteraction(bytes: Buffer, ctx: IntakeContext): IntakeResult {
  if (bytes.length > ctx.maxEventBytes) {
    return reject(
      'event_too_large',
      '(event)',
      `is ${bytes.length} bytes; at most ${ctx.maxEventBytes} are accepted (INGEST_MAX_EVENT_BYTES)`,
    );
  }
  const parsed = parseJson(bytes.toString('utf8'));
  if (!parsed.ok) return reject('invalid_json', '(event)', parsed.message);
  return normaliseInteraction(parsed.value, ctx);
}

/**
 * Complete and check a canonical event:
 * - tenant: over HTTP `metadata.tenantId` is the key's (set when absent, refused when different);
 *   on the raw topic it is required and must be allowed;
 * - source: over HTTP `data.provider.name` is the key's source (set when absent, refused when
 *   different), so downstream knows which platform sent it; on the raw topic it is required;
 * - `metadata.eventId`: when given (a UUID, or any id of the sender's own like `CCX-1`), the stored
 *   id is `clientScopedEventId` of (tenant, source, the given id) and the given one is returned as
 *   `clientEventId` (a UUID lower-cased, any other id as given); when absent derived from (tenant,
 *   source, provider message id) (`derivedEventId`);
 *   `correlationId`/`causationId` default to it, `schemaVersion` to the current one,
 *   `occurredAtSource` to `provider` (the sender's own `occurredAt`);
 * - `metadata.recordedAt`: set by the hub;
 * - then `InteractionReceivedDto` (unknown fields refused, facets must match the kind) and identity
 *   normalisation (phones to E.164, emails lower-cased, handles and external ids checked), and
 *   `data.attributes` by the tenant's declared schema (`AttributeSchemas`) — every problem at once.
 */
export function normaliseInteraction(
  input: unknown,
  { origin, recordedAt, attributeSchemas = AttributeSchemas.none() }: Pick<IntakeContext, 'origin' | 'recordedAt' | 'attributeSchemas'>,
): IntakeResult {
  if (!isRecord(input)) return reject('invalid_event', '(root)', 'must be a JSON object: one InteractionReceived (send several as NDJSON)');
  if (input['metadata'] !== undefined && !isRecord(input['metadata'])) return reject('invalid_event', 'metadata', 'must be an object');
  const metadata: Record<string, unknown> = { ...((input['metadata'] as Record<string, unknown> | undefined) ?? {}) };
  const data = isRecord(input['data']) ? { ...input['data'] } : input['data'];
  const provider = isRecord(data) && isRecord(data['provider']) ? { ...data['provider'] } : undefined;
  if (isRecord(data) && provider) data['provider'] = provider;
  // A call or an order has no media: a platform need not send an empty list.
  if (isRecord(data) && isRecord(data['content']) && data['content']['media'] === undefined)
    data['content'] = { ...data['content'], media: [] };

  // Every problem is reported at once: who sent it, its id, the DTO's checks and the identities'
  // rules together, so a sender fixes an event in one round trip. The code is the gravest one.
  const problems: FieldError[] = [];
  let code: IntakeRejectionCode = 'invalid_event';
  const refuse = (as: IntakeRejectionCode, field: string, message: string, problem: string = as) => {
    if (REJECTION_PRECEDENCE.indexOf(as) < REJECTION_PRECEDENCE.indexOf(code)) code = as;
    problems.push({ field, messages: [message], codes: [problem] });
  };
  if (origin.kind === 'api') {
    if (metadata['tenantId'] === undefined) metadata['tenantId'] = origin.tenantId;
    else if (metadata['tenantId'] !== origin.tenantId)
      refuse('tenant_mismatch', 'metadata.tenantId', `must be the API key's tenant (${origin.tenantId}) or absent`);
    if (provider && provider['name'] === undefined) provider['name'] = origin.source;
    else if (provider && provider['name'] !== origin.source)
      refuse('source_mismatch', 'data.provider.name', `must be the API key's source (${origin.source}) or absent`);
  } else {
    const tenantId = metadata['tenantId'];
    if (tenantId === undefined) refuse('tenant_not_allowed', 'metadata.tenantId', 'is required on the raw topic');
    else if (typeof tenantId !== 'string' || !origin.allowedTenants.has(tenantId))
      refuse('tenant_not_allowed', 'metadata.tenantId', 'is not a tenant allowed on the raw topic (INGEST_RAW_TENANTS)');
  }

  const given = metadata['eventId'];
  let clientEventId: string | undefined;
  const [tenantId, source] = [metadata['tenantId'], provider?.['name']];
  const scoped = typeof tenantId === 'string' && typeof source === 'string';
  if (given === undefined) {
    const messageId = provider?.['messageId'];
    if (scoped && typeof messageId === 'string' && messageId !== '') metadata['eventId'] = derivedEventId(tenantId, source, messageId);
  } else if (isClientEventId(given)) {
    clientEventId = canonicalClientEventId(given);
    // Without a tenant and a source the event is refused below (both are required), whatever its id:
    // then no stored id is made, and the refusal names what is missing rather than the id.
    if (scoped) metadata['eventId'] = clientScopedEventId(tenantId, source, clientEventId);
    else delete metadata['eventId'];
  } else {
    refuse(
      'invalid_event',
      'metadata.eventId',
      `must be the sender's own id: a UUID, or 1 to ${MAX_CLIENT_EVENT_ID} characters without control characters or surrounding spaces`,
      'invalid_event_id',
    );
    delete metadata['eventId'];
  }
  if (metadata['eventId'] !== undefined) {
    metadata['correlationId'] ??= metadata['eventId'];
    metadata['causationId'] ??= metadata['eventId'];
  }
  metadata['schemaVersion'] ??= INTERACTION_RECEIVED_SCHEMA_VERSION;
  // The sender gives occurredAt (it is required): its own time, unless it says it only knows when it received it.
  metadata['occurredAtSource'] ??= 'provider';
  metadata['recordedAt'] = recordedAt;

  const candidate = { ...input, data, metadata };
  const validated = validateAs(InteractionReceivedDto, candidate, { codes: true });
  if (!validated.ok) {
    // An id we could not derive is reported through the fields it is derived from (or as the bad id it was given), not as a missing id.
    const derivedFields = ['metadata.eventId', 'metadata.correlationId', 'metadata.causationId'];
    const named = new Set(problems.map((p) => p.field));
    const dtoErrors = validated.errors.filter(
      (e) => !named.has(e.field) && !(metadata['eventId'] === undefined && derivedFields.includes(e.field)),
    );
    // Nothing else wrong but the id we could not derive: then say so.
    problems.push(...(dtoErrors.length > 0 || problems.length > 0 ? dtoErrors : validated.errors));
  }

  // The identities the DTO found well-formed, by the hub's rules (even while other fields are wrong).
  const sentIdentities = isRecord(data) && Array.isArray(data['identities']) ? (data['identities'] as unknown[]) : [];
  const identities: IdentityRef[] = [];
  sentIdentities.forEach((identity, i) => {
    const at = `data.identities.${i}`;
    if (problems.some((p) => p.field === at || p.field.startsWith(`${at}.`)) || !isIdentityShaped(identity)) return;
    const normalised = normaliseIdentity(identity);
    if (normalised.ok) identities.push(normalised.identity);
    else problems.push({ field: `${at}.${normalised.field}`, messages: [normalised.reason], codes: ['invalid_identity'] });
  });
  // The platform's own attributes, by its tenant's schema (once the tenant is known and the contract's limits are met).
  const attributes = isRecord(data) ? data['attributes'] : undefined;
  const unchecked = (field: string) => problems.some((p) => p.field === field || p.field.startsWith(`${field}.`));
  if (isRecord(attributes) && typeof tenantId === 'string' && !unchecked('metadata.tenantId') && !unchecked('data.attributes'))
    problems.push(...attributeSchemas.check(tenantId, attributes));
  if (problems.length > 0)
    return {
      ok: false,
      code,
      errors: problems,
      ...(typeof tenantId === 'string' ? { tenantId } : {}),
      ...(clientEventId !== undefined ? { clientEventId } : {}),
    };

  const event = candidate as unknown as InteractionReceived;
  return { ok: true, event: { ...event, data: { ...event.data, identities } }, ...(clientEventId !== undefined ? { clientEventId } : {}) };
}

/** When one event has several kinds of problem, the code it is refused with: the first of these it has. */
const REJECTION_PRECEDENCE: readonly IntakeRejectionCode[] = [
  'invalid_json',
  'event_too_large',
  'tenant_not_allowed',
  'tenant_mismatch',
  'source_mismatch',
  'invalid_event',
];

/** An identity the DTO accepts the shape of (a known kind, a string value, a string namespace or none). */
export function isIdentityShaped(identity: unknown): identity is IdentityRef {
  return (
    isRecord(identity) &&
    (IDENTITY_KINDS as readonly unknown[]).includes(identity['kind']) &&
    typeof identity['value'] === 'string' &&
    (identity['namespace'] === undefined || typeof identity['namespace'] === 'string')
  );
}

/** The hub's identity rules (libs/shared/customer): what the resolution downstream expects to find. */
export function normaliseIdentity(
  identity: IdentityRef,
): { ok: true; identity: IdentityRef } | { ok: false; field: 'value' | 'namespace'; reason: string } {
  const withField = (r: NormalizeResult) => (r.ok ? r : { ok: false as const, field: 'value' as const, reason: r.reason });
  switch (identity.kind) {
    case 'phone':
      return withField(normalizePhone(identity.value));
    case 'email':
      return withField(normalizeEmail(identity.value));
    case 'handle':
      if (identity.namespace === undefined)
        return {
          ok: false,
          field: 'namespace',
          reason: 'is required for a handle (the platform: whatsapp, instagram, messenger, telegram)',
        };
      return withField(normalizeHandle(identity.namespace, identity.value));
    case 'external':
      if (identity.namespace === undefined)
        return { ok: false, field: 'namespace', reason: 'is required for an external id (the system it belongs to, e.g. salesforce)' };
      return withField(normalizeExternalId(identity.namespace, identity.value));
    default: {
      const exhaustive: never = identity.kind;
      return { ok: false, field: 'value', reason: `unknown identity kind ${String(exhaustive)}` };
    }
  }
}

/**
 * `JSON.parse`, refusing documents with a `__proto__` key or a `constructor.prototype` (prototype
 * poisoning once mapped onto classes), as Fastify's own JSON parser does for other routes.
 */
export function parseJson(text: string): { ok: true; value: unknown } | { ok: false; message: string } {
  // Before anything walks it (the poisoning check below is recursive).
  if (jsonNestingDepth(text, MAX_JSON_DEPTH) > MAX_JSON_DEPTH)
    return { ok: false, message: `is refused: it nests arrays and objects more than ${MAX_JSON_DEPTH} levels deep` };
  let value: unknown;
  try {
    value = JSON.parse(text) as unknown;
  } catch (err) {
    return { ok: false, message: `is not JSON: ${(err as Error).message}` };
  }
  return poisoned(value) ? { ok: false, message: 'is refused: it has a "__proto__" or "constructor.prototype" key' } : { ok: true, value };
}

function poisoned(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(poisoned);
  if (!isRecord(value)) return false;
  if (Object.prototype.hasOwnProperty.call(value, '__proto__')) return true;
  const ctor = value['constructor'];
  if (isRecord(ctor) && Object.prototype.hasOwnProperty.call(ctor, 'prototype')) return true;
  return Object.values(value).some(poisoned);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function reject(code: IntakeRejectionCode, field: string, message: string): IntakeResult {
  return { ok: false, code, errors: [{ field, messages: [message], codes: [code] }] };
}
