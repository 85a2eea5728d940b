import { randomUUID } from 'node:crypto';
import {
  deterministicId,
  identityStream,
  legacyIdentityStream,
  type EventMetadata,
  type IdentityHasher,
  type IdentityRef,
} from '@hub/contracts';
import type { IdentityClaimEvent, IdentityClaimed, IdentityReleased } from '@hub/customer';
import {
  ConcurrencyError,
  StreamNotFoundError,
  type EventStore,
  type ExpectedRevision,
  type RecordedEvent,
  type StreamAppend,
  type StreamAppendOutcome,
} from '@hub/event-store';

export interface Resolution {
  customerId: string;
  /** True when this very interaction created the customer (also on a retry of that interaction). */
  firstContact: boolean;
}

/**
 * How a deployment names claim streams (`IdentityHashing` of `@hub/config` is one): the key that
 * names them now, and the key before the last rotation, whose names look-ups fall back to until
 * `hub identities migrate` has moved every claim.
 */
export interface IdentityStreamNaming {
  current: IdentityHasher;
  previous?: IdentityHasher;
}

const kindOf = (identity: IdentityRef): string => (identity.namespace ? `${identity.kind}.${identity.namespace}` : identity.kind);

/** The claim stream of one identity (handles and external ids are scoped by their namespace), named under `hasher`'s key. */
export function claimStreamOf(hasher: IdentityHasher, tenantId: string, identity: IdentityRef): string {
  return identityStream(hasher, tenantId, kindOf(identity), identity.value);
}

/** The unkeyed name the identity's claim stream had before names were keyed (`legacyIdentityStream`). */
export function legacyClaimStreamOf(tenantId: string, identity: IdentityRef): string {
  return legacyIdentityStream(tenantId, kindOf(identity), identity.value);
}

/** The last event of an identity's claim stream: who holds it (or who released it), at which revision. */
export interface CurrentClaim {
  event: IdentityClaimEvent;
  revision: bigint;
  /**
   * Set when the claim stream (its current name) has no event and the claim was found under an
   * older name (the previous key's, or the unkeyed legacy one): that stream, at `revision`. Only
   * claims are carried from an older name, never a release. Writing to the current name then
   * expects `no_stream`.
   */
  carriedFrom?: string;
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
    private readonly naming: IdentityStreamNaming,
    private readonly newCustomerId: () => string = randomUUID,
  ) {}

  /** The identity's claim stream under the deployment's current key: every claim is written there. */
  claimStreamOf(tenantId: string, identity: IdentityRef): string {
    return claimStreamOf(this.naming.current, tenantId, identity);
  }

  /**
   * The older names of the identity's claim stream, newest first: the previous key's (during a
   * rotation), then the unkeyed legacy name. Read only when the current name has no event.
   */
  olderClaimStreamsOf(tenantId: string, identity: IdentityRef): string[] {
    return [
      ...(this.naming.previous ? [claimStreamOf(this.naming.previous, tenantId, identity)] : []),
      legacyClaimStreamOf(tenantId, identity),
    ];
  }

  async resolve(tenantId: string, identity: IdentityRef, cause: EventMetadata): Promise<Resolution> {
    const stream = this.claimStreamOf(tenantId, identity);
    for (let attempt = 0; attempt < 5; attempt++) {
      const current = await this.current(tenantId, identity);
      if (current?.event.type === 'IdentityClaimed') {
        if (current.carriedFrom && !(await this.carryForward(stream, current))) continue;
        return {
          customerId: current.event.data.customerId,
          firstContact: current.event.metadata.causationId === cause.eventId && !current.event.data.via,
        };
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
    const stream = this.claimStreamOf(tenantId, identity);
    const customerId = this.newCustomerId();
    const expected = expectedAfter(current);
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
      claim: { event: claim, revision: nextRevision(expected) },
      append: {
        stream,
        events: [{ eventId: claim.metadata.eventId, type: claim.type, data: claim.data, metadata: { ...claim.metadata } }],
        expectedRevision: expected,
      },
    };
  }

  /** Planned first claims (`planFirstClaim`) written together, each claim stream's outcome its own. */
  appendClaims(appends: readonly StreamAppend[]): Promise<StreamAppendOutcome[]> {
    return this.store.appendToStreams(appends);
  }

  /** The current claim of each identity, keyed by claim stream (`claimStreamOf`): one read for all of them. */
  async currentClaims(refs: readonly { tenantId: string; identity: IdentityRef }[]): Promise<Map<string, CurrentClaim>> {
    const names = refs.map((r) => ({
      stream: this.claimStreamOf(r.tenantId, r.identity),
      older: this.olderClaimStreamsOf(r.tenantId, r.identity),
    }));
    // The older names are read in the same round trip: one read however many identities.
    const last = await this.store.readLastEvents([...new Set(names.flatMap((n) => [n.stream, ...n.older]))]);
    const claims = new Map<string, CurrentClaim>();
    for (const { stream, older } of names) {
      const own = last.get(stream);
      const claim = own ? toCurrentClaim(own) : carried(older.map((name) => last.get(name)));
      if (claim) claims.set(stream, claim);
    }
    return claims;
  }

  /**
   * Claim an identity nobody holds for a customer recognised by another identity of the same
   * interaction (`through`). Returns who owns it afterwards: `customerId` when the claim was made
   * (or was already theirs), another customer when someone holds it — never taken from them.
   * Idempotent: a retry of the same interaction writes the same claim event.
   */
  async link(tenantId: string, identity: IdentityRef, customerId: string, through: IdentityRef, cause: EventMetadata): Promise<string> {
    const stream = this.claimStreamOf(tenantId, identity);
    for (let attempt = 0; attempt < 5; attempt++) {
      const current = await this.current(tenantId, identity);
      if (current?.event.type === 'IdentityClaimed') {
        if (current.carriedFrom && !(await this.carryForward(stream, current))) continue;
        return current.event.data.customerId;
      }
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
  planLink(
    tenantId: string,
    identity: IdentityRef,
    customerId: string,
    through: IdentityRef,
    current: CurrentClaim | undefined,
    cause: EventMetadata,
  ): { claim: CurrentClaim; append: StreamAppend } {
    const stream = this.claimStreamOf(tenantId, identity);
    const expected = expectedAfter(current);
    const eventId = deterministicId('identity-linked', stream, cause.eventId, String(expected));
    const claim: IdentityClaimed = {
      type: 'IdentityClaimed',
      data: { customerId, identity, via: { kind: 'link', through } },
      metadata: { ...cause, eventId, causationId: cause.eventId, schemaVersion: 1, tenantId },
    };
    return {
      claim: { event: claim, revision: nextRevision(expected) },
      append: {
        stream,
        events: [{ eventId, type: claim.type, data: claim.data, metadata: { ...claim.metadata } }],
        expectedRevision: expected,
      },
    };
  }

  /** Who owns the identity now, if anyone. */
  async ownerOf(tenantId: string, identity: IdentityRef): Promise<string | undefined> {
    const current = await this.current(tenantId, identity);
    return current?.event.type === 'IdentityClaimed' ? current.event.data.customerId : undefined;
  }

  /** Move an identity from one customer to another (merge, unmerge). Idempotent by `eventId`. */
  async moveClaim(
    tenantId: string,
    identity: IdentityRef,
    from: string,
    to: string,
    via: { kind: 'merge' | 'unmerge'; mergeId: string },
    metadata: EventMetadata,
  ): Promise<boolean> {
    const stream = this.claimStreamOf(tenantId, identity);
    const current = await this.current(tenantId, identity);
    if (current?.event.type === 'IdentityClaimed' && current.event.data.customerId === to) return false;
    if (current?.event.type !== 'IdentityClaimed' || current.event.data.customerId !== from) return false;
    const eventId = deterministicId('identity-moved', stream, via.mergeId, via.kind);
    const event: IdentityClaimed = {
      type: 'IdentityClaimed',
      data: { customerId: to, identity, via },
      metadata: { ...metadata, eventId, tenantId },
    };
    await this.store.appendToStream(stream, [{ eventId, type: event.type, data: event.data, metadata: { ...event.metadata } }], {
      expectedRevision: expectedAfter(current),
    });
    return true;
  }

  /**
   * Let go of an identity held by `customerId` (erasure): the next contact starts a new customer.
   * Released under every name that still says `customerId` holds it — the current one and the older
   * ones (the previous key's, the legacy unkeyed one) — so no name resolves to the erased customer.
   */
  async releaseClaim(tenantId: string, identity: IdentityRef, customerId: string, metadata: EventMetadata): Promise<boolean> {
    let released = false;
    for (const stream of [this.claimStreamOf(tenantId, identity), ...this.olderClaimStreamsOf(tenantId, identity)]) {
      if (await this.releaseIn(stream, tenantId, customerId, 'erasure', metadata)) released = true;
    }
    return released;
  }

  /**
   * Release the claim of the stream `stream` when `customerId` holds it (`reason`: an erasure, or the
   * claim moved to the identity's current name by `hub identities migrate`). Idempotent.
   */
  async releaseIn(
    stream: string,
    tenantId: string,
    customerId: string,
    reason: IdentityReleased['data']['reason'],
    metadata: EventMetadata,
  ): Promise<boolean> {
    const current = await this.last(stream);
    if (current?.event.type !== 'IdentityClaimed' || current.event.data.customerId !== customerId) return false;
    const eventId = deterministicId(reason === 'erasure' ? 'identity-released' : 'identity-released-migrated', stream, customerId);
    const event: IdentityReleased = {
      type: 'IdentityReleased',
      data: { customerId, reason },
      metadata: { ...metadata, eventId, tenantId },
    };
    await this.store.appendToStream(stream, [{ eventId, type: event.type, data: event.data, metadata: { ...event.metadata } }], {
      expectedRevision: current.revision,
    });
    return true;
  }

  /**
   * Write a claim found under an older name (`carriedFrom`) to the identity's current name, as it is
   * (same customer, same cause, same `via`): from then on the current name answers by itself. False
   * when the current name got an event meanwhile (read again).
   */
  async carryForward(stream: string, claim: CurrentClaim): Promise<boolean> {
    if (!claim.carriedFrom || claim.event.type !== 'IdentityClaimed')
      throw new Error(`carryForward of ${stream}: not a claim found under an older name`);
    const eventId = deterministicId('identity-carried-forward', stream, claim.carriedFrom, claim.event.metadata.eventId);
    try {
      await this.store.appendToStream(
        stream,
        [{ eventId, type: claim.event.type, data: claim.event.data, metadata: { ...claim.event.metadata, eventId } }],
        { expectedRevision: 'no_stream' },
      );
      return true;
    } catch (err) {
      if (err instanceof ConcurrencyError) return false;
      throw err;
    }
  }

  /** The identity's current claim: its current name's last event, else a claim under an older name. */
  private async current(tenantId: string, identity: IdentityRef): Promise<CurrentClaim | undefined> {
    const own = await this.lastEvent(this.claimStreamOf(tenantId, identity));
    if (own) return toCurrentClaim(own);
    const older: (RecordedEvent | undefined)[] = [];
    for (const name of this.olderClaimStreamsOf(tenantId, identity)) {
      const last = await this.lastEvent(name);
      older.push(last);
      if (last) break;
    }
    return carried(older);
  }

  /** The last event of one claim stream (whichever name), as a claim, if it has any. */
  async last(stream: string): Promise<CurrentClaim | undefined> {
    const last = await this.lastEvent(stream);
    return last && toCurrentClaim(last);
  }

  private async lastEvent(stream: string): Promise<RecordedEvent | undefined> {
    try {
      const [last] = await this.store.readStream(stream, { direction: 'backwards', maxCount: 1 });
      return last;
    } catch (err) {
      if (err instanceof StreamNotFoundError) return undefined;
      throw err;
    }
  }
}

/**
 * The claim the older names of an identity give (their last events, newest name first), when its
 * current name has no event: the first name with an event decides — a claim is carried forward, a
 * release (erasure, or a claim already migrated) means nobody holds the identity.
 */
function carried(olderLastEvents: readonly (RecordedEvent | undefined)[]): CurrentClaim | undefined {
  const decisive = olderLastEvents.find((e) => e !== undefined);
  if (decisive?.type !== 'IdentityClaimed') return undefined;
  return { ...toCurrentClaim(decisive), carriedFrom: decisive.streamName };
}

/** What an append after `current` expects of the current name: `no_stream` when the claim was carried from an older one. */
function expectedAfter(current: CurrentClaim | undefined): ExpectedRevision {
  return current && !current.carriedFrom ? current.revision : 'no_stream';
}

const nextRevision = (expected: ExpectedRevision): bigint => (typeof expected === 'bigint' ? expected + 1n : 0n);
