import { SetMetadata } from '@nestjs/common';
import type { KeyScope } from './api-keys';

export const REQUIRED_SCOPE = 'hub:required-scope';

/**
 * The scope a tenant route needs (`ApiKeyGuard`; docs/operations.md, "API keys"). Without it a route
 * needs `read` when it is a GET or HEAD and `write` otherwise, so a new mutating route is closed to
 * read keys unless it says otherwise (a POST that changes nothing, like a merge preview, says `read`).
 */
export const RequiresScope = (scope: KeyScope): MethodDecorator & ClassDecorator => SetMetadata(REQUIRED_SCOPE, scope);
