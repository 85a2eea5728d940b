import { HubError, type EventMetadata } from '@hub/contracts';
import { isCustomerEventType, type CustomerEvent, type CustomerEventType } from '../events/customer.events';
import { CURRENT_SCHEMA_VERSIONS } from '../events/schema-versions';
import { normalizePhone } from '../identity/normalize-identity';

/** An event as read from the store: any type, any (older) data shape. */
export interface StoredEvent {
  type: string;
  data: unknown;
  metadata: Omit<EventMetadata, 'schemaVersion'> & { schemaVersion?: number };
}

type Data = Record<string, unknown>;

/** Turns the data of one schema version into the data of the next version (`from` + 1). Pure. */
export type Upcaster = (data: Data, metadata: StoredEvent['metadata']) => Data;

/** Upcasters by event type, then by the version they upcast from. */
export type UpcasterRegistry = Readonly<Partial<Record<string, Readonly<Record<number, Upcaster>>>>>;

export const UPCAST_ERROR_CODES = ['UNKNOWN_EVENT_TYPE', 'SCHEMA_VERSION_TOO_NEW', 'NO_UPCASTER', 'INVALID_EVENT_DATA'] as const;
export type UpcastErrorCode = (typeof UPCAST_ERROR_CODES)[number];

/**
 * An event that cannot be read as a current `CustomerEvent`. `SCHEMA_VERSION_TOO_NEW` is
 * retryable (a newer writer is deployed before this reader: deploying this reader fixes it);
 * everything else is permanent.
 */
export class UpcastError extends HubError {
  readonly retryable: boolean;
  constructor(
    readonly code: UpcastErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'UpcastError';
    this.retryable = code === 'SCHEMA_VERSION_TOO_NEW';
  }
}

const isData = (v: unknown): v is Data => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The real history of customer event shapes. Version 0 is what the legacy contact-centre export
 * (imported with `schemaVersion: 0`) wrote:
 * - `CustomerRegistered` v0 → v1: `{ phone: '+1…' }` became `{ identity: { kind: 'phone', value } }`
 *   (normalised to E.164 when it parses, kept as written otherwise).
 * - `InteractionRecorded` v0 → v1: v0 had no `kind` (every interaction was a message) and the text
 *   at the top level; v1 has `kind: 'message'` and `content: { text, media }`.
 * - `NextBestActionDecided` v1 → v2: the first rule set's `rulesetVersion` became `strategyVersion`;
 *   v2 adds `catalogVersion`, `seed` and `arbitration`, which a rule-set decision did not have (null).
 * - `NextBestActionDecided` v2 → v3: v3 names `contactMode` and `segment` itself (and records no
 *   `arbitration`); a v2 event keeps its arbitration and gets both from it (a v1 decision answered
 *   where the customer wrote: `reply`, or `none` for no action; its segment is null).
 */
export const CUSTOMER_UPCASTERS: UpcasterRegistry = {
  CustomerRegistered: {
    0: ({ phone, ...rest }) => {
      if (typeof phone !== 'string' || 'identity' in rest) return rest;
      const normalized = normalizePhone(phone);
      return { ...rest, identity: normalized.ok ? normalized.identity : { kind: 'phone', value: phone } };
    },
  },
  InteractionRecorded: {
    0: ({ text, media, ...rest }) => ({
      ...rest,
      kind: rest['kind'] ?? 'message',
      content: rest['content'] ?? { ...(typeof text === 'string' ? { text } : {}), media: Array.isArray(media) ? media : [] },
    }),
  },
  NextBestActionDecided: {
    1: ({ rulesetVersion, ...rest }) => ({
      ...rest,
      strategyVersion: rest['strategyVersion'] ?? (typeof rulesetVersion === 'string' ? rulesetVersion : 'unknown'),
      catalogVersion: rest['catalogVersion'] ?? null,
      seed: rest['seed'] ?? null,
      arbitration: rest['arbitration'] ?? null,
    }),
    2: (data) => {
      const arbitration = isData(data['arbitration']) ? data['arbitration'] : undefined;
      const chosen = arbitration && isData(arbitration['chosen']) ? arbitration['chosen'] : undefined;
      const kind = isData(data['action']) ? data['action']['kind'] : undefined;
      return {
        ...data,
        contactMode: data['contactMode'] ?? (kind === 'none' ? 'none' : (chosen?.['contactMode'] ?? 'reply')),
        segment: data['segment'] ?? (typeof arbitration?.['segment'] === 'string' ? arbitration['segment'] : null),
      };
    },
  },
};

/**
 * An upcaster over a registry: applies `registry[type][v]` for v = stored version, +1, … until the
 * current version, and stamps the result with it. Events without a `schemaVersion` are version 1
 * (every writer has set one since the first release).
 */
export function createUpcaster(
  registry: UpcasterRegistry,
  current: Readonly<Record<CustomerEventType, number>>,
): (event: StoredEvent) => CustomerEvent {
  return (event) => {
    if (!isCustomerEventType(event.type)) throw new UpcastError('UNKNOWN_EVENT_TYPE', `not a customer event type: ${event.type}`);
    const target = current[event.type];
    let version = event.metadata.schemaVersion ?? 1;
    if (!Number.isInteger(version) || version < 0)
      throw new UpcastError('INVALID_EVENT_DATA', `${event.type}: invalid schemaVersion ${String(version)}`);
    if (version > target)
      throw new UpcastError('SCHEMA_VERSION_TOO_NEW', `${event.type} v${version} is newer than this reader's v${target}`);
    if (!isData(event.data)) throw new UpcastError('INVALID_EVENT_DATA', `${event.type}: data is not an object`);
    let data: Data = event.data;
    while (version < target) {
      const step = registry[event.type]?.[version];
      if (!step) throw new UpcastError('NO_UPCASTER', `${event.type}: no upcaster from v${version}`);
      data = step(data, event.metadata);
      version += 1;
    }
    return { type: event.type, data, metadata: { ...event.metadata, schemaVersion: version } } as unknown as CustomerEvent;
  };
}

/** A stored customer event, of any past schema version, as the current `CustomerEvent`. */
export const upcast: (event: StoredEvent) => CustomerEvent = createUpcaster(CUSTOMER_UPCASTERS, CURRENT_SCHEMA_VERSIONS);
