import { SetMetadata } from '@nestjs/common';

export const OPERATOR_ROUTE = 'hub:operator-route';

/**
 * A route that operates the whole hub (a replay rebuilds every tenant's read model): it needs an
 * operator key (`HUB_ADMIN_API_KEYS`); a tenant key gets 403. `ApiKeyGuard` sets `request.hubOperator`.
 */
export const OperatorOnly = (): MethodDecorator & ClassDecorator => SetMetadata(OPERATOR_ROUTE, true);

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by `ApiKeyGuard` on operator routes: who presented the key. */
    hubOperator?: { operator: string; keyId: string };
    /** Set by `ApiKeyGuard` on tenant routes: the tenant key presented (its id, the prefix of its digest the logs show). */
    hubApiKey?: { tenantId: string; keyId: string };
  }
}
