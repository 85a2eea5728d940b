import { deterministicId, parseIdentityStream, StreamCategories, type EventMetadata } from '@hub/contracts';
import { ERASED_MARKER } from '@hub/crypto-shredding';
import type { EventStore } from '@hub/event-store';
import type { IdentityResolver } from './identity.resolver';

export interface MigrateIdentityClaimsDeps {
  /** The encrypting store: a claim's identity value is read in clear to name its new stream. */
  store: EventStore;
  /** Names claim streams under the deployment's current key. */
  identities: IdentityResolver;
}

export interface MigrateIdentityClaimsRequest {
  /** Only this tenant's claim streams (default: every tenant's). */
  tenantId?: string;
  /** When the migration runs (ISO 8601): time enters as data. */
  now: string;
  /** Count what would move, write nothing. */
  dryRun?: boolean;
  /** Called after each claim stream that was looked at (progress). */
  onStream?: (outcome: ClaimStreamOutcome) => void;
}

/**
 * What became of one claim stream: `moved` (its claim now lives under the identity's current name,
 * and this stream is released), `superseded` (the current name already had events: this stream is
 * only released), `erased` (its customer was erased but the claim was never released: released
 * now), or `current` (already named under the current key: nothing to do).
 */
export type ClaimStreamOutcome = { stream: string; outcome: 'moved' | 'superseded' | 'erased' | 'current' };

export interface IdentityMigrationReport {
  /** Claim streams whose last event is a claim (released ones are never looked at again). */
  examined: number;
  moved: number;
  superseded: number;
  erased: number;
  current: number;
}

/**
 * Moves every identity claim still held under an older name — the unkeyed legacy name, or the name
 * under a previous `IDENTITY_HASH_KEY` — to the name the identity has under the current key, then
 * releases the older stream (`IdentityReleased`, reason `migrated`), so no older name resolves the
 * identity any more. The old name cannot be turned back into the identity (it is a hash): the claim's
 * own event holds the identity (`data.identity`, sealed under the customer's key and opened by the
 * encrypting store), and that names the new stream.
 *
 * Streams are found by `lastMatchingEvents` (no event data read for streams already released).
 * Idempotent, and safe beside running apps: the claim is written to the new name only when that name
 * has no event (`no_stream`), the old stream is released at the revision it was read at, and every
 * event id is derived from the stream, so a second run (or a run after a crash) writes nothing new.
 */
export async function migrateIdentityClaims(
  deps: MigrateIdentityClaimsDeps,
  request: MigrateIdentityClaimsRequest,
): Promise<IdentityMigrationReport> {
  const report: IdentityMigrationReport = { examined: 0, moved: 0, superseded: 0, erased: 0, current: 0 };
  const prefix = `${StreamCategories.identity}-${request.tenantId !== undefined ? `${request.tenantId}.` : ''}`;
  const held = await deps.store.lastMatchingEvents({ streamPrefixes: [prefix], eventTypes: ['IdentityClaimed', 'IdentityReleased'] });
  for (const { streamName, type } of held) {
    const parsed = parseIdentityStream(streamName);
    if (type !== 'IdentityClaimed' || !parsed) continue;
    const claim = await deps.identities.last(streamName);
    if (claim?.event.type !== 'IdentityClaimed') continue;
    report.examined++;
    const { customerId, identity } = claim.event.data;
    const metadata = migrationMetadata(parsed.tenantId, streamName, request.now);
    let outcome: ClaimStreamOutcome['outcome'];
    if (identity.value === ERASED_MARKER) {
      // Its customer's key is gone (erased) but the claim was never released: release it now.
      outcome = 'erased';
      if (!request.dryRun) await deps.identities.releaseIn(streamName, parsed.tenantId, customerId, 'erasure', metadata);
    } else {
      const target = deps.identities.claimStreamOf(parsed.tenantId, identity);
      if (target === streamName) {
        outcome = 'current';
      } else {
        const there = await deps.identities.last(target);
        outcome = there ? 'superseded' : 'moved';
        if (!request.dryRun) {
          // Lost a race with a recorder writing the same claim forward: the name holds it now, fine.
          if (!there) await deps.identities.carryForward(target, { ...claim, carriedFrom: streamName });
          await deps.identities.releaseIn(streamName, parsed.tenantId, customerId, 'migrated', metadata);
        }
      }
    }
    report[outcome]++;
    request.onStream?.({ stream: streamName, outcome });
  }
  return report;
}

function migrationMetadata(tenantId: string, stream: string, now: string): EventMetadata {
  const id = deterministicId('identity-migration', stream);
  return {
    eventId: id,
    correlationId: id,
    causationId: id,
    occurredAt: now,
    recordedAt: now,
    schemaVersion: 1,
    tenantId,
    channel: 'system',
  };
}
