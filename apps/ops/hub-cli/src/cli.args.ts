import { parseArgs, type ParseArgsConfig } from 'node:util';
import { TENANT_ID_PATTERN } from '@hub/contracts';
import { UsageError } from './cli.errors';

export type OptionSpecs = NonNullable<ParseArgsConfig['options']>;
export type ParsedValues = Record<string, string | boolean | undefined>;

/** `node:util` parseArgs, strict, its errors turned into usage errors. Every command also takes `--help`. */
export function parseCommandLine(args: readonly string[], options: OptionSpecs): { values: ParsedValues; positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({
      args: [...args],
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
    return { values: values as ParsedValues, positionals };
  } catch (err) {
    throw new UsageError((err as Error).message.replace(/\. To specify a positional argument.*$/s, ''));
  }
}

export function stringOption(values: ParsedValues, name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
}

export function requiredOption(values: ParsedValues, name: string): string {
  const v = stringOption(values, name);
  if (v === undefined || v === '') throw new UsageError(`--${name} is required`);
  return v;
}

export function tenantId(value: string, what = '--tenant'): string {
  if (!TENANT_ID_PATTERN.test(value))
    throw new UsageError(`${what} must match ${TENANT_ID_PATTERN} (lower-case letters, digits, - and _), not ${JSON.stringify(value)}`);
  return value;
}

/** A customer id as it appears in a stream name: anything printable without whitespace. */
export function customerId(value: string, what = 'customer id'): string {
  if (!/^[^\s]{1,200}$/.test(value))
    throw new UsageError(`${what} must be 1–200 characters without whitespace, not ${JSON.stringify(value)}`);
  return value;
}

/** `a,b,c` → distinct non-empty ids, in the order given. */
export function customerList(value: string): string[] {
  const ids = [
    ...new Set(
      value
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    ),
  ];
  if (ids.length === 0) throw new UsageError('--customers needs at least one customer id (a,b,c)');
  return ids.map((id) => customerId(id, 'each of --customers'));
}

const ISO_8601 = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2}))?$/;

/**
 * An ISO 8601 instant, normalised to `toISOString()`. A time needs its zone (`Z` or `+01:00`): a
 * bare `2025-03-01T10:00` would be read in the local zone of whoever runs the command. A date alone
 * is midnight UTC.
 */
export function isoInstant(value: string, what: string): string {
  if (!ISO_8601.test(value) || Number.isNaN(Date.parse(value))) {
    throw new UsageError(
      `${what} must be an ISO 8601 date or date-time with a zone (2025-03-01, 2025-03-01T10:00:00Z), not ${JSON.stringify(value)}`,
    );
  }
  return new Date(value).toISOString();
}

export function positiveInt(value: string, what: string, { min = 1, max = Number.MAX_SAFE_INTEGER } = {}): number {
  if (!/^\d+$/.test(value)) throw new UsageError(`${what} must be a whole number, not ${JSON.stringify(value)}`);
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new UsageError(`${what} must be from ${min} to ${max}, not ${value}`);
  return n;
}

export function positiveNumber(value: string, what: string): number {
  const n = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value) || !(n > 0) || !Number.isFinite(n))
    throw new UsageError(`${what} must be a number above 0, not ${JSON.stringify(value)}`);
  return n;
}

export function exactPositionals(positionals: readonly string[], names: readonly string[]): string[] {
  if (positionals.length < names.length)
    throw new UsageError(
      `missing ${names
        .slice(positionals.length)
        .map((n) => `<${n}>`)
        .join(' ')}`,
    );
  if (positionals.length > names.length) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[names.length])}`);
  return [...positionals];
}

export function noPositionals(positionals: readonly string[]): void {
  if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
}
