import type * as Swagger from '@nestjs/swagger';

/**
 * @nestjs/swagger's decorators, applied when an OpenAPI document is first asked for (`/docs`,
 * `/docs/json`) rather than when the classes are defined. @nestjs/swagger's index loads its whole
 * scanner, js-yaml, glob and lodash (1.1 MB of source, some 110 modules: 7–8 MiB of resident memory
 * in each HTTP app), for a document nobody may ever read (docs/benchmarks.md, "Session 12").
 *
 * Each decorator here records its arguments and where it was put; the first document loads
 * @nestjs/swagger and replays every recorded decorator in the order they ran, so the metadata is
 * what the real decorators would have written at definition (a subclass's after its base's, as
 * `extends` needs). Decorators that run after that apply at once. Import these (`@hub/platform/openapi`)
 * rather than @nestjs/swagger's (eslint refuses the latter but for types).
 */
type Deferrable =
  | 'ApiBearerAuth'
  | 'ApiBody'
  | 'ApiConsumes'
  | 'ApiOkResponse'
  | 'ApiOperation'
  | 'ApiParam'
  | 'ApiProperty'
  | 'ApiPropertyOptional'
  | 'ApiQuery'
  | 'ApiResponse'
  | 'ApiSecurity'
  | 'ApiTags';

/** One decorator as it was put: on a class (`key` undefined), a method or a property. */
interface Recorded {
  name: Deferrable;
  args: unknown[];
  target: object;
  key: string | symbol | undefined;
  descriptor: PropertyDescriptor | undefined;
}
type AnyDecorator = (target: object, key?: string | symbol, descriptor?: PropertyDescriptor) => unknown;

let swagger: typeof Swagger | undefined;
const recorded: Recorded[] = [];

function apply(real: typeof Swagger, r: Recorded): void {
  const decorator = (real[r.name] as unknown as (...args: unknown[]) => AnyDecorator)(...r.args);
  if (r.key === undefined) decorator(r.target);
  else decorator(r.target, r.key, r.descriptor);
}

function deferred<N extends Deferrable>(name: N): (typeof Swagger)[N] {
  const factory =
    (...args: unknown[]) =>
    (target: object, key?: string | symbol, descriptor?: PropertyDescriptor): void => {
      const r: Recorded = { name, args, target, key, descriptor };
      if (swagger) apply(swagger, r);
      else recorded.push(r);
    };
  return factory as unknown as (typeof Swagger)[N];
}

export const ApiBearerAuth = deferred('ApiBearerAuth');
export const ApiBody = deferred('ApiBody');
export const ApiConsumes = deferred('ApiConsumes');
export const ApiOkResponse = deferred('ApiOkResponse');
export const ApiOperation = deferred('ApiOperation');
export const ApiParam = deferred('ApiParam');
export const ApiProperty = deferred('ApiProperty');
export const ApiPropertyOptional = deferred('ApiPropertyOptional');
export const ApiQuery = deferred('ApiQuery');
export const ApiResponse = deferred('ApiResponse');
export const ApiSecurity = deferred('ApiSecurity');
export const ApiTags = deferred('ApiTags');

/** @nestjs/swagger, loaded on first use, with every decorator recorded until then applied (once per process). */
export function loadSwagger(): typeof Swagger {
  if (swagger) return swagger;
  const real = require('@nestjs/swagger') as typeof Swagger;
  for (const r of recorded.splice(0)) apply(real, r);
  swagger = real;
  return real;
}
