import { applyDecorators } from '@nestjs/common';
import type { ApiOperationOptions } from '@nestjs/swagger';
import { getMetadataStorage, ValidationTypes } from 'class-validator';
import { ApiErrors, ApiKeyAuth, ApiOperation, ApiQuery, HubError } from '@hub/platform/openapi';
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

/**
 * The query parameters a route validates with `dto` (`queryAs`), read from the DTO's class-validator
 * metadata so the document follows the DTO: each one's name, whether it is required and, for a
 * choice, its values (lists are comma-separated: `channel=sms,email`).
 */
export function ApiQueryParams(dto: new () => object): MethodDecorator {
  const metadata = getMetadataStorage().getTargetValidationMetadatas(dto, '', true, false);
  const names = [...new Set(metadata.map((m) => m.propertyName))];
  return applyDecorators(
    ...names.map((name) => {
      const own = metadata.filter((m) => m.propertyName === name);
      const optional = own.some((m) => m.type === ValidationTypes.CONDITIONAL_VALIDATION);
      const choice = own.find((m) => m.name === 'isIn');
      const values = choice ? (choice.constraints[0] as readonly unknown[]).map(String) : undefined;
      return ApiQuery({
        name,
        required: !optional,
        type: String,
        ...(values ? { description: `${choice!.each ? 'Comma-separated, any of' : 'One of'}: ${values.join(', ')}` } : {}),
      });
    }),
  );
}
