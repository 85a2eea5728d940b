import { applyDecorators } from '@nestjs/common';
import { ApiOperation, type ApiOperationOptions } from '@nestjs/swagger';
import { ApiErrors, ApiKeyAuth, HubError } from '@hub/platform/openapi';
import type { KeyScope } from './auth/api-keys';

/** The refusals of every tenant route (`ApiKeyGuard`, the rate limits). */
const TENANT_REFUSALS = {
  401: 'No API key, or one that is not valid (`WWW-Authenticate: Bearer`)',
  403: 'The key lacks the scope this route needs, or is an operator key',
  404: 'Unknown customer or resource — also a valid key of another tenant, exactly as if it did not exist',
  429: 'Too many requests from this address or with this key (`Retry-After`)',
  503: 'The key store cannot be read; retry',
} as const;

/**
 * A route of one tenant's data (`/tenants/{tenantId}/…`): its summary, the key scope it needs
 * (default, as `ApiKeyGuard` has it: `read` for GET, `write` otherwise) and the guard's refusals.
 */
export function TenantOperation(
  scope: KeyScope,
  operation: ApiOperationOptions & { summary: string },
  refusals: Readonly<Record<number, string>> = {},
): MethodDecorator {
  return applyDecorators(
    ApiOperation({
      ...operation,
      description: [operation.description, `Needs a tenant key with the \`${scope}\` scope.`].filter(Boolean).join('\n\n'),
    }),
    ApiKeyAuth(),
    ApiErrors(HubError, { ...TENANT_REFUSALS, ...refusals }),
  );
}

/** A route that operates the whole hub (`/replays`, `/admin/v1`): an operator key (`HUB_ADMIN_API_KEYS`). */
export function OperatorOperation(
  operation: ApiOperationOptions & { summary: string },
  refusals: Readonly<Record<number, string>> = {},
): MethodDecorator {
  return applyDecorators(
    ApiOperation({
      ...operation,
      description: [operation.description, 'Needs an operator key (`HUB_ADMIN_API_KEYS`).'].filter(Boolean).join('\n\n'),
    }),
    ApiKeyAuth(),
    ApiErrors(HubError, {
      401: TENANT_REFUSALS[401],
      403: 'A tenant key: this route needs an operator key',
      429: TENANT_REFUSALS[429],
      ...refusals,
    }),
  );
}

export const VALIDATION_FAILED = { 400: 'The body is not valid: `validation_failed` with every failing field' } as const;
