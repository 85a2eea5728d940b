import { isChannelId, type IdentityRef, type InteractionReceived } from '@hub/contracts';
import type { CustomerEvent, MergePolicy } from '@hub/customer';
import type { StreamAppend } from '@hub/event-store';
import type { CustomerRepository } from './customer.repository';
import type { CurrentClaim, IdentityResolver } from './identity.resolver';
import { firstByClaimStream, interactionEvents, recordInteraction, type RecordedInteraction } from './record-interaction';

export interface RecordInteractionsDeps {
  customers: CustomerRepository;
  identities: IdentityResolver;
  policy?: MergePolicy;
}

/** An interaction whose customer is known from the batch's claims read, with what it appends. */
interface Planned {
  index: number;
  interaction: InteractionReceived;
  customerId: string;
  events: CustomerEvent[];
  /** The claim streams of the run's planned claims this interaction depends on (its own, or an earlier one's in the run). */
  claimStreams: string[];
}

/**
 * RecordInteraction for a run of interactions (one Kafka partition's batch), with the same outcome as
 * `recordInteraction` one after another, in a few round trips instead of a dozen each:
 * 1. the claims of every identity in the run, in one read (`readLastEvents`);
 * 2. each interaction whose customer that read settles — every identity it carries held by one
 *    customer or by nobody — is planned (`plan`): the claims it needs (a new customer's first claim,
 *    links of its identities nobody holds yet), then every customer's events, each written with one
 *    `appendToStreams` (each stream's outcome its own);
 * 3. anything else (evidence that two customers are one, a redelivery whose events are partly
 *    stored or stored for an erased customer, a claim someone else made first) is
 *    recorded by `recordInteraction`, at its place in the run: the planned interactions before it
 *    are written first, and the claims it may have changed are read again after it (its own
 *    identities; every claim of the rest of the run when it merged two customers).
 * Per-customer order holds: a customer's events are appended in the run's order, and an interaction
 * that falls back never overtakes or is overtaken by one of the same customer. Idempotent as
 * `recordInteraction` is: every event id derives from the interaction.
 */
export async function recordInteractions(
  deps: RecordInteractionsDeps,
  interactions: readonly InteractionReceived[],
  recordedAt: string,
): Promise<RecordedInteraction[]> {
  const results: RecordedInteraction[] = new Array<RecordedInteraction>(interactions.length);
  let claims = await deps.identities.currentClaims(identityRefs(interactions));
  /** Claims (first claims, links) planned in the current run and not written yet, by claim stream. */
  const pending = new Map<string, StreamAppend>();
  let run: Planned[] = [];

  for (let index = 0; index < interactions.length; index++) {
    const interaction = interactions[index]!;
    // The same interaction twice in a run (a provider's retry published again): what the first
    // writes decides the second, so the run so far is written first and its claims read again.
    if (run.some((p) => p.interaction.metadata.eventId === interaction.metadata.eventId)) {
      await writeRun(deps, run, pending, recordedAt, results);
      run = [];
      for (const [stream, claim] of await deps.identities.currentClaims(identityRefs([interaction]))) claims.set(stream, claim);
    }
    const planned = plan(deps.identities, interaction, index, claims, pending, recordedAt);
    if (planned) {
      run.push(planned);
      continue;
    }
    await writeRun(deps, run, pending, recordedAt, results);
    run = [];
    const recorded = await recordInteraction(deps, interaction, recordedAt);
    results[index] = recorded;
    // On its own, recording claims or links only this interaction's identities (or releases its
    // primary): read those again. A merge moves every identity of the customer merged away, which
    // any later interaction of the run may carry: read them all again.
    if (recorded.merges.some((merge) => merge.outcome === 'merged')) {
      claims = await deps.identities.currentClaims(identityRefs(interactions.slice(index + 1)));
    } else {
      for (const [stream, claim] of await deps.identities.currentClaims(identityRefs([interaction]))) claims.set(stream, claim);
    }
  }
  await writeRun(deps, run, pending, recordedAt, results);
  return results;
}

function identityRefs(interactions: readonly InteractionReceived[]): { tenantId: string; identity: IdentityRef }[] {
  return interactions.flatMap((i) => i.data.identities.map((identity) => ({ tenantId: i.metadata.tenantId, identity })));
}

/**
 * The interaction's customer and events when the claims settle it, else undefined (it falls back).
 * Settled means what `resolveByAnyIdentity` would do needs no merge evidence: the customer is the
 * holder of the first of its identities that somebody holds (or, when nobody holds any, a new
 * customer claiming the identity first in claim-stream order), and every other identity is either
 * theirs already or nobody's, to be linked to them. The claims it plans (a first claim, links) go
 * into `pending` and `claims` at once, so a later interaction of the run naming one of those
 * identities finds the same customer, and depends on that claim being written.
 */
function plan(
  identities: IdentityResolver,
  interaction: InteractionReceived,
  index: number,
  claims: Map<string, CurrentClaim>,
  pending: Map<string, StreamAppend>,
  recordedAt: string,
): Planned | undefined {
  const m = interaction.metadata;
  const all = interaction.data.identities;
  if (all.length === 0 || !isChannelId(m.channel)) return undefined;
  const distinct = all.filter((identity, n) => all.findIndex((other) => sameIdentity(other, identity)) === n);
  const streamOf = (identity: IdentityRef) => identities.claimStreamOf(m.tenantId, identity);
  const holderOf = (identity: IdentityRef): string | undefined => {
    const claim = claims.get(streamOf(identity));
    return claim?.event.type === 'IdentityClaimed' ? claim.event.data.customerId : undefined;
  };
  const metadata = { ...m, recordedAt };

  // Decide before planning anything: an identity another customer holds is merge evidence (the
  // one-at-a-time path runs the merge policy), and nothing may be left planned for it.
  const recognisedBy = distinct.find((identity) => holderOf(identity) !== undefined);
  const holder = recognisedBy ? holderOf(recognisedBy)! : undefined;
  if (holder !== undefined && distinct.some((identity) => (holderOf(identity) ?? holder) !== holder)) return undefined;

  let customerId: string;
  let firstContact: boolean;
  let through: IdentityRef;
  if (recognisedBy && holder !== undefined) {
    customerId = holder;
    through = recognisedBy;
    // Created by this interaction (a redelivery): by the first claim of any identity it names.
    firstContact = distinct.some((identity) => {
      const claim = claims.get(streamOf(identity))?.event;
      return (
        claim?.type === 'IdentityClaimed' &&
        claim.data.customerId === customerId &&
        !claim.data.via &&
        claim.metadata.causationId === m.eventId
      );
    });
  } else {
    through = firstByClaimStream(identities, m.tenantId, distinct);
    const planned = identities.planFirstClaim(m.tenantId, through, claims.get(streamOf(through)), metadata);
    pending.set(streamOf(through), planned.append);
    claims.set(streamOf(through), planned.claim);
    customerId = planned.customerId;
    firstContact = true;
  }
  for (const identity of distinct) {
    if (holderOf(identity) !== undefined) continue;
    const linked = identities.planLink(m.tenantId, identity, customerId, through, claims.get(streamOf(identity)), m);
    pending.set(streamOf(identity), linked.append);
    claims.set(streamOf(identity), linked.claim);
  }
  const claimStreams = distinct.map(streamOf).filter((stream) => pending.has(stream));

  const events = interactionEvents(interaction, m.channel, customerId, firstContact, metadata);
  return { index, interaction, customerId, events, claimStreams };
}

/**
 * Writes a planned run: its first claims in one call, then its customers' events in one call. An
 * interaction whose claim or customer append did not go through as planned is recorded on its own
 * afterwards, in order; no other customer's interaction depends on it.
 */
async function writeRun(
  deps: RecordInteractionsDeps,
  run: readonly Planned[],
  pending: Map<string, StreamAppend>,
  recordedAt: string,
  results: RecordedInteraction[],
): Promise<void> {
  if (run.length === 0) return;
  const retryAlone: Planned[] = [];

  // 1. First claims. One that is not written as planned (another recorder claimed the identity
  //    first) sends every interaction that depends on it to the one-at-a-time path.
  const failedClaims = new Set<string>();
  if (pending.size > 0) {
    const streams = [...pending.keys()];
    const outcomes = await deps.identities.appendClaims([...pending.values()]);
    pending.clear();
    outcomes.forEach((o, i) => {
      // A duplicate is a claim an earlier delivery of the same interaction wrote, maybe for another
      // new customer id than this run drew: the one-at-a-time path reads it back.
      if (!o.ok || o.result.duplicate) failedClaims.add(streams[i]!);
    });
  }

  // 2. Every customer's events, in the run's order, one append per customer.
  const byCustomer = new Map<string, Planned[]>();
  for (const p of run) {
    if (p.claimStreams.some((stream) => failedClaims.has(stream))) {
      retryAlone.push(p);
      continue;
    }
    const key = `${p.interaction.metadata.tenantId}\u0000${p.customerId}`;
    const group = byCustomer.get(key);
    if (group) group.push(p);
    else byCustomer.set(key, [p]);
  }
  const groups = [...byCustomer.values()];
  const outcomes =
    groups.length > 0
      ? await deps.customers.appendMany(
          groups.map((g) => ({
            tenantId: g[0]!.interaction.metadata.tenantId,
            customerId: g[0]!.customerId,
            events: g.flatMap((p) => p.events),
          })),
        )
      : [];
  outcomes.forEach((outcome, i) => {
    const group = groups[i]!;
    if (!outcome.ok) {
      // Partly stored (a redelivery beside new interactions) or stored for another customer (erased
      // since): each interaction on its own says which.
      retryAlone.push(...group);
      return;
    }
    for (const p of group) {
      const m = p.interaction.metadata;
      results[p.index] = {
        tenantId: m.tenantId,
        customerId: p.customerId,
        alreadyRecordedElsewhere: false,
        events: p.events,
        revision: outcome.result.nextExpectedRevision,
        position: outcome.result.position,
        duplicate: outcome.result.duplicate,
        merges: [],
      };
    }
  });

  retryAlone.sort((a, b) => a.index - b.index);
  for (const p of retryAlone) results[p.index] = await recordInteraction(deps, p.interaction, recordedAt);
}

const sameIdentity = (a: IdentityRef, b: IdentityRef): boolean =>
  a.kind === b.kind && a.value === b.value && (a.namespace ?? '') === (b.namespace ?? '');
