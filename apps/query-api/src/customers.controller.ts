import { BadRequestException, Body, Controller, DefaultValuePipe, Get, HttpCode, Inject, NotFoundException, Param, ParseIntPipe, Post, Query } from '@nestjs/common';
import type { ClassConstructor } from 'class-transformer';
import { IDENTITY_KINDS, validateAs, type IdentityKind } from '@hub/contracts';
import { eraseCustomerRecord, mergeCustomers, previewCustomerMerge, unmergeCustomers, type CustomerRepository, type CustomerStores } from '@hub/customer-records';
import { EraseRequestDto, MergeRequestDto, UnmergeRequestDto } from './customer-commands.dto';
import { normalizeEmail, normalizePhone, type NextBestActionDecided } from '@hub/customer';
import { PostgresTimelineStore, TIMELINE_STORE } from '@hub/timeline';

export const CUSTOMER_REPOSITORY = Symbol('CUSTOMER_REPOSITORY');
export const CUSTOMER_STORES_TOKEN = Symbol('CUSTOMER_STORES_TOKEN');

/** Validate a request body; 400 with every failing field otherwise. */
function bodyAs<T extends object>(cls: ClassConstructor<T>, body: unknown): T {
  const v = validateAs(cls, body);
  if (!v.ok) throw new BadRequestException({ error: 'validation_failed', fields: v.errors });
  return JSON.parse(JSON.stringify(v.value)) as T;
}

const isoOrUndefined = (field: string, value: string | undefined): string | undefined => {
  if (value === undefined) return undefined;
  if (Number.isNaN(Date.parse(value))) throw new BadRequestException({ error: 'validation_failed', fields: [{ field, messages: [`${field} must be an ISO 8601 time`] }] });
  return new Date(value).toISOString();
};

/**
 * Read side for analysts and agents. Timelines and lookups come from the read model; state and
 * next best actions are folded from the customer's stream on every request.
 */
@Controller('tenants/:tenantId/customers')
export class CustomersController {
  constructor(
    @Inject(TIMELINE_STORE) private readonly timeline: PostgresTimelineStore,
    @Inject(CUSTOMER_REPOSITORY) private readonly customers: CustomerRepository,
    @Inject(CUSTOMER_STORES_TOKEN) private readonly stores: CustomerStores,
  ) {}

  /** Preview a merge without writing: what would merge, who survives, from which evidence. */
  @Post('merge-preview')
  @HttpCode(200)
  async mergePreview(@Param('tenantId') tenantId: string, @Body() body: unknown) {
    const r = bodyAs(MergeRequestDto, { requestId: 'preview', ...(body as object) });
    await this.requireAll(tenantId, r.customerIds);
    return previewCustomerMerge(this.stores, { tenantId, customerIds: r.customerIds, evidence: r.evidence });
  }

  /** Merge two customers on evidence; the policy may only propose it, or refuse it. */
  @Post('merges')
  @HttpCode(200)
  async merge(@Param('tenantId') tenantId: string, @Body() body: unknown) {
    const r = bodyAs(MergeRequestDto, body);
    await this.requireAll(tenantId, r.customerIds);
    const decision = await mergeCustomers(this.stores, { tenantId, customerIds: r.customerIds, evidence: r.evidence, requestId: r.requestId, now: new Date().toISOString() });
    if (decision.outcome === 'merged' || decision.outcome === 'unchanged') {
      const survivor = decision.survivor.find((e) => e.type === 'CustomersMerged');
      const merged = survivor?.type === 'CustomersMerged' ? survivor.data : undefined;
      if (merged) await this.timeline.merge(tenantId, merged.mergedId, merged.survivorId);
    }
    return { outcome: decision.outcome, mergeId: decision.mergeId, reasonCode: decision.reasonCode, reason: decision.reason };
  }

  /** Undo a merge (a compensating event in both streams; claims and the timeline follow). */
  @Post(':customerId/unmerge')
  @HttpCode(200)
  async unmerge(@Param('tenantId') tenantId: string, @Param('customerId') customerId: string, @Body() body: unknown) {
    const r = bodyAs(UnmergeRequestDto, body);
    await this.requireAll(tenantId, [customerId]);
    const decision = await unmergeCustomers(this.stores, { tenantId, survivorId: customerId, mergeId: r.mergeId, reason: r.reason, requestId: r.requestId, now: new Date().toISOString() });
    const restored = decision.restored.find((e) => e.type === 'CustomerRestored');
    const unmerged = decision.survivor.find((e) => e.type === 'CustomerUnmerged');
    if (unmerged?.type === 'CustomerUnmerged' && restored) await this.timeline.unmerge(tenantId, unmerged.data.restoredId, unmerged.data.identitiesReturned);
    return { outcome: decision.outcome, reasonCode: decision.reasonCode, reason: decision.reason };
  }

  /** GDPR erasure: the customer's key is destroyed, CustomerErased recorded, read models purged. */
  @Post(':customerId/erase')
  @HttpCode(200)
  async erase(@Param('tenantId') tenantId: string, @Param('customerId') customerId: string, @Body() body: unknown) {
    const r = bodyAs(EraseRequestDto, body);
    const { revision } = await this.customers.load(tenantId, customerId);
    if (revision === 'no_stream') throw new NotFoundException({ error: 'not_found', reason: 'unknown customer' });
    const erasure = await eraseCustomerRecord(this.stores, { tenantId, customerId, reason: r.reason, requestedBy: r.requestedBy, now: new Date().toISOString() });
    // Until the projector follows the event store (issue #5), the read model is purged here.
    const purged = await this.timeline.purgeCustomer(tenantId, customerId);
    return { erased: true, keyDestroyed: erasure.keyDestroyed, duplicate: erasure.duplicate, purged };
  }

  /** The customer's state folded from their stream, now or as of a moment / revision. */
  @Get(':customerId/state')
  async state(@Param('tenantId') tenantId: string, @Param('customerId') customerId: string, @Query('asOf') asOf?: string, @Query('revision') revision?: string) {
    if (revision !== undefined && !/^\d{1,18}$/.test(revision)) throw new BadRequestException({ error: 'validation_failed', fields: [{ field: 'revision', messages: ['revision must be a whole number'] }] });
    const at = isoOrUndefined('asOf', asOf);
    const loaded = await this.customers.load(tenantId, customerId, { ...(at ? { asOf: at } : {}), ...(revision !== undefined ? { atRevision: BigInt(revision) } : {}) });
    if (loaded.revision === 'no_stream') throw new NotFoundException({ error: 'not_found', reason: at || revision ? 'no event of this customer was recorded by then' : 'unknown customer' });
    return { customerId, asOf: at ?? null, revision: loaded.revision.toString(), state: loaded.state };
  }

  private async requireAll(tenantId: string, ids: readonly string[]): Promise<void> {
    for (const id of ids) {
      const { revision } = await this.customers.load(tenantId, id);
      if (revision === 'no_stream') throw new NotFoundException({ error: 'not_found', reason: `unknown customer ${id}` });
    }
  }

  /** `?identity=phone:+14155550100` finds one customer; without it, lists customers. */
  @Get()
  async find(@Param('tenantId') tenantId: string, @Query('identity') identity?: string, @Query('limit', new DefaultValuePipe(100), ParseIntPipe) limit = 100) {
    if (!identity) return { customers: await this.timeline.listCustomers(tenantId, Math.min(limit, 1000)) };
    const sep = identity.indexOf(':');
    const kind = identity.slice(0, sep) as IdentityKind;
    const raw = identity.slice(sep + 1);
    if (sep <= 0 || !IDENTITY_KINDS.includes(kind)) throw new BadRequestException({ error: 'validation_failed', fields: [{ field: 'identity', messages: [`must be <kind>:<value>, kind one of ${IDENTITY_KINDS.join(', ')}`] }] });
    const normalized = kind === 'phone' ? normalizePhone(raw) : kind === 'email' ? normalizeEmail(raw) : { ok: true as const, identity: { kind, value: raw } };
    if (!normalized.ok) throw new BadRequestException({ error: 'validation_failed', fields: [{ field: 'identity', messages: [normalized.reason] }] });
    const customerId = await this.timeline.findCustomerIdByIdentity(tenantId, kind, normalized.identity.value);
    if (!customerId) throw new NotFoundException({ error: 'not_found', reason: 'no customer has this identity' });
    return this.summary(tenantId, customerId);
  }

  @Get(':customerId')
  async get(@Param('tenantId') tenantId: string, @Param('customerId') customerId: string) {
    return this.summary(tenantId, customerId);
  }

  @Get(':customerId/timeline')
  async timelineOf(@Param('tenantId') tenantId: string, @Param('customerId') customerId: string, @Query('limit', new DefaultValuePipe(100), ParseIntPipe) limit = 100) {
    const summary = await this.timeline.getCustomer(tenantId, customerId);
    if (!summary) throw new NotFoundException({ error: 'not_found', reason: 'unknown customer' });
    return { customerId, entries: await this.timeline.getTimeline(tenantId, customerId, { limit: Math.min(limit, 1000) }) };
  }

  @Get(':customerId/next-best-actions')
  async nextBestActions(@Param('tenantId') tenantId: string, @Param('customerId') customerId: string) {
    const { state, revision } = await this.customers.load(tenantId, customerId);
    if (revision === 'no_stream') throw new NotFoundException({ error: 'not_found', reason: 'unknown customer' });
    const { events } = await this.customers.history(tenantId, customerId);
    const decisions = events
      .filter((e): e is NextBestActionDecided => e.type === 'NextBestActionDecided')
      .map((e) => ({ ...e.data, decidedAt: e.metadata.occurredAt }))
      .reverse();
    return { customerId, revision: revision.toString(), current: decisions[0] ?? null, history: decisions, consent: state.consent };
  }

  private async summary(tenantId: string, customerId: string) {
    const summary = await this.timeline.getCustomer(tenantId, customerId);
    if (!summary) throw new NotFoundException({ error: 'not_found', reason: 'unknown customer' });
    const { state, revision } = await this.customers.load(tenantId, customerId);
    return { ...summary, state, revision: revision.toString() };
  }
}
