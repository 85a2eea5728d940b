import type { TimelineEntry } from './hub-types';

/** An amount in the currency's minor unit, as the locale writes it. */
export function money(minor: number, currency: string, locale?: string): string {
  try {
    const format = new Intl.NumberFormat(locale, { style: 'currency', currency });
    return format.format(minor / 10 ** (format.resolvedOptions().maximumFractionDigits ?? 2));
  } catch {
    return `${minor} ${currency}`;
  }
}

/** What an entry says in one line: its text, else what its facet records (a survey's score, an order, a call). */
export function entryLine(entry: TimelineEntry, locale?: string): string | undefined {
  const d = entry.details;
  const facet = d?.survey
    ? `${d.survey.kind.toUpperCase()} ${d.survey.score}/${d.survey.kind === 'csat' ? 5 : 10}`
    : d?.order
      ? `Order ${d.order.orderId} ${d.order.action} · ${money(d.order.amount, d.order.currency, locale)}`
      : d?.call
        ? `Call ${d.call.status.replace(/_/g, ' ')}${d.call.durationSeconds !== undefined ? ` · ${Math.floor(d.call.durationSeconds / 60)}m ${d.call.durationSeconds % 60}s` : ''}`
        : d?.email?.subject;
  if (entry.text && facet && !d?.email) return `${facet} — ${entry.text}`;
  return entry.text ?? facet;
}

/** How each channel is shown: a label and a one-glyph icon (symbols common fonts have, no emoji: the console ships no icon font). */
export const CHANNEL_LOOK: Readonly<Record<string, { label: string; icon: string }>> = {
  sms: { label: 'SMS', icon: '✉' },
  voice: { label: 'Voice', icon: '☎' },
  email: { label: 'Email', icon: '@' },
  whatsapp: { label: 'WhatsApp', icon: 'W' },
  messenger: { label: 'Messenger', icon: 'M' },
  instagram: { label: 'Instagram', icon: 'I' },
  telegram: { label: 'Telegram', icon: 'T' },
  webchat: { label: 'Web chat', icon: '✎' },
  // A platform's own chat, sent through the generic API (no webhook adapter).
  chat: { label: 'Chat', icon: '✍' },
  survey: { label: 'Survey', icon: '★' },
  commerce: { label: 'Orders', icon: '$' },
  api: { label: 'API', icon: '⚙' },
};

export const channelLook = (channel: string): { label: string; icon: string } => CHANNEL_LOOK[channel] ?? { label: channel, icon: '•' };

export interface ConversationGroup {
  /** `<channel>:<threadId>`, or `<channel>:` for a channel without threads (as the hub keys conversations). */
  key: string;
  channel: string;
  threadId?: string;
  /** Oldest first. */
  entries: TimelineEntry[];
  lastAt: string;
}

const byOccurred = (a: TimelineEntry, b: TimelineEntry) =>
  a.occurredAt < b.occurredAt ? -1 : a.occurredAt > b.occurredAt ? 1 : a.eventId < b.eventId ? -1 : 1;

/** The timeline grouped by conversation (one per channel thread), most recently active first. */
export function groupByConversation(entries: readonly TimelineEntry[]): ConversationGroup[] {
  const groups = new Map<string, ConversationGroup>();
  for (const entry of [...entries].sort(byOccurred)) {
    const key = `${entry.channel}:${entry.threadId ?? ''}`;
    const group = groups.get(key) ?? {
      key,
      channel: entry.channel,
      ...(entry.threadId ? { threadId: entry.threadId } : {}),
      entries: [],
      lastAt: entry.occurredAt,
    };
    group.entries.push(entry);
    if (entry.occurredAt > group.lastAt) group.lastAt = entry.occurredAt;
    groups.set(key, group);
  }
  return [...groups.values()].sort((a, b) => (a.lastAt > b.lastAt ? -1 : a.lastAt < b.lastAt ? 1 : a.key < b.key ? -1 : 1));
}

/** Add live entries to a timeline: each event once, whatever the stream redelivers. */
export function withEntries(entries: readonly TimelineEntry[], more: readonly TimelineEntry[]): TimelineEntry[] {
  const seen = new Set(entries.map((e) => e.eventId));
  return [...entries, ...more.filter((e) => !seen.has(e.eventId) && seen.add(e.eventId))];
}

/**
 * The as-of slider's stops: one just before each moment an entry was recorded (so one step back
 * hides the latest entry, and the state folded as of it does not count it), oldest first. The
 * slider's last position, past these, is "now" (live).
 */
export function asOfStops(entries: readonly TimelineEntry[]): string[] {
  const instants = [...new Set(entries.map((e) => Date.parse(e.recordedAt)))].filter((t) => !Number.isNaN(t)).sort((a, b) => a - b);
  return instants.map((t) => new Date(t - 1).toISOString());
}

export type SearchKind = 'auto' | 'phone' | 'email' | 'handle' | 'external' | 'text';

/**
 * What the search box asks the query API: an identity lookup (`identity=<kind>:<value>`) or free
 * text over the timelines (`q=`: an order number, words of a message). `auto` reads the shape: an
 * `@` with a dot after it is an email; digits with phone punctuation a phone number (national
 * format is read in the tenant's default region, or the region given); `platform:id` a handle.
 */
export function searchParams(kind: SearchKind, raw: string, region?: string): Record<string, string> {
  const text = raw.trim();
  const decided = kind === 'auto' ? guessKind(text) : kind;
  const withRegion = (p: Record<string, string>) => (region ? { ...p, region } : p);
  switch (decided) {
    case 'phone':
      return withRegion({ identity: `phone:${text}` });
    case 'email':
      return { identity: `email:${text}` };
    case 'handle':
      return { identity: `handle:${text.replace(/^@/, '')}` };
    case 'external':
      return { identity: `external:${text}` };
    case 'text':
      return { q: text };
    default: {
      const exhaustive: never = decided;
      return exhaustive;
    }
  }
}

function guessKind(text: string): Exclude<SearchKind, 'auto'> {
  if (/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(text)) return 'email';
  if (/^\+?[\d\s().-]+$/.test(text) && text.replace(/\D/g, '').length >= 6) return 'phone';
  if (/^[a-z]+:\S+$/i.test(text)) return 'handle';
  return 'text';
}
