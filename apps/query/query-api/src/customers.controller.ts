import { BadRequestException, Body, Controller, Get, HttpCode, Inject, NotFoundException, Param, Post, Query } from '@nestjs/common';
import type { ClassConstructor } from 'class-transformer';
import { CUSTOMER_STORES } from '@hub/app-platform';
import { validateAs } from '@hub/contracts';
import type { DeliveryStatus, IdentityRef } from '@hub/contracts';
import {
  eraseCustomerRecord,
  mergeCustomers,
  previewCustomerMerge,
  rejectMergeProposal,
  unmergeCustomers,
  type CustomerRepository,
  type CustomerStores,
} from '@hub/customer-records';
import {
  EraseRequestDto,
  MergePreviewRequestDto,
  MergeRequestDto,
  RejectProposalRequestDto,
  UnmergeRequestDto,
} from './customer-commands.dto';
import type { PostgresSendLedger, SendRecord } from '@hub/deliver-outbound';
import { currentCatalog, profitabilityOf } from '@hub/nba';
import { AGENT_CONFIRMED_SOURCE, type CustomerEvent, type NbaOutcomeRecorded, type NextBestActionDecided } from '@hub/customer';
import { DEFAULT_PAGE_SIZE, PostgresTimelineStore, TIMELINE_QUERIES, TIMELINE_STORE, type TimelineQueries } from '@hub/timeline';
import type { CountryCode } from 'libphonenumber-js';
import { RequiresScope } from './auth/scope.decorator';
import { CustomerSearchQuery, instant, pagedRead, parseIdentityParam, queryAs, StateQuery } from './query-params';
import { ApiBody, ApiTags } from '@hub/platform/openapi';
import { ApiQueryParams, TenantOperation, VALIDATION_FAILED } from './openapi';
import { Audited } from './audit/audited.decorator';

/** The outbound sender's send ledger, read for the sends of a customer's decisions. */
export const SEND_LEDGER = Symbol('SEND_LEDGER');

/** What the provider said became of a message we sent: its furthest delivery status, from the statuses the hub ingested. */
interface DeliveryView {
  status: DeliveryStatus;
  at: string;
  errorCode?: string;
}
/** Statuses can arrive out of order (a read before its delivered): the furthest one holds; a failure is final. */
const DELIVERY_RANK: Record<DeliveryStatus, number> = { sent: 1, delivered: 2, read: 3, failed: 4 };

/** The delivery statuses in a customer's stream (Twilio status callbacks, WhatsApp statuses), by provider message id. */
function deliveriesOf(events: readonly CustomerEvent[]): Map<string, DeliveryView> {
  const byMessage = new Map<string, DeliveryView>();
  for (const e of events) {
    if (e.type !== 'InteractionRecorded' || e.data.kind !== 'delivery' || !e.data.delivery) continue;
    const { messageId, status, errorCode } = e.data.delivery;
    const seen = byMessage.get(messageId);
    if (seen && DELIVERY_RANK[seen.status] >= DELIVERY_RANK[status]) continue;
    byMessage.set(messageId, { status, at: e.metadata.occurredAt, ...(errorCode !== undefined ? { errorCode } : {}) });
  }
  return byMessage;
}

/**
 * A send as the API shows it: what happened and with which provider ids, never the recipient or the
 * text; with what the provider later said of the message (`delivery`), linked by its message id.
 */
type SendView = Pick<SendRecord, 'channel' | 'state' | 'attempts' | 'provider' | 'updatedAt'> &
  Partial<Pick<SendRecord, 'providerMessageId' | 'errorCode' | 'errorMessage' | 'skipReason' | 'resolution'>> & {
    delivery?: DeliveryView;
  };
const sendView = (r: SendRecord, delivery: DeliveryView | undefined): SendView => ({
  ...(delivery ? { delivery } : {}),
  channel: r.channel,
  state: r.state,
  attempts: r.attempts,
  provider: r.provider,
  updatedAt: r.updatedAt,
  ...(r.providerMessageId !== undefined ? { providerMessageId: r.providerMessageId } : {}),
  ...(r.errorCode !== undefined ? { errorCode: r.errorCode, errorMessage: r.errorMessage } : {}),
  ...(r.skipReason !== undefined ? { skipReason: r.skipReason } : {}),
  ...(r.resolution !== undefined ? { resolution: r.resolution } : {}),
});

export const CUSTOMER_REPOSITORY = Symbol('CUSTOMER_REPOSITORY');

/** An identity as the read model lists it. */
type IdentityRow = { kind: string; value: string; namespace?: string };
/** Each tenant's default phone region (QUERY_DEFAULT_REGIONS): how a national number in a lookup is read. */
export const DEFAULT_PHONE_REGIONS = Symbol('DEFAULT_PHONE_REGIONS');

/** Validate a request body; 400 with every failing field otherwise. */
function bodyAs<T extends object>(cls: ClassConstructor<T>, body: unknown): T {
  const v = validateAs(cls, body);
  if (!v.ok) throw new BadRequestException({ error: 'validation_failed', fields: v.errors });
  return JSON.parse(JSON.stringify(v.value)) as T;
}

/**
 * Read side for analysts and agents. Timelines and lookups come from the read model; state and
 * next best actions are folded from the customer's stream on every request.
 */
@ApiTags('customers')
@Controller('tenants/:tenantId/customers')
export class CustomersController {
  constructor(
    @Inject(TIMELINE_STORE) private readonly timeline: PostgresTimelineStore,
    @Inject(CUSTOMER_REPOSITORY) private readonly customers: CustomerRepository,
    @Inject(CUSTOMER_STORES) private readonly stores: CustomerStores,
    @Inject(TIMELINE_QUERIES) private readonly queries: TimelineQueries,
    @Inject(DEFAULT_PHONE_REGIONS) private readonly regions: ReadonlyMap<string, CountryCode>,
    @Inject(SEND_LEDGER) private readonly sends: Pick<PostgresSendLedger, 'sendsOf'>,
  ) {}

  /** Preview a merge without writing: what would merge, who survives, from which evidence. */
  @Audited('customers.merge_previewed')
  @Post('merge-preview')
  @RequiresScope('read')
  @TenantOperation(
    'read',
    { summary: 'Preview a merge without writing: what would merge, who survives, from which evidence' },
    VALIDATION_FAILED,
  )
  @ApiBody({ type: MergePreviewRequestDto })
  @HttpCode(200)
  async mergePreview(@Param('tenantId') tenantId: string, @Body() body: unknown) {
    const r = bodyAs(MergeRequestDto, { requestId: 'preview', ...(body as object) });
    await this.requireAll(tenantId, r.customerIds);
    return previewCustomerMerge(this.stores, { tenantId, customerIds: r.customerIds, evidence: r.evidence });
  }

  /** Merge two customers on evidence; the policy may only propose it, or refuse it. */
  @Audited('customers.merged')
  @Post('merges')
  @RequiresScope('write')
  @TenantOperation(
    'write',
    { summary: 'Merge two customers on evidence (the policy may only propose it, or refuse it)' },
    VALIDATION_FAILED,
  )
  @ApiBody({ type: MergeRequestDto })
  @HttpCode(200)
  async merge(@Param('tenantId') tenantId: string, @Body() body: unknown) {
    const r = bodyAs(MergeRequestDto, body);
    await this.requireAll(tenantId, r.customerIds);
    return this.mergeAndFollow(tenantId, { customerIds: r.customerIds, evidence: r.evidence, requestId: r.requestId });
  }

  /**
   * A person approves a merge the policy only proposed (`state.mergeProposals` of the survivor): the
   * same merge command, on `agent_confirmed` evidence, idempotent by the proposal's id.
   */
  @Audited('customers.merge_proposal.approved')
  @Post(':customerId/merge-proposals/:proposalId/approve')
  @RequiresScope('write')
  @TenantOperation('write', { summary: 'Approve a merge the policy only proposed (idempotent by the proposal id)' })
  @HttpCode(200)
  async approveProposal(
    @Param('tenantId') tenantId: string,
    @Param('customerId') customerId: string,
    @Param('proposalId') proposalId: string,
  ) {
    const { state, revision } = await this.customers.load(tenantId, customerId);
    if (revision === 'no_stream') throw new NotFoundException({ error: 'not_found', reason: 'unknown customer' });
    const proposal = state.mergeProposals.find((p) => p.proposalId === proposalId);
    if (!proposal) throw new NotFoundException({ error: 'not_found', reason: 'no open merge proposal with this id' });
    const evidence = {
      source: AGENT_CONFIRMED_SOURCE,
      detail: `approved merge proposal ${proposalId} (${proposal.source})`,
      identities: [],
    };
    return this.mergeAndFollow(tenantId, { customerIds: [customerId, proposal.otherId], evidence, requestId: `approve-${proposalId}` });
  }

  /** A person rejects a proposed merge: the proposal is closed and the same pair is not proposed again. */
  @Audited('customers.merge_proposal.rejected')
  @Post(':customerId/merge-proposals/:proposalId/reject')
  @RequiresScope('write')
  @TenantOperation('write', { summary: 'Reject a proposed merge: the same pair is not proposed again' }, VALIDATION_FAILED)
  @ApiBody({ type: RejectProposalRequestDto })
  @HttpCode(200)
  async rejectProposal(
    @Param('tenantId') tenantId: string,
    @Param('customerId') customerId: string,
    @Param('proposalId') proposalId: string,
    @Body() body: unknown,
  ) {
    const r = bodyAs(RejectProposalRequestDto, body ?? {});
    await this.requireAll(tenantId, [customerId]);
    const decision = await rejectMergeProposal(this.stores, {
      tenantId,
      survivorId: customerId,
      proposalId,
      reason: r.reason,
      requestId: `reject-${proposalId}`,
      now: new Date().toISOString(),
    });
    if (decision.outcome === 'refused' && decision.reasonCode === 'proposal_not_found')
      throw new NotFoundException({ error: 'not_found', reason: decision.reason });
    return { outcome: decision.outcome, reasonCode: decision.reasonCode, reason: decision.reason };
  }

  /** Decide and record a merge, then move the merged customer's timeline under the survivor. */
  private async mergeAndFollow(tenantId: string, r: Pick<MergeRequestDto, 'customerIds' | 'evidence' | 'requestId'>) {
    const decision = await mergeCustomers(this.stores, {
      tenantId,
      customerIds: r.customerIds,
      evidence: r.evidence,
      requestId: r.requestId,
      now: new Date().toISOString(),
    });
    if (decision.outcome === 'merged' || decision.outcome === 'unchanged') {
      const survivor = decision.survivor.find((e) => e.type === 'CustomersMerged');
      const merged = survivor?.type === 'CustomersMerged' ? survivor.data : undefined;
      if (merged) await this.timeline.merge(tenantId, merged.mergedId, merged.survivorId);
    }
    return { outcome: decision.outcome, mergeId: decision.mergeId, reasonCode: decision.reasonCode, reason: decision.reason };
  }

  /** Undo a merge (a compensating event in both streams; claims and the timeline follow). */
  @Audited('customer.unmerged')
  @Post(':customerId/unmerge')
  @RequiresScope('write')
  @TenantOperation(
    'write',
    { summary: 'Undo a merge (a compensating event in both streams; claims and the timeline follow)' },
    VALIDATION_FAILED,
  )
  @ApiBody({ type: UnmergeRequestDto })
  @HttpCode(200)
  async unmerge(@Param('tenantId') tenantId: string, @Param('customerId') customerId: string, @Body() body: unknown) {
    const r = bodyAs(UnmergeRequestDto, body);
    await this.requireAll(tenantId, [customerId]);
    const decision = await unmergeCustomers(this.stores, {
      tenantId,
      survivorId: customerId,
      mergeId: r.mergeId,
      reason: r.reason,
      requestId: r.requestId,
      now: new Date().toISOString(),
    });
    const restored = decision.restored.find((e) => e.type === 'CustomerRestored');
    const unmerged = decision.survivor.find((e) => e.type === 'CustomerUnmerged');
    if (unmerged?.type === 'CustomerUnmerged' && restored)
      await this.timeline.unmerge(tenantId, unmerged.data.restoredId, unmerged.data.identitiesReturned);
    return { outcome: decision.outcome, reasonCode: decision.reasonCode, reason: decision.reason };
  }

  /**
   * GDPR erasure of the whole person: the customer and every record merged into it (at any depth)
   * each have their key destroyed, their CustomerErased recorded and their read model purged. The
   * answer lists every record erased (`records`, the customer asked for first); `duplicate` when
   * nothing was written (all were erased already); `mergedInto` when the customer asked for was
   * merged into another, which lives on (erase that one to erase the whole person); `notErased`: records
   * listed as merged in whose own stream says an unmerge (left half done) gave them back.
   */
  @Audited('customer.erased')
  @Post(':customerId/erase')
  @RequiresScope('erase')
  @TenantOperation(
    'erase',
    { summary: "GDPR erasure: the customer's key is destroyed, CustomerErased recorded, read models purged" },
    VALIDATION_FAILED,
  )
  @ApiBody({ type: EraseRequestDto })
  @HttpCode(200)
  async erase(@Param('tenantId') tenantId: string, @Param('customerId') customerId: string, @Body() body: unknown) {
    const r = bodyAs(EraseRequestDto, body);
    const { revision } = await this.customers.load(tenantId, customerId);
    if (revision === 'no_stream') throw new NotFoundException({ error: 'not_found', reason: 'unknown customer' });
    const erasure = await eraseCustomerRecord(this.stores, {
      tenantId,
      customerId,
      reason: r.reason,
      requestedBy: r.requestedBy,
      now: new Date().toISOString(),
    });
    // The projector purges on each CustomerErased too; the read model is purged here as well, so the
    // answer comes back with every erased record's rows already gone.
    const records = [];
    for (const record of erasure.records) {
      const purged = await this.timeline.purgeCustomer(tenantId, record.customerId);
      records.push({
        customerId: record.customerId,
        cascadeOf: record.cascadeOf,
        keyDestroyed: record.keyDestroyed,
        duplicate: record.duplicate,
        purged,
      });
    }
    return {
      erased: true,
      keyDestroyed: erasure.keyDestroyed,
      duplicate: erasure.duplicate,
      purged: records[0]!.purged,
      mergedInto: erasure.mergedInto,
      records,
      notErased: erasure.notErased,
    };
  }

  /** The customer's state folded from their stream, now or as of a moment / revision. */
  @Audited('customer.state.read')
  @Get(':customerId/state')
  @ApiQueryParams(StateQuery)
  @TenantOperation(
    'read',
    { summary: "The customer's state folded from their stream, now or `asOf` a moment / at a `revision`" },
    { 400: 'A query parameter is not valid' },
  )
  async state(@Param('tenantId') tenantId: string, @Param('customerId') customerId: string, @Query() query: unknown) {
    const { asOf, revision } = queryAs(StateQuery, query);
    const at = asOf === undefined ? undefined : new Date(instant(asOf)).toISOString();
    const loaded = await this.customers.load(tenantId, customerId, {
      ...(at ? { asOf: at } : {}),
      ...(revision !== undefined ? { atRevision: BigInt(revision) } : {}),
    });
    if (loaded.revision === 'no_stream')
      throw new NotFoundException({
        error: 'not_found',
        reason: at || revision ? 'no event of this customer was recorded by then' : 'unknown customer',
      });
    return { customerId, asOf: at ?? null, revision: loaded.revision.toString(), state: loaded.state };
  }

  private async requireAll(tenantId: string, ids: readonly string[]): Promise<void> {
    for (const id of ids) {
      const { revision } = await this.customers.load(tenantId, id);
      if (revision === 'no_stream') throw new NotFoundException({ error: 'not_found', reason: `unknown customer ${id}` });
    }
  }

  /**
   * Customers for analysts, oldest first: `?identity=<kind>:<value>&channel=&preferredChannel=&quadrant=&churnRisk=&q=&limit=&cursor=`,
   * criteria combined; `next` pages on. `?identity=` alone keeps its original meaning: the one customer
   * holding that identity, with its folded state (404 when none).
   */
  @Audited('customers.searched')
  @Get()
  @ApiQueryParams(CustomerSearchQuery)
  @TenantOperation(
    'read',
    {
      summary: 'Customers by identity or attribute, oldest first, paged',
      description:
        '`?identity=<kind>:<value>&region=&channel=&preferredChannel=&quadrant=&churnRisk=&q=&minContacts=&minChannels=&withinDays=&limit=&cursor=`; `?identity=` alone answers the one customer holding it.',
    },
    { 400: 'A query parameter is not valid' },
  )
  async find(@Param('tenantId') tenantId: string, @Query() query: unknown) {
    const q = queryAs(CustomerSearchQuery, query);
    const region = q.region ?? this.regions.get(tenantId);
    const identity = q.identity === undefined ? undefined : parseIdentityParam(q.identity, region);
    if (identity && !identity.ok)
      throw new BadRequestException({ error: 'validation_failed', fields: [{ field: 'identity', messages: [identity.reason] }] });
    // `region` only says how to read the identity: identity (and region) alone is still the one-customer lookup.
    const onlyIdentity = identity !== undefined && Object.keys(query as object).every((k) => k === 'identity' || k === 'region');
    // Who holds an identity is what its claim in the event store says (the read model's identity
    // rows follow the interactions that named it, which may name another customer's phone).
    const holder = identity ? await this.stores.identities.ownerOf(tenantId, identity.identity) : undefined;
    if (identity && onlyIdentity) {
      if (!holder) throw new NotFoundException({ error: 'not_found', reason: 'no customer has this identity' });
      return this.summary(tenantId, holder);
    }
    if (identity && !holder) return { customers: [], next: null };
    // One moment for the whole request: the contact pattern's window and the churn risk's silence.
    const now = new Date().toISOString();
    const page = await pagedRead(() =>
      this.queries.searchCustomers(
        tenantId,
        {
          ...(holder ? { customerId: holder } : {}),
          ...(q.channel?.length ? { channels: q.channel } : {}),
          ...(q.preferredChannel?.length ? { preferredChannels: q.preferredChannel } : {}),
          ...(q.quadrant?.length ? { quadrants: q.quadrant } : {}),
          ...(q.churnRisk?.length ? { churnRisks: q.churnRisk } : {}),
          ...(q.q !== undefined ? { q: q.q } : {}),
          ...(q.minContacts !== undefined || q.minChannels !== undefined || q.withinDays !== undefined
            ? { contacts: { minContacts: q.minContacts ?? 1, minChannels: q.minChannels ?? 1, withinDays: q.withinDays ?? 7, now } }
            : {}),
        },
        { limit: q.limit ?? DEFAULT_PAGE_SIZE, ...(q.cursor ? { cursor: q.cursor } : {}) },
        { now },
      ),
    );
    const held = await this.heldBy(tenantId, page.customers);
    return { ...page, customers: page.customers.map((c, n) => ({ ...c, identities: held[n]! })) };
  }

  /**
   * Of each customer's candidate identities, those the event store's claims give to that customer,
   * ordered by kind and value: one read of the claims for all of them.
   */
  private async heldBy(
    tenantId: string,
    customers: readonly { customerId: string; identities: readonly IdentityRow[] }[],
  ): Promise<IdentityRow[][]> {
    // The read model's rows were written from identities (IdentityRef), kind and all.
    const claims = await this.stores.identities.currentClaims(
      customers.flatMap((c) => c.identities.map((identity) => ({ tenantId, identity: identity as IdentityRef }))),
    );
    return customers.map(({ customerId, identities }) =>
      identities
        .filter(
          (identity, n) =>
            identities.findIndex(
              (o) => o.kind === identity.kind && o.value === identity.value && (o.namespace ?? '') === (identity.namespace ?? ''),
            ) === n,
        )
        .filter((identity) => {
          const claim = claims.get(this.stores.identities.claimStreamOf(tenantId, identity as IdentityRef))?.event;
          return claim?.type === 'IdentityClaimed' && claim.data.customerId === customerId;
        })
        .sort((a, b) => (a.kind === b.kind ? (a.value < b.value ? -1 : a.value > b.value ? 1 : 0) : a.kind < b.kind ? -1 : 1)),
    );
  }

  @Audited('customer.read')
  @Get(':customerId')
  @TenantOperation('read', { summary: 'One customer: summary, identities held, folded state and revision' })
  async get(@Param('tenantId') tenantId: string, @Param('customerId') customerId: string) {
    return this.summary(tenantId, customerId);
  }

  @Audited('customer.next_best_actions.read')
  @Get(':customerId/next-best-actions')
  @TenantOperation('read', {
    summary:
      'The current next best action and the history of decisions, with their explanations and what became of each (its outcome, or null)',
  })
  async nextBestActions(@Param('tenantId') tenantId: string, @Param('customerId') customerId: string) {
    const { state, revision } = await this.customers.load(tenantId, customerId);
    if (revision === 'no_stream') throw new NotFoundException({ error: 'not_found', reason: 'unknown customer' });
    const { events } = await this.customers.history(tenantId, customerId);
    // What became of each decision (one outcome per decision: accepted, declined, no_response), by whom and when.
    const outcomes = new Map(
      events
        .filter((e): e is NbaOutcomeRecorded => e.type === 'NbaOutcomeRecorded')
        .map((e) => [e.data.decisionId, { outcome: e.data.outcome, source: e.data.source, at: e.metadata.occurredAt }] as const),
    );
    const decided = events.filter((e): e is NextBestActionDecided => e.type === 'NextBestActionDecided');
    // What the outbound sender did with each (the send ledger; no contact or addresses: state, provider, ids, errors).
    const sends = new Map<string, SendView[]>();
    const deliveries = deliveriesOf(events);
    for (const r of await this.sends.sendsOf(
      tenantId,
      decided.filter((e) => e.data.contactMode !== 'none').map((e) => e.data.decisionId),
    ))
      sends.set(r.decisionId, [
        ...(sends.get(r.decisionId) ?? []),
        sendView(r, r.providerMessageId === undefined ? undefined : deliveries.get(r.providerMessageId)),
      ]);
    const decisions = decided
      .map((e) => ({
        ...e.data,
        decidedAt: e.metadata.occurredAt,
        outcome: outcomes.get(e.data.decisionId) ?? null,
        sends: sends.get(e.data.decisionId) ?? [],
      }))
      .reverse();
    return { customerId, revision: revision.toString(), current: decisions[0] ?? null, history: decisions, consent: state.consent };
  }

  private async summary(tenantId: string, customerId: string) {
    const summary = await this.timeline.getCustomer(tenantId, customerId);
    if (!summary) throw new NotFoundException({ error: 'not_found', reason: 'unknown customer' });
    const { state, revision } = await this.customers.load(tenantId, customerId);
    // The identities the customer holds: of those its rows and its folded state name, the ones the store's claims give it.
    const [identities] = await this.heldBy(tenantId, [{ customerId, identities: [...summary.identities, ...state.identities] }]);
    // Value net of what serving them cost, under the current catalog's cost table (null without one).
    const costs = currentCatalog().costToServe;
    const profitability = costs ? profitabilityOf(state, costs) : null;
    return { ...summary, identities: identities!, state, profitability, revision: revision.toString() };
  }
}
