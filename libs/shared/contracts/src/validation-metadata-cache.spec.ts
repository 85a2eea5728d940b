import { getMetadataStorage, IsInt, IsString, MetadataStorage, validateSync, ValidateNested } from 'class-validator';
import { Type } from 'class-transformer';
import { validateAs } from './validation';
import { InteractionReceivedDto } from './events';

describe('cacheValidationMetadata (installed by validation.ts)', () => {
  const storage = getMetadataStorage();
  const uncached = (...args: Parameters<MetadataStorage['getTargetValidationMetadatas']>) =>
    MetadataStorage.prototype.getTargetValidationMetadatas.apply(storage, args);

  it('given every decorated class and option set, then the cached checks are exactly the uncached ones', () => {
    expect(validateAs(InteractionReceivedDto, {}).ok).toBe(false); // the cache is in use and warm
    expect(storage.getTargetValidationMetadatas).not.toBe(MetadataStorage.prototype.getTargetValidationMetadatas);
    const targets = [
      ...(
        storage as unknown as { validationMetadatas: Map<Parameters<MetadataStorage['getTargetValidationMetadatas']>[0], unknown> }
      ).validationMetadatas.keys(),
    ];
    expect(targets.length).toBeGreaterThan(20);
    for (const target of targets) {
      for (const [always, strict, groups] of [
        [false, false, undefined],
        [true, false, undefined],
        [false, true, []],
        [false, false, ['x']],
      ] as const) {
        const args = [target, '', always, strict, groups ? [...groups] : undefined] as const;
        expect(storage.getTargetValidationMetadatas(...args)).toEqual(uncached(...args));
      }
    }
  });

  it('given a class decorated after its parent was validated, then its own and inherited checks both apply', () => {
    class Parent {
      @IsString() name!: unknown;
    }
    expect(validateSync(Object.assign(new Parent(), { name: 1 })).map((e) => e.property)).toEqual(['name']);
    class Child extends Parent {
      @IsInt() age!: unknown;
    }
    class Holder {
      @ValidateNested() @Type(() => Child) child!: Child;
    }
    const child = Object.assign(new Child(), { name: 1, age: 'x' });
    expect(
      validateSync(child)
        .map((e) => e.property)
        .sort(),
    ).toEqual(['age', 'name']);
    expect(
      validateSync(Object.assign(new Holder(), { child }))[0]
        ?.children?.map((e) => e.property)
        .sort(),
    ).toEqual(['age', 'name']);
    // The parent's answer did not pick up the child's check.
    expect(validateSync(Object.assign(new Parent(), { name: 'a' }))).toEqual([]);
  });

  it('given a check added to a class after it was validated, then the next validation applies it', () => {
    class Late {
      name: unknown = 1;
    }
    expect(validateSync(new Late(), { forbidUnknownValues: false })).toEqual([]);
    IsString()(Late.prototype, 'name');
    expect(validateSync(new Late()).map((e) => e.property)).toEqual(['name']);
  });
});
