import { randomInt, randomUUID } from 'node:crypto';
import { Pool, escapeIdentifier } from 'pg';
import type { EventMetadata, IdentityRef } from '@hub/contracts';
import { PostgresEventStore, type NewEvent } from '@hub/event-store';
import { freshId, testInfra } from '@hub/testing';
import { EncryptingEventStore } from '../encrypting.event-store';
import { PostgresKeyStore } from '../postgres.key-store';

/** Personal values of one made-up customer: each must be findable if it ever leaks into a raw row. */
export interface Person {
  phone: string;
  email: string;
  text: string;
  mediaUrl: string;
  endpoint: string;
}

export function freshPerson(): Person {
  const n = String(randomInt(1e7)).padStart(7, '0');
  const tag = freshId('p');
  return {
    phone: `+1415${n}`,
    email: `ada.${tag}@example.com`,
    text: `Where is my order ${tag}? Call me back.`,
    mediaUrl: `https://media.example.com/${tag}/receipt.jpg`,
    endpoint: `+1628${n}`,
  };
}

export function personalValues(person: Person): string[] {
  return [person.phone, person.email, person.text, person.mediaUrl, person.endpoint];
}

export function metadata(tenantId: string, overrides: Partial<EventMetadata> = {}): EventMetadata {
  const eventId = randomUUID();
  return {
    eventId,
    correlationId: eventId,
    causationId: eventId,
    occurredAt: '2025-03-01T09:30:00.000Z',
    recordedAt: '2025-03-01T09:30:01.000Z',
    schemaVersion: 1,
    tenantId,
    channel: 'sms',
    ...overrides,
  };
}

function toNew(event: { type: string; data: unknown; metadata: EventMetadata }): NewEvent {
  return { eventId: event.metadata.eventId, type: event.type, data: event.data, metadata: { ...event.metadata } };
}

export function customerRegistered(tenantId: string, customerId: string, person: Person): NewEvent {
  const identity: IdentityRef = { kind: 'phone', value: person.phone };
  return toNew({ type: 'CustomerRegistered', data: { customerId, tenantId, identity }, metadata: metadata(tenantId) });
}

export function interactionRecorded(tenantId: string, person: Person, overrides: Partial<EventMetadata> = {}): NewEvent {
  return toNew({
    type: 'InteractionRecorded',
    data: {
      direction: 'inbound',
      kind: 'message',
      identities: [
        { kind: 'phone', value: person.phone },
        { kind: 'email', value: person.email },
      ],
      content: { text: person.text, media: [{ url: person.mediaUrl, contentType: 'image/jpeg' }] },
      provider: { name: 'twilio', messageId: `SM${randomUUID().replace(/-/g, '')}`, accountId: 'AC123' },
      endpoint: person.endpoint,
      channel: 'sms',
    },
    metadata: metadata(tenantId, overrides),
  });
}

export function identityClaimed(tenantId: string, customerId: string, person: Person): NewEvent {
  return toNew({
    type: 'IdentityClaimed',
    data: { customerId, identity: { kind: 'phone', value: person.phone } },
    metadata: metadata(tenantId),
  });
}

/**
 * A next-best-action decision in the shape the engine records (trimmed to the parts that matter
 * here): the `traits.doNotContact` and `traits.tier` facts it read, at the top and inside nested
 * rule traces, and the customer's time zone in the contact checks.
 */
export function nextBestActionDecided(tenantId: string, customerId: string, traits: { tier: string; timeZone: string }): NewEvent {
  const quietHours = { timeZone: traits.timeZone, localTime: '21:40', from: '21:00', to: '08:00', quiet: true };
  // The rule as written is the catalog's (its literal is configuration); the facts are the customer's.
  const rule = (id: string) => ({
    id,
    rule: 'traits.tier eq gold',
    passed: false,
    facts: { 'traits.tier': traits.tier, 'satisfaction.lastCsat': 2 },
  });
  return toNew({
    type: 'NextBestActionDecided',
    data: {
      decisionId: randomUUID(),
      customerId,
      action: { kind: 'escalation', code: 'escalate_manager', channel: 'sms', detail: 'Escalate to a manager' },
      explanation: {
        ruleId: 'escalation_at_risk',
        reason: 'at risk: said "cancel"',
        inputs: { matched: 'cancel', 'traits.tier': traits.tier, 'satisfaction.lastCsat': 2 },
      },
      strategyVersion: 'nba-v2',
      catalogVersion: '2025-03-01',
      seed: 42,
      basedOnRevision: '3',
      basedOnEventId: randomUUID(),
      arbitration: {
        segment: 'low_value_unhappy',
        facts: { 'traits.tier': traits.tier, 'traits.doNotContact': false, 'traits.cleared': null, 'satisfaction.lastCsat': 2 },
        defaults: [
          {
            policy: 'eligibility',
            passed: true,
            rules: [
              {
                rule: 'not traits.doNotContact eq true',
                passed: true,
                facts: { 'traits.doNotContact': false },
                children: [rule('nested')],
              },
            ],
          },
        ],
        counters: { channels: {}, total: null, timeZone: traits.timeZone, timeZoneSource: 'trait', localTime: '21:40' },
        chosen: {
          rank: 1,
          actionId: 'escalate_manager',
          kind: 'escalation',
          strategy: 'escalation',
          detail: 'Escalate to a manager',
          channel: 'sms',
          contactMode: 'handoff',
          priority: 30.4,
        },
        menu: [],
        candidates: [
          {
            actionId: 'escalate_manager',
            survived: true,
            policies: [{ policy: 'suitability', passed: true, rules: [rule('tier')] }],
            contact: {
              mode: 'proactive',
              passed: true,
              channels: [{ channel: 'sms', available: false, blockedBy: ['quiet_hours'], quietHours }],
            },
            score: { value: 50, priority: 30.4 },
          },
        ],
      },
    },
    metadata: metadata(tenantId),
  });
}

/** What a caller appended, in the shape a read gives back (for equality checks). */
export function asAppended(event: NewEvent): Pick<NewEvent, 'eventId' | 'type' | 'data' | 'metadata'> {
  return { eventId: event.eventId, type: event.type, data: event.data, metadata: event.metadata };
}

export interface RawRow {
  event_id: string;
  event_type: string;
  data: string;
  metadata: string;
}

/**
 * The real PostgreSQL event store behind the encrypting decorator, the key store, and direct SQL
 * access to the rows as stored (`rawRows`). Tables are shared: tests use fresh tenants and ids.
 */
export class CryptoShreddingHarness {
  readonly schemas: string[] = [];

  private constructor(
    readonly pool: Pool,
    readonly inner: PostgresEventStore,
    readonly keys: PostgresKeyStore,
    readonly store: EncryptingEventStore,
  ) {}

  static async start(): Promise<CryptoShreddingHarness> {
    const pool = new Pool({ connectionString: testInfra().databaseUrl, max: 10 });
    pool.on('error', () => undefined);
    const inner = await PostgresEventStore.create({ pool });
    const keys = await PostgresKeyStore.create({ pool });
    return new CryptoShreddingHarness(pool, inner, keys, new EncryptingEventStore(inner, { keys }));
  }

  async stop(): Promise<void> {
    await this.store.close();
    for (const schema of this.schemas) await this.pool.query(`drop schema if exists ${escapeIdentifier(schema)} cascade`);
    await this.pool.end();
  }

  /** Another event store in its own schema: stands in for someone writing rows by hand. */
  async isolatedInnerStore(): Promise<PostgresEventStore> {
    const schema = freshId('cs_');
    this.schemas.push(schema);
    return PostgresEventStore.create({ pool: this.pool, schema });
  }

  async rawRows(stream: string, schema = 'public'): Promise<RawRow[]> {
    const r = await this.pool.query<RawRow>(
      `select event_id::text, event_type, data::text as data, metadata::text as metadata
         from ${escapeIdentifier(schema)}.hub_events where stream_name = $1 order by stream_revision`,
      [stream],
    );
    return r.rows;
  }

  /** Every raw row of the stream as one text, for "does any plaintext appear anywhere" checks. */
  async rawText(stream: string): Promise<string> {
    return (await this.rawRows(stream)).map((r) => `${r.event_type} ${r.data} ${r.metadata}`).join('\n');
  }
}
