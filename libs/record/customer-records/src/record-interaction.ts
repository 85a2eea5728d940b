import { deterministicId, isChannelId, type InteractionData, type InteractionReceived } from '@hub/contracts';
import {
  derivedFacts,
  mergeEvidenceSource,
  platformConsentChange,
  type CustomerEvent,
  type InteractionRecorded,
  type MergeDecision,
  type MergePolicy,
  type RecordedTextSignals,
} from '@hub/customer';
import { detectTextSignals, TEXT_SIGNALS_VERSION } from '@hub/text-signals';
import { mergeCustomers } from './merge-customers';
import type { ChannelId, EventMetadata, IdentityRef } from '@hub/contracts';
import { IdempotencyConflictError } from '@hub/event-store';
import type { CustomerRepository } from './customer.repository';
import type { IdentityResolver } from './identity.resolver';

export interface RecordedInteraction {
  tenantId: string;
  customerId: string;
  /**
   * True when the interaction was recorded before for a customer it no longer resolves to (that
   * customer was erased, or merged away): nothing was written, and nothing should be projected.
   */
  alreadyRecordedElsewhere: boolean;
  /** What is now in the customer's stream for this interaction (also when it was already there). */
  events: CustomerEvent[];
  revision: bigint;
  position: bigint;
  duplicate: boolean;
  /** What the merge policy decided where the interaction carried identities of other customers. */
  merges: MergeDecision[];
}

/**
 * RecordInteraction: resolve the customer from the primary identity, then append the interaction
 * (preceded by CustomerRegistered on first contact) to the customer's stream. Idempotent: the event
 * ids are derived from the provider's message id, so a redelivery appends nothing.
 */
export async function recordInteraction(
  deps: { customers: CustomerRepository; identities: IdentityResolver; policy?: MergePolicy },
  interaction: InteractionReceived,
  recordedAt: string,
): Promise<RecordedInteraction> {
  const m = interaction.metadata;
  const channel = m.channel;
  if (!isChannelId(channel)) throw new Error(`interaction from unknown channel ${channel}`);
  const [primary] = interaction.data.identities;
  if (!primary) throw new Error('interaction has no identity');

  const { customerId, firstContact, heldByOthers, identitiesHeldByOthers } = await resolveByAnyIdentity(
    deps.identities,
    m.tenantId,
    interaction.data.identities,
    m,
  );
  const metadata = { ...m, recordedAt };
  const events = interactionEvents(interaction, channel, customerId, firstContact, metadata, identitiesHeldByOthers);
  try {
    const result = await deps.customers.append(m.tenantId, customerId, events, 'any');
    // Identities of this interaction that belong to other customers are evidence that they are one
    // person: the merge policy decides (merge now, propose to a person, or never — e.g. two
    // different shop accounts). Idempotent by request id, so a redelivery decides nothing new.
    const merges: MergeDecision[] = [];
    for (const other of heldByOthers) {
      merges.push(
        await mergeCustomers(deps, {
          tenantId: m.tenantId,
          customerIds: [customerId, other.customerId],
          evidence: {
            source: mergeEvidenceSource(interaction),
            detail: `${channel} ${interaction.data.kind} ${interaction.data.provider.messageId}`,
            identities: [primary, other.identity],
          },
          requestId: deterministicId('identity-evidence', m.tenantId, m.eventId, other.customerId),
          now: recordedAt,
        }),
      );
    }
    return {
      tenantId: m.tenantId,
      customerId,
      alreadyRecordedElsewhere: false,
      events,
      revision: result.nextExpectedRevision,
      position: result.position,
      duplicate: result.duplicate,
      merges,
    };
  } catch (err) {
    if (!(err instanceof IdempotencyConflictError && err.reason === 'stored_in_other_stream')) throw err;
    // A redelivery of an interaction whose customer has since been erased: the identity was released
    // and just claimed again for it. Give the fresh claim back; the interaction stays where it was.
    if (firstContact) await deps.identities.releaseClaim(m.tenantId, primary, customerId, metadata);
    return {
      tenantId: m.tenantId,
      customerId,
      alreadyRecordedElsewhere: true,
      events: [],
      revision: -1n,
      position: -1n,
      duplicate: true,
      merges: [],
    };
  }
}

/**
 * What recording an interaction appends to its customer's stream: `CustomerRegistered` on first
 * contact (its id derived from the customer, so a retry registers nobody twice), the interaction,
 * and the facts it implies (`derivedFacts`). `heldByOthers`: the identities it names that another
 * customer holds (not claimed for this one); the interaction says so, so the fold does not list them
 * as this customer's, and the registration names the first identity that is theirs.
 *
 * A platform's subscribe or unsubscribe (kind `subscription`) is not a contact: it is recorded as
 * the consent change it is (`ConsentChanged`, source `platform`) under the interaction's own event
 * id, in place of the interaction, so it counts no engagement, opens no reply window, triggers no
 * decision and makes no timeline entry, and a redelivery appends nothing.
 */
export function interactionEvents(
  interaction: InteractionReceived,
  channel: ChannelId,
  customerId: string,
  firstContact: boolean,
  metadata: EventMetadata,
  heldByOthers: readonly IdentityRef[] = [],
): CustomerEvent[] {
  const m = interaction.metadata;
  const own = interaction.data.identities.find((i) => !heldByOthers.some((h) => sameIdentity(h, i)));
  const events: CustomerEvent[] = [];
  if (firstContact && own) events.push(customerRegistered(customerId, own, metadata, m));
  const consent = platformConsentChange(interaction, channel, metadata);
  if (consent) return [...events, consent];
  events.push(
    { type: 'InteractionRecorded', data: recordedData(interaction.data, channel, heldByOthers), metadata },
    ...derivedFacts(interaction, channel, metadata),
  );
  return events;
}

/**
 * The first event of a customer's stream, made by what first named them (`cause`; `metadata`: its
 * recorded metadata); its id derived from the customer, so a retry registers nobody twice.
 */
export function customerRegistered(
  customerId: string,
  identity: IdentityRef,
  metadata: EventMetadata,
  cause: Pick<EventMetadata, 'tenantId' | 'eventId'> = metadata,
): CustomerEvent {
  return {
    type: 'CustomerRegistered',
    data: { customerId, tenantId: cause.tenantId, identity },
    metadata: { ...metadata, eventId: deterministicId('customer-registered', cause.tenantId, customerId), causationId: cause.eventId },
  };
}

/**
 * The interaction as recorded: its canonical data, its channel, and the text signals of an inbound
 * message's own words, found now and kept in clear beside the text (which is sealed): the fold
 * reads them, so the state stays what it was when the text is erased. Whatever `textSignals` the
 * sender put in the data is replaced: only the recorder says what the words carry.
 */
function recordedData(data: InteractionData, channel: ChannelId, heldByOthers: readonly IdentityRef[]): InteractionRecorded['data'] {
  const {
    textSignals: _sent,
    identitiesHeldByOthers: _said,
    ...rest
  } = data as InteractionData & { textSignals?: unknown; identitiesHeldByOthers?: unknown };
  const signals = textSignalsOf(data);
  return {
    ...rest,
    channel,
    ...(signals ? { textSignals: signals } : {}),
    ...(heldByOthers.length > 0 ? { identitiesHeldByOthers: [...heldByOthers] } : {}),
  };
}

/**
 * What the words of an inbound message (an email's subject and body) carry, or undefined when
 * there are none to read: outbound messages, delivery statuses, reactions, and a consent keyword
 * (a bare "CANCEL" SMS is an opt-out, recorded as consent, not a cancellation).
 */
export function textSignalsOf(data: InteractionData): RecordedTextSignals | undefined {
  if (data.direction !== 'inbound' || data.kind === 'delivery' || data.kind === 'reaction' || data.consent) return undefined;
  const text = [data.email?.subject, data.content.text].filter((t): t is string => typeof t === 'string' && t.trim() !== '').join('\n');
  if (text === '') return undefined;
  return { found: detectTextSignals(text).signals, version: TEXT_SIGNALS_VERSION };
}

/**
 * The customer an interaction belongs to, recognised by any of its identities (all their claims read
 * at once): its primary identity's owner; else, when the primary is new but another identity of the
 * same interaction already belongs to a customer (the phone on a Shopify order, a Telegram user's
 * own contact card), that customer — the primary is linked to them; else, when nobody holds any of
 * them, a new customer. The new customer is created by claiming the interaction's identity that comes
 * first in claim-stream order (`firstByClaimStream`), not its primary: every interaction naming the
 * same identities, whatever their order and whichever partition records it, races for the same claim
 * stream, so of two recorded at once one creates the customer and the other loses that claim
 * (expected revision), reads again and is recognised by it. The other identities nobody holds are then
 * linked to the customer, so the next interaction that arrives under one of them (an SMS from the
 * order's phone) reaches the same customer. An identity held by another customer is never taken: that
 * is evidence for a merge, decided by a person or a merge policy (`POST …/customers/merges`), not here.
 * `firstContact` is true when this interaction created the customer (also on its redelivery).
 * `heldByOthers` names one identity per other customer (the merge evidence);
 * `identitiesHeldByOthers` every identity another customer holds (what the recorded interaction says
 * is not this customer's).
 */
export async function resolveByAnyIdentity(
  identities: IdentityResolver,
  tenantId: string,
  all: readonly IdentityRef[],
  cause: EventMetadata,
): Promise<{
  customerId: string;
  firstContact: boolean;
  heldByOthers: { identity: IdentityRef; customerId: string }[];
  identitiesHeldByOthers: IdentityRef[];
}> {
  if (all.length === 0) throw new Error('interaction has no identity');
  const distinct = all.filter((identity, n) => all.findIndex((other) => sameIdentity(other, identity)) === n);
  for (let attempt = 0; attempt < 5; attempt++) {
    const claims = await identities.currentClaims(distinct.map((identity) => ({ tenantId, identity })));
    const holderOf = (identity: IdentityRef): string | undefined => {
      const claim = claims.get(identities.claimStreamOf(tenantId, identity));
      return claim?.event.type === 'IdentityClaimed' ? claim.event.data.customerId : undefined;
    };
    let recognisedBy = distinct.find((identity) => holderOf(identity) !== undefined);
    let customerId: string;
    if (recognisedBy) {
      customerId = holderOf(recognisedBy)!;
      // Known under an older name of its claim stream only (before the keyed names, or the last key
      // rotation): the claim is written forward to the current name, and read again if that lost a race.
      const claim = claims.get(identities.claimStreamOf(tenantId, recognisedBy));
      if (claim?.carriedFrom && !(await identities.carryForward(identities.claimStreamOf(tenantId, recognisedBy), claim))) continue;
    } else {
      recognisedBy = firstByClaimStream(identities, tenantId, distinct);
      const planned = identities.planFirstClaim(
        tenantId,
        recognisedBy,
        claims.get(identities.claimStreamOf(tenantId, recognisedBy)),
        cause,
      );
      const [outcome] = await identities.appendClaims([planned.append]);
      // Claimed by another interaction first (read again: it is recognised by that claim), or by an
      // earlier attempt of this one, maybe for another new customer id (read it back).
      if (!outcome?.ok || outcome.result.duplicate) continue;
      customerId = planned.customerId;
      claims.set(identities.claimStreamOf(tenantId, recognisedBy), planned.claim);
    }
    const firstContact = distinct.some((identity) => {
      const claim = claims.get(identities.claimStreamOf(tenantId, identity))?.event;
      return (
        claim?.type === 'IdentityClaimed' &&
        claim.data.customerId === customerId &&
        !claim.data.via &&
        claim.metadata.causationId === cause.eventId
      );
    });
    const heldByOthers: { identity: IdentityRef; customerId: string }[] = [];
    const identitiesHeldByOthers: IdentityRef[] = [];
    for (const other of distinct) {
      const owner = holderOf(other) ?? (await identities.link(tenantId, other, customerId, recognisedBy, cause));
      if (owner === customerId) continue;
      identitiesHeldByOthers.push(other);
      if (!heldByOthers.some((h) => h.customerId === owner)) heldByOthers.push({ identity: other, customerId: owner });
    }
    return { customerId, firstContact, heldByOthers, identitiesHeldByOthers };
  }
  throw new Error(`could not resolve the identity claims of interaction ${cause.eventId}`);
}

/** The identity whose claim stream name sorts first: the same one for the same identities in any order. */
export function firstByClaimStream(
  resolver: Pick<IdentityResolver, 'claimStreamOf'>,
  tenantId: string,
  identities: readonly IdentityRef[],
): IdentityRef {
  const [first, ...rest] = identities;
  if (!first) throw new Error('no identity');
  return rest.reduce((a, b) => (resolver.claimStreamOf(tenantId, b) < resolver.claimStreamOf(tenantId, a) ? b : a), first);
}

const sameIdentity = (a: IdentityRef, b: IdentityRef): boolean =>
  a.kind === b.kind && a.value === b.value && (a.namespace ?? '') === (b.namespace ?? '');
