import {
  BadRequestException,
  Body,
  ConflictException,
  Controller,
  Get,
  HttpCode,
  Inject,
  NotFoundException,
  Param,
  ParseIntPipe,
  Post,
  Query,
  Req,
  DefaultValuePipe,
} from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { ClassConstructor } from 'class-transformer';
import { validateAs } from '@hub/contracts';
import {
  formatKeyScopes,
  KEY_STORE,
  ApiKeyStoreError,
  type KeyAuditEntry,
  type KeyStore,
  type StoredKey,
  type Tenant,
} from '@hub/platform';
import { OperatorOnly } from '../auth/operator.decorator';
import { CreateKeyDto, CreateTenantDto, RotateKeyDto } from './admin.dto';
import { ApiBody, ApiTags } from '@hub/platform/openapi';
import { OperatorOperation, VALIDATION_FAILED } from '../openapi';
import { Audited } from '../audit/audited.decorator';
import { AuditTrail } from '../audit/audit-trail';

export const DEFAULT_ROTATION_GRACE_SECONDS = 86_400;

/** A key as the admin API shows it: never its secret nor its digest. */
export function keyView(key: StoredKey) {
  return {
    keyId: key.keyId,
    tenantId: key.tenantId,
    kind: key.kind,
    ...(key.kind === 'ingest' ? { source: key.source } : { scopes: formatKeyScopes(key.scopes).split('+') }),
    last4: key.last4,
    rateLimitPerMinute: key.rateLimitPerMinute,
    createdAt: key.createdAt.toISOString(),
    expiresAt: key.expiresAt?.toISOString() ?? null,
    revokedAt: key.revokedAt?.toISOString() ?? null,
    rotatedTo: key.rotatedTo,
  };
}

const tenantView = (t: Tenant) => ({ tenantId: t.tenantId, name: t.name, createdAt: t.createdAt.toISOString() });

function valid<T extends object>(cls: ClassConstructor<T>, body: unknown): T {
  const v = validateAs(cls, body ?? {});
  if (!v.ok) throw new BadRequestException({ error: 'validation_failed', fields: v.errors });
  return v.value;
}

function storeError(err: unknown): never {
  if (!(err instanceof ApiKeyStoreError)) throw err;
  if (err.code === 'tenant_exists' || err.code === 'key_inactive') throw new ConflictException({ error: err.code, reason: err.message });
  throw new NotFoundException({ error: 'not_found', reason: err.message });
}

/**
 * Tenants, API keys and their rotation, for operators (`HUB_ADMIN_API_KEYS`; docs/operations.md,
 * "API keys"). A key's secret is in the answer that makes it, and nowhere else; each change is
 * recorded with the operator who made it (`GET /admin/v1/audit`).
 */
@OperatorOnly()
@ApiTags('admin')
@Controller('admin/v1')
export class AdminController {
  constructor(
    @Inject(KEY_STORE) private readonly store: KeyStore,
    private readonly trail: AuditTrail,
  ) {}

  @Audited('tenant.created', { recordedByStore: true })
  @Post('tenants')
  @OperatorOperation({ summary: 'Create a tenant (201)' }, { ...VALIDATION_FAILED, 409: 'The tenant exists' })
  @ApiBody({ type: CreateTenantDto })
  async createTenant(@Body() body: unknown, @Req() request: FastifyRequest) {
    const dto = valid(CreateTenantDto, body);
    return tenantView(await this.store.createTenant(dto, actor(request)).catch(storeError));
  }

  @Audited('admin.tenants.listed')
  @Get('tenants')
  @OperatorOperation({ summary: 'Every tenant' })
  async listTenants() {
    return { tenants: (await this.store.listTenants()).map(tenantView) };
  }

  /** 201 with the key and its `secret`, shown this once. */
  @Audited('key.created', { recordedByStore: true })
  @Post('tenants/:tenantId/keys')
  @OperatorOperation(
    { summary: "Make a tenant's key: a `query` key (scopes) or an `ingest` key (its source); 201 with its `secret`, shown this once" },
    { ...VALIDATION_FAILED, 404: 'Unknown tenant' },
  )
  @ApiBody({ type: CreateKeyDto })
  async createKey(@Param('tenantId') tenantId: string, @Body() body: unknown, @Req() request: FastifyRequest) {
    const dto = valid(CreateKeyDto, body);
    const problem =
      dto.kind === 'ingest'
        ? dto.source === undefined
          ? { field: 'source', messages: ['an ingest key needs the source that sends with it'] }
          : dto.scopes !== undefined
            ? { field: 'scopes', messages: ['an ingest key has no scopes'] }
            : undefined
        : dto.source !== undefined
          ? { field: 'source', messages: ['only an ingest key has a source'] }
          : undefined;
    if (problem) throw new BadRequestException({ error: 'validation_failed', fields: [problem] });
    const issued = await this.store
      .createKey(
        {
          tenantId,
          kind: dto.kind,
          ...(dto.source !== undefined ? { source: dto.source } : {}),
          ...(dto.scopes !== undefined ? { scopes: dto.scopes } : {}),
          ...(dto.expiresAt !== undefined ? { expiresAt: new Date(dto.expiresAt) } : {}),
          ...(dto.rateLimitPerMinute !== undefined ? { rateLimitPerMinute: dto.rateLimitPerMinute } : {}),
        },
        actor(request),
      )
      .catch(storeError);
    return { ...keyView(issued.key), secret: issued.secret };
  }

  @Audited('admin.keys.listed')
  @Get('tenants/:tenantId/keys')
  @OperatorOperation({ summary: "A tenant's keys (never their secrets)" }, { 404: 'Unknown tenant' })
  async listKeys(@Param('tenantId') tenantId: string) {
    return { keys: (await this.store.listKeys(tenantId)).map(keyView) };
  }

  /** 201 with the new key and its secret; the old one works until `previous.expiresAt`. */
  @Audited('key.rotated', { recordedByStore: true })
  @Post('keys/:keyId/rotate')
  @OperatorOperation(
    { summary: 'Rotate a key: 201 with the new key and its secret; the old one works until `previous.expiresAt`' },
    { ...VALIDATION_FAILED, 404: 'Unknown key', 409: 'The key is not active' },
  )
  @ApiBody({ type: RotateKeyDto, required: false })
  async rotate(@Param('keyId') keyId: string, @Body() body: unknown, @Req() request: FastifyRequest) {
    const dto = valid(RotateKeyDto, body);
    const graceMs = (dto.graceSeconds ?? DEFAULT_ROTATION_GRACE_SECONDS) * 1000;
    const { issued, previous } = await this.store.rotateKey(keyId, graceMs, actor(request)).catch(storeError);
    return { ...keyView(issued.key), secret: issued.secret, previous: keyView(previous) };
  }

  /** Refused from now on (within the key cache's TTL on every instance). */
  @Audited('key.revoked', { recordedByStore: true })
  @Post('keys/:keyId/revoke')
  @OperatorOperation(
    { summary: 'Revoke a key: refused from now on (within the key cache TTL)' },
    { 404: 'Unknown key', 409: 'The key is not active' },
  )
  @HttpCode(200)
  async revoke(@Param('keyId') keyId: string, @Req() request: FastifyRequest) {
    return keyView(await this.store.revokeKey(keyId, actor(request)).catch(storeError));
  }

  /** The latest changes, newest first (`limit`, default 100, at most 1,000); one tenant's with `tenantId`. */
  @Audited('admin.audit.read')
  @Get('audit')
  @OperatorOperation(
    { summary: 'The latest changes to tenants and keys, newest first (`?limit=&tenantId=`)' },
    { 400: '`limit` is not an integer' },
  )
  async audit(@Query('limit', new DefaultValuePipe(100), ParseIntPipe) limit: number, @Query('tenantId') tenantId?: string) {
    // The whole audit log: key changes, and every read of personal data and admin action this instance has recorded.
    await this.trail.flush();
    const entries: KeyAuditEntry[] = await this.store.listAudit(Math.min(Math.max(limit, 1), 1_000), tenantId || undefined);
    return { entries: entries.map((e) => ({ ...e, at: e.at.toISOString() })) };
  }

  /** This instance's audit trail: entries pending, written, refused for want of room, lost at shutdown. */
  @Get('audit/status')
  @OperatorOperation({ summary: "This instance's audit trail: entries pending, written, refused for want of room, lost at shutdown" })
  auditStatus() {
    return this.trail.status();
  }
}

/** Who, as the audit log names them (the guard's `hubActor`): `ops.ana (key 1a2b3c4d)`, or `oidc:<sub>` for a token with the operator role. */
function actor(request: FastifyRequest): string {
  return request.hubActor ?? 'unknown';
}
