/**
 * Every Kafka topic, consumer group, event-store stream and BullMQ queue name in the hub.
 *
 * RENAMING ANY OF THESE NEEDS A MIGRATION: topics and groups hold committed offsets, streams hold
 * the system of record, queues hold scheduled jobs. Add a new name (and a `.v2`) instead of editing.
 */
import { createHash } from 'node:crypto';
import type { IdentityHasher } from './identity-hasher';

export const Topics = {
  /** Canonical interaction events from the ingestion apps. Key: `identityKey()`. */
  interactions: 'hub.interactions.v1',
  /** Events recorded in a customer's stream, republished for the worker and downstream. Key: customer id. */
  customerEvents: 'hub.customer-events.v1',
  /**
   * Messages that verified but can never be processed; value is the raw message (bounded), or for the
   * raw topic's a reference to it (coordinates and SHA-256: every tenant's operators read this topic);
   * headers say why.
   */
  deadLetter: 'hub.dead-letter.v1',
  /**
   * Canonical `InteractionReceived` events produced directly by contact-center platforms (one JSON
   * event per message, `metadata.eventId`/`recordedAt` optional); ingest-api validates and normalises
   * them onto `interactions`, or dead-letters them. Key: any (re-keyed by `identityKey()`).
   */
  rawInteractions: 'hub.raw-interactions.v1',
  /**
   * Next-best-action decisions that contact the customer, for channel senders: one message per
   * `NextBestActionDecided` (published from the store by the nba-worker's outbox relay). Key: customer
   * id; header `hub-event-id` = `decisionId`, the idempotency key: delivery is at least once, so
   * senders dedupe by it.
   */
  nbaDecisions: 'hub.nba-decisions.v1',
  /**
   * Every next-best-action decision, in the customer's order: the v1 messages with `kind: 'action'`
   * and the decisions that contact nobody (`kind: 'no-action'`, with the reason). Same key and
   * headers as `nbaDecisions`, published by the same relay.
   */
  nbaDecisionsV2: 'hub.nba-decisions.v2',
} as const;
export type TopicName = (typeof Topics)[keyof typeof Topics];

export const ConsumerGroups = {
  timelineProjector: 'hub.timeline-projector',
  nbaWorker: 'hub.nba-worker',
  /** ingest-api reading `rawInteractions`. */
  ingestApiRaw: 'hub.ingest-api.raw',
  /** The outgoing-webhooks app reading decisions (`nbaDecisionsV2`) and customer events. */
  outgoingWebhooks: 'hub.outgoing-webhooks',
  /** The outbound sender reading `nbaDecisionsV2` (its send ledger, not the offsets, makes each send once). */
  outbound: 'hub.outbound',
} as const;

export const Queues = {
  nbaDecide: 'hub-nba-decide',
  /** Delayed no-response outcomes and the outbound scan (a job scheduler). */
  nbaFollowUp: 'hub-nba-follow-up',
  /** One job per (subscription, message): the outgoing webhook's attempts, retried on the webhooks' schedule. */
  webhookDeliveries: 'hub-webhook-deliveries',
} as const;

/** Every name on shared infrastructure (Kafka topics and groups, BullMQ queues) of one hub environment. */
export interface HubNames {
  topics: {
    interactions: string;
    customerEvents: string;
    deadLetter: string;
    rawInteractions: string;
    nbaDecisions: string;
    nbaDecisionsV2: string;
  };
  groups: { timelineProjector: string; nbaWorker: string; ingestApiRaw: string; outgoingWebhooks: string; outbound: string };
  queues: { nbaDecide: string; nbaFollowUp: string; webhookDeliveries: string };
}

/**
 * The names under an optional namespace (`HUB_NAMESPACE`): two hub environments — or two test runs —
 * can share one Kafka cluster and one Redis without seeing each other's messages or jobs. The empty
 * namespace gives the names above unchanged. Event-store streams are not namespaced: environments
 * have a database each.
 */
export function hubNames(namespace = ''): HubNames {
  const t = (name: string) => (namespace ? `${namespace}.${name}` : name);
  const q = (name: string) => (namespace ? `${namespace}-${name}` : name);
  return {
    topics: {
      interactions: t(Topics.interactions),
      customerEvents: t(Topics.customerEvents),
      deadLetter: t(Topics.deadLetter),
      rawInteractions: t(Topics.rawInteractions),
      nbaDecisions: t(Topics.nbaDecisions),
      nbaDecisionsV2: t(Topics.nbaDecisionsV2),
    },
    groups: {
      timelineProjector: t(ConsumerGroups.timelineProjector),
      nbaWorker: t(ConsumerGroups.nbaWorker),
      ingestApiRaw: t(ConsumerGroups.ingestApiRaw),
      outgoingWebhooks: t(ConsumerGroups.outgoingWebhooks),
      outbound: t(ConsumerGroups.outbound),
    },
    queues: { nbaDecide: q(Queues.nbaDecide), nbaFollowUp: q(Queues.nbaFollowUp), webhookDeliveries: q(Queues.webhookDeliveries) },
  };
}

/**
 * One tenant's feedback on the raw topic: why each of its messages on `rawInteractions` was refused
 * (the generic API's error shape, the message's coordinates, its size and SHA-256; never its
 * payload). One topic per tenant of `INGEST_RAW_TENANTS`, so Kafka ACLs give each platform its own
 * (docs/events.md, "Raw-topic feedback"). Key: the sender's event id, or the coordinates.
 */
export function rawRejectionsTopic(tenantId: string, namespace = ''): string {
  const name = `hub.raw-rejections.${tenantId}.v1`;
  return namespace ? `${namespace}.${name}` : name;
}

export const HUB_NAMESPACE_PATTERN = /^[a-z0-9][a-z0-9-]{0,39}$/;

/** Stream categories: the part before the first '-', as EventStoreDB's `$by_category` reads it. */
export const StreamCategories = {
  customer: 'customer',
  identity: 'identity',
} as const;

/** A customer's stream: every event about that customer, in order. */
export function customerStream(tenantId: string, customerId: string): string {
  return `${StreamCategories.customer}-${tenantId}.${customerId}`;
}

export function parseCustomerStream(stream: string): { tenantId: string; customerId: string } | undefined {
  const prefix = `${StreamCategories.customer}-`;
  if (!stream.startsWith(prefix)) return undefined;
  const rest = stream.slice(prefix.length);
  const dot = rest.indexOf('.');
  if (dot <= 0) return undefined;
  return { tenantId: rest.slice(0, dot), customerId: rest.slice(dot + 1) };
}

/** The last segment of a keyed identity stream name starts with this (a legacy name's is bare hex). */
const KEYED_DIGEST_PREFIX = 'k-';

/**
 * The stream that records which customer owns one identity (a phone number, an email, a handle):
 * `identity-<tenant>.<kind>.k-<40 hex>`, the hex an HMAC of the identity under the deployment's
 * identity key (`IdentityHasher`), so no personal data appears in a stream name and nobody without
 * the key can find an identity's stream from a guessed value. Changing the key renames every claim
 * stream: `hub identities migrate` moves the claims (docs/operations.md, "Identity hash key").
 */
export function identityStream(hasher: IdentityHasher, tenantId: string, kind: string, value: string): string {
  return `${StreamCategories.identity}-${tenantId}.${kind}.${KEYED_DIGEST_PREFIX}${hasher.digest(tenantId, kind, value).slice(0, 40)}`;
}

/**
 * The name identity streams had before they were keyed: an unkeyed SHA-256 of `kind:value`, which
 * anyone can recompute by enumerating phone numbers. Read only as a fallback and by the migration
 * (`IdentityResolver`, `hub identities migrate`); never written to except to release a claim.
 */
export function legacyIdentityStream(tenantId: string, kind: string, value: string): string {
  const digest = createHash('sha256').update(`${kind}:${value}`).digest('hex').slice(0, 40);
  return `${StreamCategories.identity}-${tenantId}.${kind}.${digest}`;
}

/** The tenant of an identity stream, and whether its name is keyed (`identityStream`) or legacy. */
export function parseIdentityStream(stream: string): { tenantId: string; keyed: boolean } | undefined {
  const prefix = `${StreamCategories.identity}-`;
  if (!stream.startsWith(prefix)) return undefined;
  const rest = stream.slice(prefix.length);
  const dot = rest.indexOf('.');
  const last = rest.slice(rest.lastIndexOf('.') + 1);
  if (dot <= 0 || rest.lastIndexOf('.') === dot) return undefined;
  if (/^[0-9a-f]{40}$/.test(last)) return { tenantId: rest.slice(0, dot), keyed: false };
  if (last.startsWith(KEYED_DIGEST_PREFIX) && /^[0-9a-f]{40}$/.test(last.slice(KEYED_DIGEST_PREFIX.length)))
    return { tenantId: rest.slice(0, dot), keyed: true };
  return undefined;
}

/**
 * Kafka key for an interaction before its customer is known: one identity's events stay in order.
 * `<tenant>|<kind>|<HMAC hex>`: Kafka keys are readable by anyone who can read the topic, so the
 * identity is hashed (under a key of its own purpose, so the key is not its claim stream's digest).
 */
export function identityKey(hasher: IdentityHasher, tenantId: string, kind: string, value: string): string {
  return `${tenantId}|${kind}|${hasher.digest(tenantId, kind, value, 'kafka-key').slice(0, 40)}`;
}

/** BullMQ job id of one message's delivery to one subscription: a redelivered Kafka message adds no second job. */
export function webhookDeliveryJobId(subscriptionId: string, messageId: string): string {
  return `${subscriptionId}_${messageId}`;
}

/** BullMQ deduplication id: one pending decision per customer. */
export function nbaJobKey(tenantId: string, customerId: string): string {
  return `${tenantId}:${customerId}`;
}
