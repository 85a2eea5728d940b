import { Controller, Get, Param, Query } from '@nestjs/common';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Length, Max, Min } from 'class-validator';
import type { KeyAuditEntry } from '@hub/platform';
import { OperatorAllowed } from '../auth/operator.decorator';
import { RequiresScope } from '../auth/scope.decorator';
import { instant, IsInstant, IsLaterThan, queryAs } from '../query-params';
import { Audited } from './audited.decorator';
import { AuditTrail } from './audit-trail';
import { ApiTags } from '@hub/platform/openapi';
import { ApiQueryParams, TenantOperation } from '../openapi';

export const MAX_AUDIT_PAGE = 1_000;

/** `GET /tenants/:tenantId/audit`: every parameter optional, combined. */
export class AuditLogQuery {
  /** at or after */
  @IsOptional() @IsInstant() from?: string;
  /** before (exclusive) */
  @IsOptional() @IsInstant() @IsLaterThan('from') to?: string;
  /** exactly as entries name it: `key:<keyId>`, `oidc:<subject>`, `<operator> (key <keyId>)` */
  @IsOptional() @IsString() @Length(1, 300) actor?: string;
  /** `customer.state.read`, `key.created`, … (docs/operations.md, "Audit log") */
  @IsOptional() @IsString() @Length(1, 100) action?: string;
  @IsOptional() @IsString() @Length(1, 200) customerId?: string;
  /** the `next` of the previous page */
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) before?: number;
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(MAX_AUDIT_PAGE) limit?: number;
}

export const auditEntryView = (e: KeyAuditEntry) => ({ ...e, at: e.at.toISOString() });

/**
 * One tenant's audit log, newest first: who read its customers' personal data or changed its keys,
 * when, and how it ended. Needs the `audit` scope in that tenant, or an operator; the path's tenant
 * is the only one read (no parameter widens it).
 */
@ApiTags('audit')
@Controller('tenants/:tenantId/audit')
export class AuditController {
  constructor(private readonly trail: AuditTrail) {}

  @Get()
  @RequiresScope('audit')
  @ApiQueryParams(AuditLogQuery)
  @TenantOperation(
    'audit',
    {
      summary: "The tenant's audit log, newest first: who read its customers' personal data or changed its keys, when, and how it ended",
      description:
        '`?from=&to=&actor=&action=&customerId=&before=&limit=`; `next` is the `before` of the following page. An operator may read it too.',
    },
    { 400: 'A query parameter is not valid' },
  )
  @OperatorAllowed()
  @Audited('audit.read')
  async list(@Param('tenantId') tenantId: string, @Query() query: unknown) {
    const q = queryAs(AuditLogQuery, query);
    // What this instance has not written yet is written first: a reader sees every call answered before its own.
    await this.trail.flush();
    const limit = q.limit ?? 100;
    const entries = await this.trail.log.query({
      tenantId,
      limit,
      ...(q.from ? { from: new Date(instant(q.from)) } : {}),
      ...(q.to ? { to: new Date(instant(q.to)) } : {}),
      ...(q.actor !== undefined ? { actor: q.actor } : {}),
      ...(q.action !== undefined ? { action: q.action } : {}),
      ...(q.customerId !== undefined ? { customerId: q.customerId } : {}),
      ...(q.before !== undefined ? { before: q.before } : {}),
    });
    return { entries: entries.map(auditEntryView), next: entries.length === limit ? entries[entries.length - 1]!.id : null };
  }
}
