import { createHash } from 'node:crypto';
import type { ChannelId } from '@hub/contracts';
import type { CustomerState, NbaChannelAddress, NbaDecisionMessage } from '@hub/customer';

/**
 * The at-most-once send protocol, as plain functions over plain types (no I/O here: the ledger and
 * the providers are ports, `send-decision.ts` orchestrates them).
 *
 * One send per (tenant, decision, channel). Its ledger row moves:
 *
 *   (none) ─┬─ skipped                      the re-check at send time said no (opted out, erased, …)
 *           └─ intent ─┬─ sent             the provider accepted it (its message id recorded)
 *                      ├─ failed_permanent the provider refused it for good (its code recorded)
 *                      ├─ not_sent         the provider refused it for now, and certainly sent nothing
 *                      │    └─ intent      tried again (attempt + 1), after the re-check
 *                      └─ in_doubt         the call's outcome is unknown (timeout, reset, 5xx, a crash)
 *                           ├─ sent        a lookup at the provider found the message (`resolution: lookup`)
 *                           └─ not_sent    a lookup, past the grace period, proved there is none
 *
 * A row found in `intent` by anyone but the attempt that wrote it is `in_doubt`: the process that
 * wrote it died (or lost its partition) somewhere between the intent and the result, and nobody
 * knows whether the provider got the request. It is never sent again blind: only a lookup that
 * finds nothing, `inDoubtGraceMs` after the intent, lets it be sent again.
 */
export const SEND_STATES = ['intent', 'sent', 'failed_permanent', 'not_sent', 'in_doubt', 'skipped'] as const;
export type SendState = (typeof SEND_STATES)[number];

/** Why a decided send was not made: the latest state or the decision itself rules it out. */
export const SKIP_REASONS = [
  'not_an_action',
  'handoff',
  'no_channel',
  'no_address',
  'no_sender',
  'no_template',
  'customer_erased',
  'customer_merged',
  'customer_unknown',
  'opted_out',
  'address_not_held',
  'outside_service_window',
  'quiet_hours',
] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];

/** How an in-doubt send was settled. */
export type SendResolution = 'lookup' | 'callback';

/** One send as the ledger holds it. */
export interface SendRecord {
  tenantId: string;
  decisionId: string;
  channel: ChannelId;
  customerId: string;
  /** Deterministic (`sendIdOf`): the marker the provider request carries, and the outbound interaction's event id. */
  sendId: string;
  state: SendState;
  /** Calls made to the provider (1 on the first intent). */
  attempts: number;
  provider: string;
  /** Where the message went (the address of the decision, as re-checked). */
  to?: string;
  /** The text sent, kept so a lookup can recognise the message. */
  body?: string;
  providerMessageId?: string;
  errorCode?: string;
  errorMessage?: string;
  skipReason?: SkipReason;
  resolution?: SendResolution;
  intentAt?: string;
  updatedAt: string;
}

/** The ledger's key of a decision's send on one channel. */
export interface SendKey {
  tenantId: string;
  decisionId: string;
  channel: ChannelId;
}

/** The send's id: a UUID (v5-shaped) of tenant, decision and channel, the same in every retry and restart. */
export function sendIdOf(key: SendKey): string {
  const h = createHash('sha1').update(`hub.outbound.send|${key.tenantId}|${key.decisionId}|${key.channel}`).digest();
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const hex = h.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** What the decision asks to be sent, once it is known to be an action with a channel and an address. */
export interface SendTarget {
  channel: ChannelId;
  address: NbaChannelAddress;
}

/**
 * What the decision message alone says: a send to make, or why there is none. A hand-off is a
 * person's work (the work-item queues), not a message.
 */
export function sendTargetOf(decision: NbaDecisionMessage): { ok: true; target: SendTarget } | { ok: false; reason: SkipReason } {
  if (decision.kind !== undefined && decision.kind !== 'action') return { ok: false, reason: 'not_an_action' };
  if (decision.contactMode === 'handoff') return { ok: false, reason: 'handoff' };
  const channel = decision.action.channel ?? decision.address?.channel;
  if (channel === undefined) return { ok: false, reason: 'no_channel' };
  const address = decision.address;
  if (address === undefined || address.channel !== channel || address.value === '') return { ok: false, reason: 'no_address' };
  return { ok: true, target: { channel, address } };
}

/**
 * The re-check at send time, against the customer's latest folded state: the decision may be
 * stale. An opt-out recorded since wins; an erased customer gets nothing; a customer merged away
 * is the survivor's now (its next decision speaks for it); the address must still be the
 * customer's (an unmerge may have moved it to another customer).
 */
/**
 * Channels whose provider lets a business write freely only within 24 hours of the customer's last
 * message (`open`): WhatsApp's customer-service window (outside it, only an approved template),
 * Messenger's and Instagram's 24-hour rule (outside it, nothing without a message tag).
 */
export const SERVICE_WINDOW_CHANNELS: Partial<Record<ChannelId, { outside: 'template_only' | 'closed' }>> = {
  whatsapp: { outside: 'template_only' },
  messenger: { outside: 'closed' },
  instagram: { outside: 'closed' },
};
export const SERVICE_WINDOW_MS = 24 * 3_600_000;

/** Whether the channel's 24-hour window is open at `now`: the customer wrote on it less than 24 h ago. */
export function serviceWindowOf(state: CustomerState, channel: ChannelId, now: string): 'open' | 'closed' {
  const last = Object.values(state.conversations)
    .filter((c) => c.channel === channel && c.lastInboundAt !== undefined)
    .reduce((latest, c) => Math.max(latest, Date.parse(c.lastInboundAt!)), Number.NEGATIVE_INFINITY);
  return Date.parse(now) - last < SERVICE_WINDOW_MS ? 'open' : 'closed';
}

/**
 * Quiet hours in the customer's own time zone (the `timezone` trait, an IANA zone; UTC without
 * one), as the catalog's contact policy has them: no proactive message on these channels between
 * `from` and `to` local time. A reply to the customer is not held back.
 */
export const QUIET_HOURS = {
  from: '21:00',
  to: '08:00',
  timeZoneTrait: 'timezone',
  defaultTimeZone: 'UTC',
  channels: ['sms', 'whatsapp', 'messenger', 'telegram', 'voice'] as readonly ChannelId[],
};

/** The customer's local time (`HH:MM`) at `now`, and whether it falls in the quiet hours. */
export function quietHoursAt(state: CustomerState, now: string): { timeZone: string; localTime: string; quiet: boolean } {
  const trait = state.traits[QUIET_HOURS.timeZoneTrait];
  let timeZone = typeof trait === 'string' && trait !== '' ? trait : QUIET_HOURS.defaultTimeZone;
  let format: Intl.DateTimeFormat;
  try {
    format = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  } catch {
    timeZone = QUIET_HOURS.defaultTimeZone;
    format = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  }
  const localTime = format.format(new Date(now));
  const { from, to } = QUIET_HOURS;
  const quiet = from <= to ? localTime >= from && localTime < to : localTime >= from || localTime < to;
  return { timeZone, localTime, quiet };
}

export function recheckSend(
  state: CustomerState,
  target: SendTarget,
  now: string,
  has: { approvedTemplate?: boolean; contactMode?: NbaDecisionMessage['contactMode'] } = {},
): { ok: true; window?: 'open' | 'closed' } | { ok: false; reason: SkipReason } {
  switch (state.status) {
    case 'erased':
      return { ok: false, reason: 'customer_erased' };
    case 'merged':
      return { ok: false, reason: 'customer_merged' };
    case 'unknown':
      return { ok: false, reason: 'customer_unknown' };
    case 'active':
      break;
    default: {
      const _exhaustive: never = state.status;
      return _exhaustive;
    }
  }
  if (state.consents[target.channel]?.status === 'opted_out') return { ok: false, reason: 'opted_out' };
  const { kind, value, namespace } = target.address;
  const held = state.identities.some((i) => i.kind === kind && i.value === value && (namespace === undefined || i.namespace === namespace));
  if (!held) return { ok: false, reason: 'address_not_held' };
  if (has.contactMode === 'proactive' && QUIET_HOURS.channels.includes(target.channel) && quietHoursAt(state, now).quiet) {
    return { ok: false, reason: 'quiet_hours' };
  }
  const rule = SERVICE_WINDOW_CHANNELS[target.channel];
  if (!rule) return { ok: true };
  const window = serviceWindowOf(state, target.channel, now);
  if (window === 'closed' && (rule.outside === 'closed' || !has.approvedTemplate)) return { ok: false, reason: 'outside_service_window' };
  return { ok: true, window };
}

/** What to do with a send, given its ledger row as read now. */
export type SendStep =
  | { kind: 'start' }
  | { kind: 'retry' }
  | { kind: 'done'; state: 'sent' | 'failed_permanent' | 'skipped' }
  | { kind: 'resolve' };

/**
 * The next step for a send whose row is `row` (none: never tried). A row in `intent` is not ours
 * (we write and settle an intent within one call), so it is in doubt.
 */
export function nextSendStep(row: SendRecord | undefined): SendStep {
  if (row === undefined) return { kind: 'start' };
  switch (row.state) {
    case 'sent':
    case 'failed_permanent':
    case 'skipped':
      return { kind: 'done', state: row.state };
    case 'not_sent':
      return { kind: 'retry' };
    case 'intent':
    case 'in_doubt':
      return { kind: 'resolve' };
    default: {
      const _exhaustive: never = row.state;
      return _exhaustive;
    }
  }
}

/** What a provider said of one send request. */
export type ProviderSendOutcome =
  /** Accepted: the provider's id of the message. */
  | { kind: 'accepted'; providerMessageId: string }
  /** Refused for good (bad number, blocked, not allowed): the provider's code. */
  | { kind: 'rejected'; code: string; message: string }
  /** Refused for now, and certainly nothing was sent (429, connection refused): safe to try again. */
  | { kind: 'retry_later'; code: string; message: string }
  /** Unknown: the request may have been taken (a timeout, a reset connection, a 5xx). */
  | { kind: 'unknown'; code: string; message: string };

/**
 * What a provider's lookup found of a send. `unsupported`: the provider has no way to find a
 * message (Telegram's Bot API): an in-doubt send of it is parked for a person, never resent.
 */
export type ProviderLookupOutcome =
  | { kind: 'found'; providerMessageId: string }
  | { kind: 'absent' }
  | { kind: 'unavailable'; message: string }
  | { kind: 'unsupported' };

/**
 * An in-doubt send after a lookup: sent (found), still in doubt (the provider could not say, or
 * it is too early to believe an absence: the request may still be being taken), or proven unsent.
 */
export function settleInDoubt(
  lookup: ProviderLookupOutcome,
  intentAt: string | undefined,
  now: string,
  graceMs: number,
):
  | { kind: 'sent'; providerMessageId: string }
  | { kind: 'still_in_doubt'; why: string }
  | { kind: 'not_sent' }
  | { kind: 'parked'; why: string } {
  switch (lookup.kind) {
    case 'unsupported':
      return { kind: 'parked', why: 'the provider cannot look a message up: settle it by hand or from a status callback' };
    case 'found':
      return { kind: 'sent', providerMessageId: lookup.providerMessageId };
    case 'unavailable':
      return { kind: 'still_in_doubt', why: lookup.message };
    case 'absent': {
      const since = intentAt === undefined ? Number.POSITIVE_INFINITY : Date.parse(now) - Date.parse(intentAt);
      return since >= graceMs
        ? { kind: 'not_sent' }
        : { kind: 'still_in_doubt', why: `absent ${since} ms after the intent, within the grace period` };
    }
    default: {
      const _exhaustive: never = lookup;
      return _exhaustive;
    }
  }
}
