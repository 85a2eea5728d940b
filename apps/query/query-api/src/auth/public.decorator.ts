import { SetMetadata } from '@nestjs/common';

export const PUBLIC_ROUTE = 'hub:public-route';

/**
 * Opens a route without an API key (`/health`). Every other route needs a key for the tenant in
 * its path: `ApiKeyGuard` is global, so a new endpoint is protected unless it says otherwise.
 */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(PUBLIC_ROUTE, true);
