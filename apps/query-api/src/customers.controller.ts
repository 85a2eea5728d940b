import { Controller, Get, Inject, NotFoundException, BadRequestException, Param, Query, ParseIntPipe, DefaultValuePipe } from '@nestjs/common';
import { IDENTITY_KINDS, type IdentityKind } from '@hub/contracts';
import { CustomerRepository } from '@hub/customer-records';
import { normalizeEmail, normalizePhone, type NextBestActionDecided } from '@hub/customer';
import { PostgresTimelineStore, TIMELINE_STORE } from '@hub/timeline';

export const CUSTOMER_REPOSITORY = Symbol('CUSTOMER_REPOSITORY');

/**
 * Read side for analysts and agents. Timelines and lookups come from the read model; state and
 * next best actions are folded from the customer's stream on every request.
 */
@Controller('tenants/:tenantId/customers')
export class CustomersController {
  constructor(
    @Inject(TIMELINE_STORE) private readonly timeline: PostgresTimelineStore,
    @Inject(CUSTOMER_REPOSITORY) private readonly customers: CustomerRepository,
  ) {}

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
    const { state, revision, events } = await this.customers.load(tenantId, customerId);
    if (revision === 'no_stream') throw new NotFoundException({ error: 'not_found', reason: 'unknown customer' });
    const decisions = events
      .filter((e) => e.type === 'NextBestActionDecided')
      .map((e) => ({ ...(e.data as NextBestActionDecided['data']), decidedAt: (e.metadata as { occurredAt?: string }).occurredAt ?? e.createdAt.toISOString() }))
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
