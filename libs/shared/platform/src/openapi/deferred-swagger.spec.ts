import 'reflect-metadata';
// The real decorators, to compare with: what the rule keeps out of the apps is what this checks against.
// eslint-disable-next-line @typescript-eslint/no-restricted-imports
import * as Swagger from '@nestjs/swagger';
import { ApiOperation, ApiProperty, ApiPropertyOptional, ApiResponse, ApiTags, loadSwagger } from './deferred-swagger';

/** Every metadata key and value Reflect holds for a class, its prototype and its members. */
function metadataOf(cls: new () => object, members: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const read = (where: string, target: object, key?: string) => {
    const keys = key === undefined ? Reflect.getOwnMetadataKeys(target) : Reflect.getOwnMetadataKeys(target, key);
    for (const k of keys)
      out[`${where} ${String(k)}`] = key === undefined ? Reflect.getOwnMetadata(k, target) : Reflect.getOwnMetadata(k, target, key);
  };
  read('class', cls);
  read('prototype', cls.prototype);
  for (const m of members) {
    read(`property ${m}`, cls.prototype, m);
    const value = (cls.prototype as Record<string, unknown>)[m];
    if (typeof value === 'function') read(`method ${m}`, value);
  }
  return out;
}

describe('the deferred @nestjs/swagger decorators', () => {
  describe('when classes are decorated before @nestjs/swagger is loaded', () => {
    // The same classes, twice: once with the deferred decorators, once with the real ones.
    const define = (d: Pick<typeof Swagger, 'ApiOperation' | 'ApiProperty' | 'ApiPropertyOptional' | 'ApiResponse' | 'ApiTags'>) => {
      class Base {
        @d.ApiProperty({ type: String, example: 'a' }) a!: string;
      }
      class Body extends Base {
        @d.ApiPropertyOptional({ type: [String] }) b?: string[];
      }
      @d.ApiTags('things')
      class Controller {
        @d.ApiOperation({ summary: 'Do it' })
        @d.ApiResponse({ status: 200, description: 'Done', type: String })
        run(): string {
          return 'done';
        }
      }
      return { Base, Body, Controller };
    };
    const deferred = define({ ApiOperation, ApiProperty, ApiPropertyOptional, ApiResponse, ApiTags });
    const real = define(Swagger);

    it('then nothing is written until it is loaded', () => {
      expect(Reflect.getOwnMetadataKeys(deferred.Controller)).toEqual([]);
      expect(Reflect.getOwnMetadataKeys(deferred.Body.prototype)).toEqual([]);
    });

    it('then loading it writes what the real decorators write, a subclass with its base', () => {
      loadSwagger();
      expect(metadataOf(deferred.Base, ['a'])).toEqual(metadataOf(real.Base, ['a']));
      expect(metadataOf(deferred.Body, ['a', 'b'])).toEqual(metadataOf(real.Body, ['a', 'b']));
      expect(metadataOf(deferred.Controller, ['run'])).toEqual(metadataOf(real.Controller, ['run']));
      expect(Object.keys(metadataOf(deferred.Controller, ['run'])).length).toBeGreaterThan(2);
    });

    it('then a class decorated after the load is written at once', () => {
      loadSwagger();
      class Later {
        @ApiProperty({ type: Number }) n!: number;
      }
      class LaterReal {
        @Swagger.ApiProperty({ type: Number }) n!: number;
      }
      expect(metadataOf(Later, ['n'])).toEqual(metadataOf(LaterReal, ['n']));
    });
  });
});
