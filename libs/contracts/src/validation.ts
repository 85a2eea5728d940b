import { plainToInstance, type ClassConstructor } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';

/** One failing field: its dotted path and what is wrong with it. */
export interface FieldError {
  field: string;
  messages: string[];
}

export type Validated<T> = { ok: true; value: T } | { ok: false; errors: FieldError[] };

export function flattenValidationErrors(errors: readonly ValidationError[], parent = ''): FieldError[] {
  return errors.flatMap((e) => {
    const field = parent ? `${parent}.${e.property}` : e.property;
    const own: FieldError[] = e.constraints ? [{ field, messages: Object.values(e.constraints) }] : [];
    return [...own, ...flattenValidationErrors(e.children ?? [], field)];
  });
}

/**
 * Validate a plain object against a class-validator DTO. Unknown properties are rejected by default,
 * so a typo in a producer's field name is an error rather than silently lost data; provider payloads
 * pass `allowUnknown` because providers add fields without notice.
 */
export function validateAs<T extends object>(
  cls: ClassConstructor<T>,
  plain: unknown,
  { allowUnknown = false }: { allowUnknown?: boolean } = {},
): Validated<T> {
  if (typeof plain !== 'object' || plain === null || Array.isArray(plain)) {
    return { ok: false, errors: [{ field: '(root)', messages: ['must be an object'] }] };
  }
  const instance = plainToInstance(cls, plain);
  const errors = validateSync(instance, allowUnknown ? {} : { whitelist: true, forbidNonWhitelisted: true });
  return errors.length === 0 ? { ok: true, value: instance } : { ok: false, errors: flattenValidationErrors(errors) };
}
