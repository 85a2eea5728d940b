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
import { CachedKeyLookup, LOGGER, looksLikeJwt, type HubLogger } from '@hub/platform';
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
import { OIDC_VERIFIER, OidcUnavailableError, type OidcVerifier } from './oidc';
import { OPERATOR_ALLOWED, OPERATOR_ROUTE } from './operator.decorator';
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
 *
 * With OpenID Connect configured (`OIDC_ISSUER_URL`), a bearer that is a JWT is checked as the
 * issuer's access token instead (`OidcVerifier`): its tenant claim names the tenants it opens, its
 * roles what it may do there (`OIDC_ROLE_SCOPES`; the `operator` role opens the operator routes).
 * An invalid, expired, foreign or misaddressed token gets 401 `token_invalid` / `token_expired`; the
 * issuer's keys unreachable, 503. The rules above then apply to it as to a key.
 */
/** Who presented what: a tenant key, an operator key or a token, reduced to what the rules need. */
interface Caller {
  /** A key's id (a digest prefix, or the stored key's id); a token's `oidc:<subject>`. */
  keyId: string;
  /** As the audit log records it. */
  actor: string;
  /** The tenants it opens (an operator key: none). */
  tenants: readonly string[];
  scopes: ReadonlySet<KeyScope>;
  /** The operator's name, when it may operate the hub. */
  operator?: string;
}

@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    @Inject(API_KEYS) private readonly keys: ApiKeyRegistry,
    @Inject(OPERATOR_KEYS) private readonly operators: ApiKeyRegistry<OperatorKey>,
    @Inject(STORED_KEYS) private readonly stored: CachedKeyLookup,
    @Inject(OIDC_VERIFIER) private readonly oidc: OidcVerifier | null,
    @Inject(LOGGER) private readonly logger: HubLogger,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean | undefined>(PUBLIC_ROUTE, targets)) return true;
    const http = context.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const route = request.routeOptions.url ?? request.url;

    const presented = presentedApiKey(request.headers);
    if (!presented.ok) return this.unauthorized(reply, route, presented.reason);
    const caller = await this.caller(presented.key, reply, route);
    if (this.reflector.getAllAndOverride<boolean | undefined>(OPERATOR_ROUTE, targets)) {
      if (caller.operator !== undefined) {
        request.hubOperator = { operator: caller.operator, keyId: caller.keyId };
        request.hubActor = caller.actor;
        return true;
      }
      this.logger.warn({ code: 'operator_key_required', keyId: caller.keyId, keyTenants: caller.tenants, route }, 'query.auth.denied');
      return this.forbidden(reply, 'operator_key_required', 'hub:operator');
    }

    const params = (request.params ?? {}) as Record<string, string | undefined>;
    const tenantId = params['tenantId'];
    if (
      caller.operator !== undefined &&
      tenantId !== undefined &&
      this.reflector.getAllAndOverride<boolean | undefined>(OPERATOR_ALLOWED, targets)
    ) {
      request.hubOperator = { operator: caller.operator, keyId: caller.keyId };
      request.hubActor = caller.actor;
      return true;
    }
    if (caller.tenants.length === 0 && caller.operator !== undefined) {
      this.logger.warn({ code: 'tenant_key_required', keyId: caller.keyId, operator: caller.operator, route }, 'query.auth.denied');
      return this.forbidden(reply, 'tenant_key_required', 'hub:tenant');
    }
    if (tenantId === undefined || !caller.tenants.includes(tenantId)) {
      // A route without :tenantId that is not @Public() is a bug: it is closed to every key.
      this.logger.warn(
        {
          code: tenantId === undefined ? 'route_not_tenant_scoped' : 'other_tenant',
          keyId: caller.keyId,
          keyTenants: caller.tenants,
          tenantId,
          route,
        },
        'query.auth.denied',
      );
      throw new NotFoundException({ error: 'not_found', reason: params['customerId'] !== undefined ? 'unknown customer' : 'not found' });
    }
    const scope =
      this.reflector.getAllAndOverride<KeyScope | undefined>(REQUIRED_SCOPE, targets) ??
      (request.method === 'GET' || request.method === 'HEAD' ? 'read' : 'write');
    if (!caller.scopes.has(scope)) {
      this.logger.warn(
        { code: `${scope}_scope_required`, keyId: caller.keyId, keyTenant: tenantId, route, method: request.method },
        'query.auth.denied',
      );
      return this.forbidden(reply, `${scope}_scope_required`, `hub:${scope}`, { scope });
    }
    request.hubApiKey = { tenantId, keyId: caller.keyId };
    request.hubActor = caller.actor;
    return true;
  }

  /**
   * The credential presented: a configured tenant or operator key; with OpenID Connect on, a JWT
   * as the issuer's token; else an active stored `query` key. Unknown or invalid: 401. A store or
   * issuer that cannot be read: 503, never a guess.
   */
  private async caller(presented: string, reply: FastifyReply, route: string): Promise<Caller> {
    const configured = this.keys.verify(presented);
    if (configured)
      return { keyId: configured.keyId, actor: `key:${configured.keyId}`, tenants: [configured.tenantId], scopes: configured.scopes };
    const operator = this.operators.verify(presented);
    if (operator)
      return {
        keyId: operator.keyId,
        actor: `${operator.operator} (key ${operator.keyId})`,
        tenants: [],
        scopes: NO_SCOPES,
        operator: operator.operator,
      };
    if (this.oidc && looksLikeJwt(presented)) {
      let verified;
      try {
        verified = await this.oidc.verify(presented);
      } catch (err) {
        if (!(err instanceof OidcUnavailableError)) throw err;
        this.logger.error({ err: err.message, issuer: this.oidc.issuer }, 'query.auth.oidc_unavailable');
        throw new ServiceUnavailableException({ error: 'unavailable', reason: "the identity provider's keys cannot be read; retry" });
      }
      if (!verified.ok) return this.unauthorized(reply, route, verified.reason, verified.detail);
      const p = verified.principal;
      const keyId = `oidc:${p.subject}`;
      return { keyId, actor: keyId, tenants: p.tenants, scopes: p.scopes, ...(p.operator ? { operator: p.subject } : {}) };
    }
    let stored;
    try {
      stored = await this.stored.verify(presented);
    } catch (err) {
      this.logger.error({ err: String(err) }, 'query.auth.key_store_unavailable');
      throw new ServiceUnavailableException({ error: 'unavailable', reason: 'the key store cannot be read; retry' });
    }
    if (stored?.kind !== 'query') return this.unauthorized(reply, route, 'api_key_invalid');
    return { keyId: stored.keyId, actor: `key:${stored.keyId}`, tenants: [stored.tenantId], scopes: stored.scopes };
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
    reason: Exclude<PresentedKey, { ok: true }>['reason'] | 'api_key_invalid' | 'token_invalid' | 'token_expired',
    detail?: string,
  ): never {
    // RFC 6750: no error code when no credentials were sent; invalid_request / invalid_token otherwise.
    const error =
      reason === 'api_key_missing'
        ? ''
        : reason === 'api_key_invalid' || reason === 'token_invalid' || reason === 'token_expired'
          ? ', error="invalid_token"'
          : ', error="invalid_request"';
    reply.header('WWW-Authenticate', `Bearer realm="${REALM}"${error}`);
    this.logger.info({ code: reason, route, ...(detail !== undefined ? { detail } : {}) }, 'query.auth.rejected');
    throw new UnauthorizedException({ error: 'unauthorized', reason });
  }
}

const NO_SCOPES: ReadonlySet<KeyScope> = new Set();
