/** Time in the domain is data: ISO 8601 strings in events and arguments, never a clock read. */

export const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * ISO 8601 instants compared as instants: `…T10:00:00Z` is before `…T10:00:00.500Z`, and
 * `…T12:30:00+02:00` is before `…T11:00:00Z`, though neither is as strings.
 */
export const instant = (iso: string): number => Date.parse(iso);

/** The later of two instants (the first when they are the same instant); `undefined` counts as never. */
export function latest(a: string | undefined, b: string): string;
export function latest(a: string | undefined, b: string | undefined): string | undefined;
export function latest(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return instant(b) > instant(a) ? b : a;
}

/** The earlier of two instants (the first when they are the same instant). */
export function earliest(a: string | undefined, b: string): string;
export function earliest(a: string | undefined, b: string | undefined): string | undefined;
export function earliest(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return instant(b) < instant(a) ? b : a;
}

/** Whether `a` is strictly after `b`; anything is after "never". */
export const isAfter = (a: string, b: string | undefined): boolean => b === undefined || instant(a) > instant(b);
