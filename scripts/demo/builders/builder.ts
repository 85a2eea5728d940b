import type { Person } from '../people';
import type { PlannedDelivery, ProviderKey, Touch } from '../day-plan';

/**
 * One provider's request bodies for the demo day. A body is what the provider's test setup `sign`
 * takes (`CHANNEL_TEST_SETUPS`): form fields for Twilio, the JSON for Meta, Telegram, Typeform,
 * Firehose, web chat, the order with `__topic` for Shopify, `{ mime }` or `{ fields }` for email.
 * Pure: the same delivery always gives the same body, so a provider retry is the same body again.
 */
export interface DeliveryBuilder {
  provider: ProviderKey;
  /** The body the provider posts for this delivery. */
  build(d: PlannedDelivery, ctx: BuildContext): Record<string, unknown>;
  /** The delivery broken the way this provider's bodies break: refused with 400 naming `fields`. */
  malformed(d: PlannedDelivery, ctx: BuildContext): { payload: Record<string, unknown>; fields: string[] };
  /** A body that verifies and validates but names no customer the hub can key: dead-lettered. */
  unmappable(d: PlannedDelivery, ctx: BuildContext): Record<string, unknown>;
  /** A body over the provider's size limit: refused with 413 before it is read. */
  oversized?(d: PlannedDelivery, ctx: BuildContext): Record<string, unknown>;
}

export interface BuildContext {
  person: Person;
  /** The plan's seed: provider ids (message sids, wamids, contact ids…) derive from it and the delivery. */
  seed: string;
}

/** The touch of the kind a provider carries; anything else is a planning mistake. */
export function touchOf<K extends Touch['kind']>(d: PlannedDelivery, ...kinds: K[]): Extract<Touch, { kind: K }> {
  if (!(kinds as string[]).includes(d.touch.kind)) throw new Error(`${d.provider} cannot carry a ${d.touch.kind} (delivery ${d.seq})`);
  return d.touch as Extract<Touch, { kind: K }>;
}

/** The text of a message touch (a contact share has none). */
export const textOf = (d: PlannedDelivery): string => touchOf(d, 'message').text;

/** `2025-01-15T09:12:00Z`: second precision, as Connect, Typeform and others write times. */
export const isoSeconds = (iso: string): string => new Date(iso).toISOString().replace(/\.\d{3}Z$/, 'Z');

export const unixSeconds = (iso: string): number => Math.floor(Date.parse(iso) / 1000);

export const addSeconds = (iso: string, seconds: number): string => new Date(Date.parse(iso) + seconds * 1000).toISOString();

/** The phone the provider writes, which the plan must have given. */
export function phoneOf(d: PlannedDelivery): string {
  if (!d.from.phone) throw new Error(`${d.provider} delivery ${d.seq} has no phone`);
  return d.from.phone;
}

export function emailOf(d: PlannedDelivery): string {
  if (!d.from.email) throw new Error(`${d.provider} delivery ${d.seq} has no email`);
  return d.from.email;
}

/** A copy of `payload` with the value at `path` (dotted, numeric segments index arrays) removed or replaced. */
export function edit(payload: Record<string, unknown>, path: string, value?: unknown): Record<string, unknown> {
  const copy = structuredClone(payload);
  const keys = path.split('.');
  let node: unknown = copy;
  for (const key of keys.slice(0, -1)) node = (node as Record<string, unknown>)[key];
  const last = keys[keys.length - 1]!;
  const holder = node as Record<string, unknown>;
  if (value === undefined) delete holder[last];
  else holder[last] = value;
  return copy;
}
