import { plainToInstance, type ClassConstructor } from 'class-transformer';
import { ValidateIf, validateSync, type ValidationError } from 'class-validator';
import { cacheValidationMetadata } from './validation-metadata-cache';

// Every validation in the hub goes through here: look each class's checks up once, not per call.
cacheValidationMetadata();

/**
 * May be absent; when present, every other check applies, to `null` too. class-validator's
 * `IsOptional` skips a `null` as if it were absent, so `"message": null` passed validation and the
 * mapper, finding the key, read a field of null (a 500; found by the fuzz campaign, issue #15). For
 * fields a provider leaves out rather than sends as null.
 */
export function IsOptionalNonNull(): PropertyDecorator {
  return ValidateIf((_object: object, value: unknown) => value !== undefined);
}

/**
 * One failing field: its dotted path and what is wrong with it. `codes`, when asked for
 * (`validateAs(…, { codes: true })`), names each message's check, in the same order: the
 * class-validator constraint in snake case (`is_in`, `is_iso8601`…), `unknown_field` for a field the
 * DTO does not have; callers add their own (`invalid_identity`…).
 */
export interface FieldError {
  field: string;
  messages: string[];
  codes?: string[];
}

export type Validated<T> = { ok: true; value: T } | { ok: false; errors: FieldError[] };

export function flattenValidationErrors(errors: readonly ValidationError[], parent = '', withCodes = false): FieldError[] {
  return errors.flatMap((e) => {
    const field = parent ? `${parent}.${e.property}` : e.property;
    const own: FieldError[] = e.constraints
      ? [
          {
            field,
            messages: Object.values(e.constraints),
            ...(withCodes ? { codes: Object.keys(e.constraints).map(constraintCode) } : {}),
          },
        ]
      : [];
    return [...own, ...flattenValidationErrors(e.children ?? [], field, withCodes)];
  });
}

/** A class-validator constraint's name as a problem code: `isIn` → `is_in`; `whitelistValidation` → `unknown_field`. */
export function constraintCode(constraint: string): string {
  if (constraint === 'whitelistValidation') return 'unknown_field';
  return constraint.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
}

/**
 * Validate a plain object against a class-validator DTO. Unknown properties are rejected by default,
 * so a typo in a producer's field name is an error rather than silently lost data; provider payloads
 * pass `allowUnknown` because providers add fields without notice.
 */
export function validateAs<T extends object>(
  cls: ClassConstructor<T>,
  plain: unknown,
  { allowUnknown = false, codes = false }: { allowUnknown?: boolean; codes?: boolean } = {},
): Validated<T> {
  if (typeof plain !== 'object' || plain === null || Array.isArray(plain)) {
    return { ok: false, errors: [{ field: '(root)', messages: ['must be an object'], ...(codes ? { codes: ['not_an_object'] } : {}) }] };
  }
  const reserved = reservedKeys(plain);
  if (reserved.length > 0)
    return {
      ok: false,
      errors: reserved.map((field) => ({
        field,
        messages: [`a key named ${field.split('.').pop()} is not accepted`],
        ...(codes ? { codes: ['reserved_key'] } : {}),
      })),
    };
  const illFormed = illFormedStrings(plain);
  if (illFormed.length > 0)
    return {
      ok: false,
      errors: illFormed.map((field) => ({
        field,
        messages: ['is not well-formed Unicode (a lone surrogate, e.g. "\\ud800")'],
        ...(codes ? { codes: ['ill_formed_unicode'] } : {}),
      })),
    };
  const instance = plainToInstance(cls, plain);
  const errors = validateSync(instance, allowUnknown ? {} : { whitelist: true, forbidNonWhitelisted: true });
  return errors.length === 0 ? { ok: true, value: instance } : { ok: false, errors: flattenValidationErrors(errors, '', codes) };
}

/**
 * Keys that name an object's machinery rather than data. class-transformer reads `constructor` to
 * find a nested object's class: a body with `{"constructor": {}}` anywhere made it throw (a 500 for
 * a correctly signed webhook; found by the fuzz campaign, issue #15). Refused, named, wherever they
 * are; the walk is iterative, so no body can make it overflow.
 */
const RESERVED_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

export function reservedKeys(plain: unknown): string[] {
  const found: string[] = [];
  const stack: [unknown, string][] = [[plain, '']];
  while (stack.length > 0 && found.length < 20) {
    const [value, path] = stack.pop()!;
    if (typeof value !== 'object' || value === null) continue;
    for (const key of Object.keys(value)) {
      const field = path ? `${path}.${key}` : key;
      if (RESERVED_KEYS.has(key)) found.push(field);
      else stack.push([(value as Record<string, unknown>)[key], field]);
    }
  }
  return found.sort();
}

/** A UTF-16 code unit of a surrogate pair without its other half. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * Fields holding a string with a lone surrogate (valid in a JSON string, never text: UTF-8 cannot
 * carry it). validator's `isEmail` and uuid's v5 run `encodeURI(Component)` over their input, which
 * throws URIError on one: a 500 for a signed webhook (fuzz campaign, issue #15). Iterative.
 */
export function illFormedStrings(plain: unknown): string[] {
  const found: string[] = [];
  const stack: [unknown, string][] = [[plain, '']];
  while (stack.length > 0 && found.length < 20) {
    const [value, path] = stack.pop()!;
    if (typeof value === 'string') {
      if (LONE_SURROGATE.test(value)) found.push(path || '(root)');
    } else if (typeof value === 'object' && value !== null) {
      for (const key of Object.keys(value)) {
        const field = path ? `${path}.${key}` : key;
        if (LONE_SURROGATE.test(key)) found.push(field);
        else stack.push([(value as Record<string, unknown>)[key], field]);
      }
    }
  }
  return found.sort();
}
