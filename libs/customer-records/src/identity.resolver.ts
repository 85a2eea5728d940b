import { randomUUID } from 'node:crypto';
import { deterministicId, identityStream, type EventMetadata, type IdentityRef } from '@hub/contracts';
import type { IdentityClaimed } from '@hub/customer';
import { ConcurrencyError, StreamNotFoundError, type EventStore } from '@hub/event-store';

export interface Resolution {
  customerId: string;
  /** True when this very interaction created the customer (also on a retry of that interaction). */
  firstContact: boolean;
}

/**
 * Which customer owns an identity. Each identity has a claim stream; the first claim is appended
 * with expected revision `no_stream`, so two concurrent first contacts from one phone number can
 * never create two customers: the loser gets a ConcurrencyError and reads the winner's claim.
 */
export class IdentityResolver {
  constructor(
    private readonly store: EventStore,
    private readonly newCustomerId: () => string = randomUUID,
  ) {}

  async resolve(tenantId: string, identity: IdentityRef, cause: EventMetadata): Promise<Resolution> {
    const stream = identityStream(tenantId, identity.namespace ? `${identity.kind}.${identity.namespace}` : identity.kind, identity.value);
    for (let attempt = 0; attempt < 5; attempt++) {
      const existing = await this.readClaim(stream);
      if (existing) return { customerId: existing.data.customerId, firstContact: existing.metadata.causationId === cause.eventId };

      const customerId = this.newCustomerId();
      const claim: IdentityClaimed = {
        type: 'IdentityClaimed',
        data: { customerId, identity },
        metadata: {
          eventId: deterministicId('identity-claimed', stream, cause.eventId),
          correlationId: cause.correlationId,
          causationId: cause.eventId,
          occurredAt: cause.occurredAt,
          recordedAt: cause.recordedAt,
          schemaVersion: 1,
          tenantId,
          channel: cause.channel,
        },
      };
      try {
        const result = await this.store.appendToStream(stream, [{ eventId: claim.metadata.eventId, type: claim.type, data: claim.data, metadata: { ...claim.metadata } }], {
          expectedRevision: 'no_stream',
        });
        // A duplicate means an earlier attempt of this same interaction wrote the claim: read it back.
        if (!result.duplicate) return { customerId, firstContact: true };
      } catch (err) {
        if (!(err instanceof ConcurrencyError)) throw err;
      }
    }
    throw new Error(`could not resolve identity claim on ${stream}`);
  }

  private async readClaim(stream: string): Promise<IdentityClaimed | undefined> {
    try {
      const [first] = await this.store.readStream(stream, { maxCount: 1 });
      return first ? ({ type: 'IdentityClaimed', data: first.data, metadata: first.metadata } as unknown as IdentityClaimed) : undefined;
    } catch (err) {
      if (err instanceof StreamNotFoundError) return undefined;
      throw err;
    }
  }
}
