import {
  BadRequestException,
  Body,
  Controller,
  Get,
  Header,
  Inject,
  NotFoundException,
  Param,
  Post,
  Redirect,
  UnauthorizedException,
} from '@nestjs/common';
import { ApiBody, ApiOperation, ApiProperty, ApiResponse, ApiTags } from '@nestjs/swagger';
import { IsString, MaxLength } from 'class-validator';
import { validateAs } from '@hub/contracts';
import type { CustomerRepository } from '@hub/customer-records';
import { ConcurrencyError } from '@hub/event-store';
import { currentCatalog, decideClickOutcome, signTrackingLink, verifyTrackingLink } from '@hub/nba';
import { LOGGER, type HubLogger } from '@hub/platform';
import { ApiErrors, HubError } from '@hub/platform/openapi';
import { Audited } from '../audit/audited.decorator';
import { Public } from '../auth/public.decorator';
import { RequiresScope } from '../auth/scope.decorator';
import { CUSTOMER_REPOSITORY } from '../customers.controller';
import { TenantOperation, VALIDATION_FAILED } from '../openapi';
import { validationFailed } from '../query-params';

/** The query API's tracking-link key (`TRACKING_LINK_KEY`); null: tracking links are off. */
export const TRACKING_LINK_KEY = Symbol('TRACKING_LINK_KEY');

/** Appends lost to a concurrent writer are retried on the fresh stream this many times. */
const MAX_ATTEMPTS = 5;

const linksOff = () => new NotFoundException({ error: 'not_found', reason: 'tracking links are off (no TRACKING_LINK_KEY)' });

/** `POST …/decisions/:decisionId/tracking-links`: where the link goes. */
export class TrackingLinkDto {
  @ApiProperty({ type: String, maxLength: 2048, description: 'An absolute http(s) URL: where the click goes' })
  @IsString()
  @MaxLength(2048)
  target!: string;
}

/**
 * Click-throughs as the customer's answer (docs/events.md, "The customer's answer"): `GET /r/:token`
 * is open (a customer's mail client follows it, no key): a token signed with `TRACKING_LINK_KEY`
 * records its decision `accepted` (source `click`) and redirects to the target the token names, and
 * only there — a bad token is 400, a forged one 401, and nothing else redirects.
 */
@ApiTags('next best actions')
@Controller()
export class ClickController {
  private readonly windowHours = currentCatalog().learning.noResponseAfterHours;

  constructor(
    @Inject(CUSTOMER_REPOSITORY) private readonly customers: CustomerRepository,
    @Inject(TRACKING_LINK_KEY) private readonly key: string | null,
    @Inject(LOGGER) private readonly logger: HubLogger,
  ) {}

  /** A sender's link for one decision: `/r/<token>`, to put in the message instead of the target. */
  @Audited('decision.tracking_link_created')
  @Post('tenants/:tenantId/customers/:customerId/decisions/:decisionId/tracking-links')
  @RequiresScope('write')
  @TenantOperation(
    'write',
    { summary: "A signed tracking link for a decision's message: the click records it accepted and goes to the target" },
    { ...VALIDATION_FAILED },
  )
  @ApiBody({ type: TrackingLinkDto })
  createLink(
    @Param('tenantId') tenantId: string,
    @Param('customerId') customerId: string,
    @Param('decisionId') decisionId: string,
    @Body() body: unknown,
  ) {
    if (this.key === null) throw linksOff();
    const v = validateAs(TrackingLinkDto, body ?? {});
    if (!v.ok) throw validationFailed(v.errors);
    let token: string;
    try {
      token = signTrackingLink({ tenantId, customerId, decisionId, target: v.value.target }, this.key);
    } catch {
      throw validationFailed([{ field: 'target', messages: ['target must be an absolute http(s) URL'] }]);
    }
    return { decisionId, target: v.value.target, path: `/r/${token}`, token };
  }

  @Public()
  @Get('r/:token')
  @Redirect()
  @Header('cache-control', 'no-store')
  @Header('referrer-policy', 'no-referrer')
  @ApiOperation({
    summary:
      "A customer's click on a tracking link: records the decision accepted (source click) and redirects (302) to the link's target; open, no key",
  })
  @ApiResponse({ status: 302, description: "To the link's target (`Location`), the only place it redirects" })
  @ApiErrors(HubError, {
    400: 'Not a tracking token: `invalid_token`, `malformed`',
    401: 'A token the hub did not sign (or signed with another key): `invalid_token`, `signature_invalid`',
    404: 'Tracking links are off (no `TRACKING_LINK_KEY`)',
    429: 'Too many requests from this address (`Retry-After`)',
  })
  async click(@Param('token') token: string): Promise<{ url: string; statusCode: number }> {
    if (this.key === null) throw linksOff();
    const verdict = verifyTrackingLink(token, this.key);
    if (!verdict.ok) {
      this.logger.warn({ reason: verdict.reason }, 'query.click.rejected');
      if (verdict.reason === 'forged') throw new UnauthorizedException({ error: 'invalid_token', reason: 'signature_invalid' });
      throw new BadRequestException({ error: 'invalid_token', reason: 'malformed' });
    }
    const { link } = verdict;
    // The hub made this link: the customer goes where it leads whatever is recorded (an outcome first, a late click, an erased customer).
    const recorded = await this.record(link.tenantId, link.customerId, link.decisionId);
    this.logger.info(
      { tenantId: link.tenantId, customerId: link.customerId, decisionId: link.decisionId, recorded },
      'query.click.followed',
    );
    return { url: link.target, statusCode: 302 };
  }

  private async record(tenantId: string, customerId: string, decisionId: string): Promise<string> {
    for (let attempt = 1; ; attempt++) {
      const { recorded, events } = await this.customers.history(tenantId, customerId);
      const revision = recorded.at(-1)?.revision;
      if (revision === undefined || events.some((e) => e.type === 'CustomerErased')) return 'unknown_customer';
      const r = decideClickOutcome(events, {
        tenantId,
        customerId,
        decisionId,
        now: new Date().toISOString(),
        windowHours: this.windowHours,
      });
      if (r.kind !== 'record') return r.kind;
      try {
        const appended = await this.customers.append(tenantId, customerId, [r.event], revision);
        return appended.duplicate ? 'already_recorded' : 'recorded';
      } catch (err) {
        if (err instanceof ConcurrencyError && attempt < MAX_ATTEMPTS) continue;
        throw err;
      }
    }
  }
}
