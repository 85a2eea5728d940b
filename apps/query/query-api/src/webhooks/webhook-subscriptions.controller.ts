import { Body, Controller, Delete, Get, HttpCode, Inject, NotFoundException, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBody, ApiTags } from '@hub/platform/openapi';
import { validateAs, type FieldError } from '@hub/contracts';
import { WEBHOOK_SUBSCRIPTIONS, type WebhookSubscriptions } from '@hub/webhook-deliveries';
import { generateWebhookSecret, isAllowedWebhookUrl, type WebhookSubscription } from '@hub/webhooks';
import { Audited } from '../audit/audited.decorator';
import { RequiresScope } from '../auth/scope.decorator';
import { ApiQueryParams, TenantOperation, VALIDATION_FAILED } from '../openapi';
import { queryAs, validationFailed } from '../query-params';
import { CreateWebhookSubscriptionDto, UpdateWebhookSubscriptionDto, WebhookDeliveriesQuery } from './webhook-subscriptions.dto';

/** Whether endpoints may be plain http on a loopback host (`WEBHOOK_ALLOW_LOOPBACK_HTTP=on`: tests, development). */
export const WEBHOOK_URL_POLICY = Symbol('WEBHOOK_URL_POLICY');
export interface WebhookUrlPolicy {
  allowLoopbackHttp: boolean;
}

const unknownSubscription = () => new NotFoundException({ error: 'not_found', reason: 'unknown webhook subscription' });
const DEFAULT_DELIVERIES = 100;

/** A subscription as the API shows it: never its secret, which only its creation returns. */
const view = ({ secret: _secret, ...s }: WebhookSubscription) => s;

/**
 * A tenant's outgoing-webhook subscriptions (docs/operations.md, "Outgoing webhooks"): where the
 * outgoing-webhooks app POSTs decisions, work items and customer changes, signed with the
 * subscription's secret (Standard Webhooks). The secret is returned once, when the subscription is
 * made. A subscription the disable rule turned off is enabled again by `POST …/enable`.
 */
@ApiTags('webhooks')
@Controller('tenants/:tenantId/webhook-subscriptions')
export class WebhookSubscriptionsController {
  constructor(
    @Inject(WEBHOOK_SUBSCRIPTIONS) private readonly subscriptions: WebhookSubscriptions,
    @Inject(WEBHOOK_URL_POLICY) private readonly urls: WebhookUrlPolicy,
  ) {}

  @Audited('webhook_subscription.created')
  @Post()
  @HttpCode(201)
  @RequiresScope('write')
  @TenantOperation(
    'write',
    { summary: 'Subscribe an endpoint to event types; the answer holds its signing secret (only this once)' },
    VALIDATION_FAILED,
  )
  @ApiBody({ type: CreateWebhookSubscriptionDto })
  async create(@Param('tenantId') tenantId: string, @Body() body: unknown) {
    const v = validateAs(CreateWebhookSubscriptionDto, body ?? {});
    if (!v.ok) throw validationFailed(v.errors);
    this.checkUrl(v.value.url);
    return this.subscriptions.create(
      {
        tenantId,
        url: v.value.url,
        eventTypes: v.value.eventTypes,
        secret: generateWebhookSecret(),
        description: v.value.description ?? null,
      },
      new Date(),
    );
  }

  @Audited('webhook_subscriptions.listed')
  @Get()
  @TenantOperation('read', { summary: 'The tenant’s webhook subscriptions (without their secrets)' })
  async list(@Param('tenantId') tenantId: string) {
    return { subscriptions: (await this.subscriptions.list(tenantId)).map(view) };
  }

  @Audited('webhook_subscription.read')
  @Get(':subscriptionId')
  @TenantOperation('read', { summary: 'One webhook subscription: status, why it is disabled, its failure record' })
  async get(@Param('tenantId') tenantId: string, @Param('subscriptionId') subscriptionId: string) {
    const s = await this.subscriptions.find(tenantId, subscriptionId);
    if (!s) throw unknownSubscription();
    return view(s);
  }

  @Audited('webhook_subscription.updated')
  @Patch(':subscriptionId')
  @RequiresScope('write')
  @TenantOperation('write', { summary: 'Change a subscription’s URL, event types or description' }, VALIDATION_FAILED)
  @ApiBody({ type: UpdateWebhookSubscriptionDto })
  async update(@Param('tenantId') tenantId: string, @Param('subscriptionId') subscriptionId: string, @Body() body: unknown) {
    const v = validateAs(UpdateWebhookSubscriptionDto, body ?? {});
    if (!v.ok) throw validationFailed(v.errors);
    if (v.value.url !== undefined) this.checkUrl(v.value.url);
    const s = await this.subscriptions.update(
      tenantId,
      subscriptionId,
      {
        ...(v.value.url !== undefined ? { url: v.value.url } : {}),
        ...(v.value.eventTypes !== undefined ? { eventTypes: v.value.eventTypes } : {}),
        ...(v.value.description !== undefined ? { description: v.value.description } : {}),
      },
      new Date(),
    );
    if (!s) throw unknownSubscription();
    return view(s);
  }

  @Audited('webhook_subscription.deleted')
  @Delete(':subscriptionId')
  @HttpCode(204)
  @RequiresScope('write')
  @TenantOperation('write', { summary: 'Delete a subscription (204); deliveries still queued for it are skipped' })
  async remove(@Param('tenantId') tenantId: string, @Param('subscriptionId') subscriptionId: string): Promise<void> {
    if (!(await this.subscriptions.remove(tenantId, subscriptionId))) throw unknownSubscription();
  }

  @Audited('webhook_subscription.enabled')
  @Post(':subscriptionId/enable')
  @HttpCode(200)
  @RequiresScope('write')
  @TenantOperation('write', {
    summary: 'Enable a disabled subscription again (its failure record reset); new events are delivered from now on',
  })
  async enable(@Param('tenantId') tenantId: string, @Param('subscriptionId') subscriptionId: string) {
    const s = await this.subscriptions.enable(tenantId, subscriptionId, new Date());
    if (!s) throw unknownSubscription();
    return view(s);
  }

  @Audited('webhook_subscription.disabled')
  @Post(':subscriptionId/disable')
  @HttpCode(200)
  @RequiresScope('write')
  @TenantOperation('write', { summary: 'Disable a subscription: nothing is sent to it until it is enabled' })
  async disable(@Param('tenantId') tenantId: string, @Param('subscriptionId') subscriptionId: string) {
    const s = await this.subscriptions.disable(tenantId, subscriptionId, new Date());
    if (!s) throw unknownSubscription();
    return view(s);
  }

  @Audited('webhook_deliveries.listed')
  @Get(':subscriptionId/deliveries')
  @TenantOperation('read', { summary: 'The delivery log: the latest attempts, newest first (status code, duration, error, next attempt)' })
  @ApiQueryParams(WebhookDeliveriesQuery)
  async deliveries(@Param('tenantId') tenantId: string, @Param('subscriptionId') subscriptionId: string, @Query() query: unknown) {
    const q = queryAs(WebhookDeliveriesQuery, query);
    if (!(await this.subscriptions.find(tenantId, subscriptionId))) throw unknownSubscription();
    return { deliveries: await this.subscriptions.deliveries(tenantId, subscriptionId, q.limit ?? DEFAULT_DELIVERIES) };
  }

  private checkUrl(url: string): void {
    if (isAllowedWebhookUrl(url, this.urls.allowLoopbackHttp)) return;
    const fields: FieldError[] = [
      {
        field: 'url',
        messages: [
          this.urls.allowLoopbackHttp
            ? 'url must be an https:// URL (or http:// to 127.0.0.1, localhost or [::1]) without credentials'
            : 'url must be an https:// URL without credentials',
        ],
      },
    ];
    throw validationFailed(fields);
  }
}
