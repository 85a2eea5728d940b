import { Inject, Injectable, NotFoundException, UnauthorizedException, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { LOGGER, type HubLogger } from '@hub/platform';
import { API_KEYS, presentedApiKey, type ApiKeyRegistry, type PresentedKey } from './api-keys';
import { PUBLIC_ROUTE } from './public.decorator';

const REALM = 'hub-query-api';

/**
 * Every route that is not `@Public()` needs an API key of the tenant in its path (`:tenantId`).
 * No key or an unknown one: 401 with `WWW-Authenticate`. A valid key of another tenant: 404, exactly
 * as if the resource did not exist, so a key cannot probe which customers (or tenants) exist elsewhere.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    @Inject(API_KEYS) private readonly keys: ApiKeyRegistry,
    @Inject(LOGGER) private readonly logger: HubLogger,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    if (this.reflector.getAllAndOverride<boolean | undefined>(PUBLIC_ROUTE, [context.getHandler(), context.getClass()])) return true;
    const http = context.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const route = request.routeOptions.url ?? request.url;

    const presented = presentedApiKey(request.headers);
    if (!presented.ok) return this.unauthorized(reply, route, presented.reason);
    const key = this.keys.verify(presented.key);
    if (!key) return this.unauthorized(reply, route, 'api_key_invalid');

    const params = (request.params ?? {}) as Record<string, string | undefined>;
    const tenantId = params['tenantId'];
    if (tenantId !== key.tenantId) {
      // A route without :tenantId that is not @Public() is a bug: it is closed to every key.
      this.logger.warn({ code: tenantId === undefined ? 'route_not_tenant_scoped' : 'other_tenant', keyId: key.keyId, keyTenant: key.tenantId, tenantId, route }, 'query.auth.denied');
      throw new NotFoundException({ error: 'not_found', reason: params['customerId'] !== undefined ? 'unknown customer' : 'not found' });
    }
    return true;
  }

  private unauthorized(reply: FastifyReply, route: string, reason: Exclude<PresentedKey, { ok: true }>['reason'] | 'api_key_invalid'): never {
    // RFC 6750: no error code when no credentials were sent; invalid_request / invalid_token otherwise.
    const error = reason === 'api_key_missing' ? '' : reason === 'api_key_invalid' ? ', error="invalid_token"' : ', error="invalid_request"';
    reply.header('WWW-Authenticate', `Bearer realm="${REALM}"${error}`);
    this.logger.info({ code: reason, route }, 'query.auth.rejected');
    throw new UnauthorizedException({ error: 'unauthorized', reason });
  }
}
