import { SetMetadata } from '@nestjs/common';

export const OPERATOR_ROUTE = 'hub:operator-route';
export const OPERATOR_ALLOWED = 'hub:operator-allowed';

/**
 * A route that operates the whole hub (a replay rebuilds every tenant's read model): it needs an
 * operator key (`HUB_ADMIN_API_KEYS`) or a token with the `operator` role; a tenant key gets 403.
 * `ApiKeyGuard` sets `request.hubOperator`.
 */
export const OperatorOnly = (): MethodDecorator & ClassDecorator => SetMetadata(OPERATOR_ROUTE, true);

/**
 * A tenant route an operator may also call, for any tenant (the tenant's audit log): a tenant
 * credential still needs the route's scope there; an operator's needs none.
 */
export const OperatorAllowed = (): MethodDecorator & ClassDecorator => SetMetadata(OPERATOR_ALLOWED, true);

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by `ApiKeyGuard` on operator routes: who presented the key (or token: `keyId` is then `oidc`). */
    hubOperator?: { operator: string; keyId: string };
    /**
     * Set by `ApiKeyGuard` on tenant routes: the tenant credential presented (a key's id, the prefix
     * of its digest the logs show; for a token, `oidc:<subject>`).
     */
    hubApiKey?: { tenantId: string; keyId: string };
    /** Set by `ApiKeyGuard` on every authenticated route: who, as the audit log records it. */
    hubActor?: string;
  }
}
