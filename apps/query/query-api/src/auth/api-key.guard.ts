import {
  ForbiddenException,
  Inject,
  Injectable,
  NotFoundException,
  ServiceUnavailableException,
  UnauthorizedException,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CachedKeyLookup, LOGGER, type HubLogger } from '@hub/platform';
import {
  API_KEYS,
  OPERATOR_KEYS,
  presentedApiKey,
  type ApiKeyRegistry,
  type KeyScope,
  type OperatorKey,
  type PresentedKey,
  STORED_KEYS,
} from './api-keys';
import { OPERATOR_ROUTE } from './operator.decorator';
import { PUBLIC_ROUTE } from './public.decorator';
import { REQUIRED_SCOPE } from './scope.decorator';

const REALM = 'hub-query-api';

/**
 * Every route that is not `@Public()` needs an API key of the tenant in its path (`:tenantId`).
 * No key or an unknown one: 401 with `WWW-Authenticate`. A valid key of another tenant: 404, exactly
 * as if the resource did not exist, so a key cannot probe which customers (or tenants) exist elsewhere.
 *
 * `@OperatorOnly()` routes (replays) need an operator key instead (`HUB_ADMIN_API_KEYS`). A key of
 * the wrong scope — a tenant key on an operator route, an operator key on a tenant route — gets 403
 * with `error="insufficient_scope"` (RFC 6750): it says nothing about any tenant's data.
 *
 * A tenant key also needs the route's scope (`@RequiresScope`; by default `read` for GET and HEAD,
 * `write` otherwise): a key of the right tenant without it gets 403 `<scope>_scope_required`. The
 * tenant is checked first, so a key of another tenant still gets 404 whatever its scopes.
 *
 * Tenant keys are the configured ones (`HUB_API_KEYS`) and the active `query` keys of the key store
 * (made through `/admin/v1`), looked up through a short cache (`CachedKeyLookup`): a key created or
 * revoked there is taken or refused within its TTL, without a restart.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    @Inject(API_KEYS) private readonly keys: ApiKeyRegistry,
    @Inject(OPERATOR_KEYS) private readonly operators: ApiKeyRegistry<OperatorKey>,
    @Inject(STORED_KEYS) private readonly stored: CachedKeyLookup,
    @Inject(LOGGER) private readonly logger: HubLogger,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (this.reflector.getAllAndOverride<boolean | undefined>(PUBLIC_ROUTE, [context.getHandler(), context.getClass()])) return true;
    const http = context.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const route = request.routeOptions.url ?? request.url;

    const presented = presentedApiKey(request.headers);
    if (!presented.ok) return this.unauthorized(reply, route, presented.reason);
    if (this.reflector.getAllAndOverride<boolean | undefined>(OPERATOR_ROUTE, [context.getHandler(), context.getClass()])) {
      const operator = this.operators.verify(presented.key);
      if (operator) {
        request.hubOperator = { operator: operator.operator, keyId: operator.keyId };
        return true;
      }
      const tenantKey = await this.tenantKey(presented.key);
      if (!tenantKey) return this.unauthorized(reply, route, 'api_key_invalid');
      this.logger.warn(
        { code: 'operator_key_required', keyId: tenantKey.keyId, keyTenant: tenantKey.tenantId, route },
        'query.auth.denied',
      );
      return this.forbidden(reply, 'operator_key_required', 'hub:operator');
    }
    const key = await this.tenantKey(presented.key);
    if (!key) {
      const operator = this.operators.verify(presented.key);
      if (!operator) return this.unauthorized(reply, route, 'api_key_invalid');
      this.logger.warn({ code: 'tenant_key_required', keyId: operator.keyId, operator: operator.operator, route }, 'query.auth.denied');
      return this.forbidden(reply, 'tenant_key_required', 'hub:tenant');
    }

    const params = (request.params ?? {}) as Record<string, string | undefined>;
    const tenantId = params['tenantId'];
    if (tenantId !== key.tenantId) {
      // A route without :tenantId that is not @Public() is a bug: it is closed to every key.
      this.logger.warn(
        {
          code: tenantId === undefined ? 'route_not_tenant_scoped' : 'other_tenant',
          keyId: key.keyId,
          keyTenant: key.tenantId,
          tenantId,
          route,
        },
        'query.auth.denied',
      );
      throw new NotFoundException({ error: 'not_found', reason: params['customerId'] !== undefined ? 'unknown customer' : 'not found' });
    }
    const scope =
      this.reflector.getAllAndOverride<KeyScope | undefined>(REQUIRED_SCOPE, [context.getHandler(), context.getClass()]) ??
      (request.method === 'GET' || request.method === 'HEAD' ? 'read' : 'write');
    if (!key.scopes.has(scope)) {
      this.logger.warn(
        { code: `${scope}_scope_required`, keyId: key.keyId, keyTenant: key.tenantId, route, method: request.method },
        'query.auth.denied',
      );
      return this.forbidden(reply, `${scope}_scope_required`, `hub:${scope}`, { scope });
    }
    request.hubApiKey = { tenantId: key.tenantId, keyId: key.keyId };
    return true;
  }

  /** A configured tenant key, else an active stored `query` key (the store unreadable: 503, never a guess). */
  private async tenantKey(presented: string): Promise<{ tenantId: string; keyId: string; scopes: ReadonlySet<KeyScope> } | undefined> {
    const configured = this.keys.verify(presented);
    if (configured) return configured;
    let stored;
    try {
      stored = await this.stored.verify(presented);
    } catch (err) {
      this.logger.error({ err: String(err) }, 'query.auth.key_store_unavailable');
      throw new ServiceUnavailableException({ error: 'unavailable', reason: 'the key store cannot be read; retry' });
    }
    return stored?.kind === 'query' ? stored : undefined;
  }

  private forbidden(
    reply: FastifyReply,
    reason: 'operator_key_required' | 'tenant_key_required' | `${KeyScope}_scope_required`,
    scope: string,
    extra: Record<string, string> = {},
  ): never {
    reply.header('WWW-Authenticate', `Bearer realm="${REALM}", error="insufficient_scope", scope="${scope}"`);
    throw new ForbiddenException({ error: 'forbidden', reason, ...extra });
  }

  private unauthorized(
    reply: FastifyReply,
    route: string,
    reason: Exclude<PresentedKey, { ok: true }>['reason'] | 'api_key_invalid',
  ): never {
    // RFC 6750: no error code when no credentials were sent; invalid_request / invalid_token otherwise.
    const error =
      reason === 'api_key_missing' ? '' : reason === 'api_key_invalid' ? ', error="invalid_token"' : ', error="invalid_request"';
    reply.header('WWW-Authenticate', `Bearer realm="${REALM}"${error}`);
    this.logger.info({ code: reason, route }, 'query.auth.rejected');
    throw new UnauthorizedException({ error: 'unauthorized', reason });
  }
}
