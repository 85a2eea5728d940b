import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { ConfigError } from '@hub/config';
import { createLogger, onShutdown } from '@hub/platform';
import { queryApiModule } from './query-api.module';

/** The query API: customers by identity, timelines, next best actions (read side only). */
export async function startQueryApi(env: NodeJS.ProcessEnv = process.env): Promise<{ app: NestFastifyApplication; url: string }> {
  const { module, config } = queryApiModule(env);
  const app = await NestFactory.create<NestFastifyApplication>(module, new FastifyAdapter(), { logger: ['error', 'warn'] });
  await app.listen(config.PORT, config.HOST);
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  createLogger('query-api', config.LOG_LEVEL).info({ url }, 'query.api.started');
  return { app, url };
}

if (require.main === module) {
  startQueryApi()
    .then(({ app }) => onShutdown(() => app.close()))
    .catch((err: unknown) => {
      process.stderr.write(`${err instanceof ConfigError ? err.message : String((err as Error).stack ?? err)}\n`);
      process.exit(1);
    });
}
