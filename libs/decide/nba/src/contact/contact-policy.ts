import type { ChannelId } from '@hub/contracts';
import type {
  CustomerState,
  NbaChannelBlock,
  NbaChannelVerdict,
  NbaContactCounters,
  NbaContactVerdict,
  NbaCooldownVerdict,
  NbaUsage,
} from '@hub/customer';
import type { Catalog, CatalogAction, Cooldown } from '../catalog/catalog.types';
import type { ContactHistory } from '../history/contact-history';

/**
 * The contact policy: may this action reach the customer now, and on which channel? Which checks
 * apply depends on the action's contact mode:
 *
 * | check                         | reply | proactive | handoff |
 * |-------------------------------|-------|-----------|---------|
 * | channel enabled in this hub   | ✓     | ✓         | ✓       |
 * | consent (opt-in if required)  | ✓     | ✓         | ✓       |
 * | reply window                  | ✓     |           |         |
 * | reachable (identity or use)   |       | ✓         | ✓       |
 * | per-channel and total caps    |       | ✓         |         |
 * | quiet hours (customer's zone) |       | ✓         |         |
 *
 * and a cooldown per action (after a decline, a no-response, or any earlier decision of it) in every
 * mode. Caps count earlier proactive decisions in the contact history. Pure: `now` is an input.
 */

const HOUR_MS = 60 * 60 * 1000;
const DAY_MS = 24 * HOUR_MS;

const own = <T>(o: Readonly<Partial<Record<string, T>>>, k: string): T | undefined =>
  Object.prototype.hasOwnProperty.call(o, k) ? o[k] : undefined;

const formatters = new Map<string, Intl.DateTimeFormat | null>();
function formatterFor(timeZone: string): Intl.DateTimeFormat | null {
  let f = formatters.get(timeZone);
  if (f === undefined) {
    try {
      f = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    } catch {
      f = null;
    }
    formatters.set(timeZone, f);
  }
  return f;
}

export const isTimeZone = (timeZone: string): boolean => formatterFor(timeZone) !== null;

/** `HH:MM` of an instant in an IANA time zone. */
export function localTime(timeZone: string, atMs: number): string {
  const f = formatterFor(timeZone);
  if (!f) throw new RangeError(`not an IANA time zone: ${timeZone}`);
  const parts = f.formatToParts(new Date(atMs));
  const hour = parts.find((p) => p.type === 'hour')?.value ?? '00';
  const minute = parts.find((p) => p.type === 'minute')?.value ?? '00';
  return `${hour}:${minute}`;
}

const minutes = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** Whether a local time falls in [from, to); a window with `from` after `to` spans midnight. */
export function inQuietHours(local: string, from: string, to: string): boolean {
  const [m, a, b] = [minutes(local), minutes(from), minutes(to)];
  if (a === b) return false;
  return a < b ? m >= a && m < b : m >= a || m < b;
}

/** The customer's time zone: the trait when it is a valid IANA zone, else the catalog's default. */
export function timeZoneOf(state: CustomerState, catalog: Catalog): { timeZone: string; source: NbaContactCounters['timeZoneSource'] } {
  const trait = own(state.traits, catalog.contactPolicy.timeZoneTrait);
  if (trait === undefined || trait === null) return { timeZone: catalog.contactPolicy.defaultTimeZone, source: 'default' };
  if (typeof trait === 'string' && isTimeZone(trait)) return { timeZone: trait, source: 'trait' };
  return { timeZone: catalog.contactPolicy.defaultTimeZone, source: 'default_invalid_trait' };
}

function usage(history: ContactHistory, nowMs: number, max: number, windowDays: number, channel?: string): NbaUsage {
  const from = nowMs - windowDays * DAY_MS;
  const used = history.decisions.filter((d) => {
    if (d.contactMode !== 'proactive' || (channel !== undefined && d.channel !== channel)) return false;
    const at = Date.parse(d.decidedAt);
    return at > from && at <= nowMs;
  }).length;
  return { used, max, windowDays };
}

/** The counters every candidate's contact verdict reads: computed once per decision. */
export function contactCounters(catalog: Catalog, state: CustomerState, history: ContactHistory, nowMs: number): NbaContactCounters {
  const { timeZone, source } = timeZoneOf(state, catalog);
  const channels: Record<string, NbaUsage> = {};
  for (const c of catalog.contactPolicy.channels) channels[c.channel] = usage(history, nowMs, c.cap.max, c.cap.windowDays, c.channel);
  const total = catalog.contactPolicy.totalCap;
  return {
    channels,
    total: total ? usage(history, nowMs, total.max, total.windowDays) : null,
    timeZone,
    timeZoneSource: source,
    localTime: localTime(timeZone, nowMs),
  };
}

export interface ContactContext {
  catalog: Catalog;
  state: CustomerState;
  history: ContactHistory;
  nowMs: number;
  counters: NbaContactCounters;
  enabledChannels: readonly ChannelId[];
  preferredChannel: string | null;
  triggerChannel: string | null;
}

const plusDays = (atMs: number, days: number): number => atMs + days * DAY_MS;

/** The action's cooldown: the latest of the holds that apply still runs at `now`. */
export function cooldownVerdict(action: CatalogAction, ctx: Pick<ContactContext, 'catalog' | 'history' | 'nowMs'>): NbaCooldownVerdict {
  const cd: Cooldown = { ...ctx.catalog.contactPolicy.cooldown, ...action.cooldown };
  let lastDecidedAt: string | null = null;
  for (const d of ctx.history.decisions) {
    if (d.actionId !== action.id || Date.parse(d.decidedAt) > ctx.nowMs) continue;
    if (lastDecidedAt === null || Date.parse(d.decidedAt) >= Date.parse(lastDecidedAt)) lastDecidedAt = d.decidedAt;
  }
  let lastOutcome: NbaCooldownVerdict['lastOutcome'] = null;
  for (const o of ctx.history.outcomes) {
    if (o.actionId !== action.id || Date.parse(o.at) > ctx.nowMs) continue;
    if (lastOutcome === null || Date.parse(o.at) >= Date.parse(lastOutcome.at)) lastOutcome = { outcome: o.outcome, at: o.at };
  }
  const holds: { reason: NonNullable<NbaCooldownVerdict['reason']>; untilMs: number }[] = [];
  if (lastOutcome?.outcome === 'declined')
    holds.push({ reason: 'declined', untilMs: plusDays(Date.parse(lastOutcome.at), cd.afterDeclineDays) });
  if (lastOutcome?.outcome === 'no_response')
    holds.push({ reason: 'no_response', untilMs: plusDays(Date.parse(lastOutcome.at), cd.afterNoResponseDays) });
  if (lastDecidedAt !== null && cd.minDaysBetween > 0)
    holds.push({ reason: 'min_days_between', untilMs: plusDays(Date.parse(lastDecidedAt), cd.minDaysBetween) });
  const active = holds.filter((h) => h.untilMs > ctx.nowMs).sort((a, b) => b.untilMs - a.untilMs)[0];
  return {
    passed: active === undefined,
    lastDecidedAt,
    lastOutcome,
    reason: active?.reason ?? null,
    until: active ? new Date(active.untilMs).toISOString() : null,
  };
}

/** Preferred channel first, then the channel of the triggering event, then the catalog's order. */
export function channelOrder(action: CatalogAction, preferred: string | null, trigger: string | null): string[] {
  const first = [preferred, trigger].filter((c): c is string => c !== null && action.channels.includes(c));
  return [...new Set([...first, ...action.channels])];
}

function lastInboundOn(state: CustomerState, channel: string, nowMs: number): string | null {
  let last: string | null = null;
  for (const c of state.inboundWindow) if (c.channel === channel && Date.parse(c.at) <= nowMs) last = c.at; // oldest first
  return last;
}

export function channelVerdict(action: CatalogAction, channel: string, ctx: ContactContext): NbaChannelVerdict {
  const policy = ctx.catalog.contactPolicy.channels.find((c) => c.channel === channel)!;
  const blockedBy: NbaChannelBlock[] = [];
  if (!ctx.enabledChannels.some((c) => c === channel)) blockedBy.push('channel_disabled');

  const status = own(ctx.state.consents as Partial<Record<string, { status: 'opted_in' | 'opted_out' }>>, channel)?.status ?? null;
  const required = action.requiresOptIn ? 'opted_in' : 'not_opted_out';
  if (status === 'opted_out') blockedBy.push('opted_out');
  else if (required === 'opted_in' && status !== 'opted_in') blockedBy.push('no_opt_in');
  const verdict: NbaChannelVerdict = { channel, available: false, blockedBy, consent: { status, required } };

  const mode = action.contactMode;
  if (mode === 'reply') {
    const lastInboundAt = lastInboundOn(ctx.state, channel, ctx.nowMs);
    const hours = ctx.catalog.contactPolicy.replyWindowHours;
    if (lastInboundAt === null || ctx.nowMs - Date.parse(lastInboundAt) > hours * HOUR_MS) blockedBy.push('outside_reply_window');
    verdict.replyWindow = { lastInboundAt, hours };
  }
  if (mode === 'proactive' || mode === 'handoff') {
    const viaIdentity = ctx.state.identities.some((i) => policy.reachableBy.includes(i.kind));
    const viaEngagement = own(ctx.state.engagement.byChannel as Partial<Record<string, unknown>>, channel) !== undefined;
    if (!viaIdentity && !viaEngagement) blockedBy.push('unreachable');
    verdict.reachable = { viaIdentity, viaEngagement };
  }
  if (mode === 'proactive') {
    const cap = ctx.counters.channels[channel]!;
    if (cap.used >= cap.max) blockedBy.push('cap_reached');
    verdict.cap = cap;
    const total = ctx.counters.total;
    if (total) {
      if (total.used >= total.max) blockedBy.push('total_cap_reached');
      verdict.totalCap = total;
    }
    if (policy.quietHours) {
      const { from, to } = ctx.catalog.contactPolicy.quietHours;
      const quiet = inQuietHours(ctx.counters.localTime, from, to);
      if (quiet) blockedBy.push('quiet_hours');
      verdict.quietHours = { timeZone: ctx.counters.timeZone, localTime: ctx.counters.localTime, from, to, quiet };
    }
  }
  verdict.available = blockedBy.length === 0;
  return verdict;
}

/** The contact verdict of one action: its cooldown, each channel in order, and the channel to use. */
export function contactVerdict(action: CatalogAction, ctx: ContactContext): NbaContactVerdict {
  const cooldown = cooldownVerdict(action, ctx);
  if (action.contactMode === 'none') return { mode: 'none', passed: cooldown.passed, cooldown, channels: [], channel: null };
  const channels = channelOrder(action, ctx.preferredChannel, ctx.triggerChannel).map((ch) => channelVerdict(action, ch, ctx));
  const first = channels.find((c) => c.available);
  // The channel as the hub types it: the enabled id it equals.
  const channel = first ? (ctx.enabledChannels.find((c) => c === first.channel) ?? null) : null;
  return { mode: action.contactMode, passed: cooldown.passed && channel !== null, cooldown, channels, channel };
}
