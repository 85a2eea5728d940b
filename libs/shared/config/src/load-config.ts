import { plainToInstance, type ClassConstructor } from 'class-transformer';
import { validateSync } from 'class-validator';
import { HubError, flattenValidationErrors } from '@hub/contracts';

export class ConfigError extends HubError {
  readonly code = 'CONFIG_INVALID';
  readonly retryable = false;
  constructor(
    readonly app: string,
    readonly problems: string[],
  ) {
    super(`${app}: invalid configuration\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Read and validate an app's settings at boot (STYLE.md #16). Defaults live on the class; a bad or
 * missing variable stops the app with one readable line per problem, before anything connects.
 */
export function loadConfig<T extends object>(app: string, schema: ClassConstructor<T>, env: NodeJS.ProcessEnv = process.env): T {
  const plain = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const config = plainToInstance(schema, plain, { exposeDefaultValues: true, enableImplicitConversion: true });
  const errors = validateSync(config, { whitelist: false });
  if (errors.length > 0) {
    throw new ConfigError(
      app,
      flattenValidationErrors(errors).map((e) => `${e.field}: ${e.messages.join('; ')}`),
    );
  }
  return config;
}

/**
 * Several settings classes of one app (its own and, say, its HTTP edge's) read from the same
 * environment and validated together, so that one failed boot lists every problem.
 */
export function loadConfigs<T extends readonly object[]>(
  app: string,
  env: NodeJS.ProcessEnv,
  ...schemas: { [K in keyof T]: ClassConstructor<T[K]> }
): T {
  const problems: string[] = [];
  const loaded = schemas.map((schema: ClassConstructor<object>) => {
    try {
      return loadConfig(app, schema, env);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      problems.push(...err.problems);
      return undefined;
    }
  });
  if (problems.length > 0) throw new ConfigError(app, problems);
  return loaded as unknown as T;
}
