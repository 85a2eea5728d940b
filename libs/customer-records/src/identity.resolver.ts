import { randomUUID } from 'node:crypto';
import { deterministicId, identityStream, type EventMetadata, type IdentityRef } from '@hub/contracts';
import type { IdentityClaimEvent, IdentityClaimed, IdentityReleased } from '@hub/customer';
import { ConcurrencyError, StreamNotFoundError, type EventStore, type ExpectedRevision, type RecordedEvent, type StreamAppend, type StreamAppendOutcome } from '@hub/event-store';

export interface Resolution {
  customerId: string;
  /** True when this very interaction created the customer (also on a retry of that interaction). */
  firstContact: boolean;
}

/** The claim stream of one identity (handles and external ids are scoped by their namespace). */
export function claimStreamOf(tenantId: string, identity: IdentityRef): string {
  return identityStream(tenantId, identity.namespace ? `${identity.kind}.${identity.namespace}` : identity.kind, identity.value);
}

/** The last event of an identity's claim stream: who holds it (or who released it), at which revision. */
export interface CurrentClaim {
  event: IdentityClaimEvent;
  revision: bigint;
}

/** A first claim planned for a batch: the customer it creates and the append that makes it. */
export interface PlannedClaim {
  customerId: string;
  claim: CurrentClaim;
  append: StreamAppend;
}

const toCurrentClaim = (last: RecordedEvent): CurrentClaim => ({
  event: { type: last.type, data: last.data, metadata: last.metadata } as unknown as IdentityClaimEvent,
  revision: last.revision,
});

/**
 * Which customer owns an identity. Each identity has a claim stream whose last event names the
 * owner. A first claim is appended with the revision it was decided on (`no_stream`, or after a
 * release), so two concurrent first contacts from one phone number can never create two customers:
 * the loser gets a ConcurrencyError and reads the winner's claim. Merges and unmerges move claims
 * (`moveClaim`); erasure releases them (`releaseClaim`).
 */
export class IdentityResolver {
  constructor(
    private readonly store: EventStore,
    private readonly newCustomerId: () => string = randomUUID,
  ) {}

  async resolve(tenantId: string, identity: IdentityRef, cause: EventMetadata): Promise<Resolution> {
    const stream = claimStreamOf(tenantId, identity);
    for (let attempt = 0; attempt < 5; attempt++) {
      const current = await this.current(stream);
      if (current?.event.type === 'IdentityClaimed') {
        return { customerId: current.event.data.customerId, firstContact: current.event.metadata.causationId === cause.eventId && !current.event.data.via };
      }
      const { customerId, append } = this.planFirstClaim(tenantId, identity, current, cause);
      try {
        const result = await this.store.appendToStream(stream, append.events, { expectedRevision: append.expectedRevision ?? 'any' });
        // A duplicate means an earlier attempt of this same interaction wrote the claim: read it back.
        if (!result.duplicate) return { customerId, firstContact: true };
      } catch (err) {
        if (!(err instanceof ConcurrencyError)) throw err;
      }
    }
    throw new Error(`could not resolve identity claim on ${stream}`);
  }

  /**
   * The first claim of an identity nobody holds (`current` is its claim stream's last event, if any):
   * a new customer, and the append that claims the identity for them, expecting the stream where
   * `current` left it. Nothing is written here: `resolve` appends it alone, a batch recorder together
   * with others (`EventStore.appendToStreams`).
   */
  planFirstClaim(tenantId: string, identity: IdentityRef, current: CurrentClaim | undefined, cause: EventMetadata): PlannedClaim {
    const stream = claimStreamOf(tenantId, identity);
    const customerId = this.newCustomerId();
    const expected: ExpectedRevision = current ? current.revision : 'no_stream';
    const claim: IdentityClaimed = {
      type: 'IdentityClaimed',
      data: { customerId, identity },
      metadata: {
        // Derived from the cause AND the claim's position: a retry of this claim is the same event,
        // while a claim after a release (erasure) is a new one.
        eventId: deterministicId('identity-claimed', stream, cause.eventId, String(expected)),
        correlationId: cause.correlationId,
        causationId: cause.eventId,
        occurredAt: cause.occurredAt,
        recordedAt: cause.recordedAt,
        schemaVersion: 1,
        tenantId,
        channel: cause.channel,
      },
    };
    return {
      customerId,
      claim: { event: claim, revision: current ? current.revision + 1n : 0n },
      append: { stream, events: [{ eventId: claim.metadata.eventId, type: claim.type, data: claim.data, metadata: { ...claim.metadata } }], expectedRevision: expected },
    };
  }

  /** Planned first claims (`planFirstClaim`) written together, each claim stream's outcome its own. */
  appendClaims(appends: readonly StreamAppend[]): Promise<StreamAppendOutcome[]> {
    return this.store.appendToStreams(appends);
  }

  /** The current claim of each identity, keyed by claim stream (`claimStreamOf`): one read for all of them. */
  async currentClaims(refs: readonly { tenantId: string; identity: IdentityRef }[]): Promise<Map<string, CurrentClaim>> {
    const last = await this.store.readLastEvents(refs.map((r) => claimStreamOf(r.tenantId, r.identity)));
    return new Map([...last].map(([stream, event]) => [stream, toCurrentClaim(event)]));
  }

  /**
   * Claim an identity nobody holds for a customer recognised by another identity of the same
   * interaction (`through`). Returns who owns it afterwards: `customerId` when the claim was made
   * (or was already theirs), another customer when someone holds it — never taken from them.
   * Idempotent: a retry of the same interaction writes the same claim event.
   */
  async link(tenantId: string, identity: IdentityRef, customerId: string, through: IdentityRef, cause: EventMetadata): Promise<string> {
    const stream = claimStreamOf(tenantId, identity);
    for (let attempt = 0; attempt < 5; attempt++) {
      const current = await this.current(stream);
      if (current?.event.type === 'IdentityClaimed') return current.event.data.customerId;
      const { append } = this.planLink(tenantId, identity, customerId, through, current, cause);
      try {
        await this.store.appendToStream(stream, append.events, { expectedRevision: append.expectedRevision ?? 'any' });
        return customerId;
      } catch (err) {
        if (!(err instanceof ConcurrencyError)) throw err;
      }
    }
    throw new Error(`could not link identity claim on ${stream}`);
  }

  /**
   * The claim `link` appends for an identity nobody holds (`current`: its claim stream's last event,
   * if any), planned without writing it: a batch recorder writes it with the run's other claims.
   * The same event as `link` writes, so either path's retry is a duplicate of the other's.
   */
  planLink(tenantId: string, identity: IdentityRef, customerId: string, through: IdentityRef, current: CurrentClaim | undefined, cause: EventMetadata): { claim: CurrentClaim; append: StreamAppend } {
    const stream = claimStreamOf(tenantId, identity);
    const expected: ExpectedRevision = current ? current.revision : 'no_stream';
    const eventId = deterministicId('identity-linked', stream, cause.eventId, String(expected));
    const claim: IdentityClaimed = {
      type: 'IdentityClaimed',
      data: { customerId, identity, via: { kind: 'link', through } },
      metadata: { ...cause, eventId, causationId: cause.eventId, schemaVersion: 1, tenantId },
    };
    return {
      claim: { event: claim, revision: current ? current.revision + 1n : 0n },
      append: { stream, events: [{ eventId, type: claim.type, data: claim.data, metadata: { ...claim.metadata } }], expectedRevision: expected },
    };
  }

  /** Who owns the identity now, if anyone. */
  async ownerOf(tenantId: string, identity: IdentityRef): Promise<string | undefined> {
    const current = await this.current(claimStreamOf(tenantId, identity));
    return current?.event.type === 'IdentityClaimed' ? current.event.data.customerId : undefined;
  }

  /** Move an identity from one customer to another (merge, unmerge). Idempotent by `eventId`. */
  async moveClaim(tenantId: string, identity: IdentityRef, from: string, to: string, via: { kind: 'merge' | 'unmerge'; mergeId: string }, metadata: EventMetadata): Promise<boolean> {
    const stream = claimStreamOf(tenantId, identity);
    const current = await this.current(stream);
    if (current?.event.type === 'IdentityClaimed' && current.event.data.customerId === to) return false;
    if (current?.event.type !== 'IdentityClaimed' || current.event.data.customerId !== from) return false;
    const eventId = deterministicId('identity-moved', stream, via.mergeId, via.kind);
    const event: IdentityClaimed = { type: 'IdentityClaimed', data: { customerId: to, identity, via }, metadata: { ...metadata, eventId, tenantId } };
    await this.store.appendToStream(stream, [{ eventId, type: event.type, data: event.data, metadata: { ...event.metadata } }], { expectedRevision: current.revision });
    return true;
  }

  /** Let go of an identity held by `customerId` (erasure): the next contact starts a new customer. */
  async releaseClaim(tenantId: string, identity: IdentityRef, customerId: string, metadata: EventMetadata): Promise<boolean> {
    const stream = claimStreamOf(tenantId, identity);
    const current = await this.current(stream);
    if (current?.event.type !== 'IdentityClaimed' || current.event.data.customerId !== customerId) return false;
    const eventId = deterministicId('identity-released', stream, customerId);
    const event: IdentityReleased = { type: 'IdentityReleased', data: { customerId, reason: 'erasure' }, metadata: { ...metadata, eventId, tenantId } };
    await this.store.appendToStream(stream, [{ eventId, type: event.type, data: event.data, metadata: { ...event.metadata } }], { expectedRevision: current.revision });
    return true;
  }

  private async current(stream: string): Promise<CurrentClaim | undefined> {
    try {
      const [last] = await this.store.readStream(stream, { direction: 'backwards', maxCount: 1 });
      return last ? toCurrentClaim(last) : undefined;
    } catch (err) {
      if (err instanceof StreamNotFoundError) return undefined;
      throw err;
    }
  }
}
