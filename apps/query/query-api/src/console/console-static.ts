import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { HubLogger } from '@hub/platform';

/** Where the analysts' console is served (apps/console, built by Vite with `base: '/console/'`). */
export const CONSOLE_PATH = '/console/';

/**
 * Serve the built console (its static files only: every read it makes is an API call with the
 * analyst's tenant key, checked by ApiKeyGuard like any other). The files are public, the data is
 * not. Nothing is served when the directory holds no build: the query API runs without a console.
 */
export async function serveConsole(app: NestFastifyApplication, dir: string, logger: HubLogger): Promise<boolean> {
  const root = resolve(dir);
  if (!existsSync(join(root, 'index.html'))) {
    logger.info({ dir: root }, 'query.console.not_built');
    return false;
  }
  await app.register(fastifyStatic, { root, prefix: CONSOLE_PATH, index: 'index.html', cacheControl: false });
  // `/console` as typed: to the page, whose relative asset URLs need the trailing slash.
  app
    .getHttpAdapter()
    .getInstance()
    .get(CONSOLE_PATH.slice(0, -1), (_request, reply) => reply.redirect(CONSOLE_PATH, 308));
  return true;
}
