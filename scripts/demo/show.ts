import type { Palette } from './summary';

/** Printing a customer as the query API serves them: summary, timeline, next best action. */

export interface TimelineEntry {
  eventId: string;
  occurredAt: string;
  direction: string;
  channel: string;
  kind: string;
  text: string | null;
  media: unknown[];
  details?: {
    call?: { status: string; queue?: string; queueSeconds?: number; talkSeconds?: number; durationSeconds?: number; agent?: string };
    order?: { orderId: string; action: string; amount: number; currency: string; itemCount?: number };
    survey?: { kind: string; score: number; answers?: { value: unknown }[] };
    email?: { subject?: string };
  };
}

export interface NextBestActions {
  current: null | {
    action: { kind: string; code: string; detail: string; channel?: string };
    explanation: { ruleId?: string; reason: string };
    basedOnEventId: string;
  };
  consent: Record<string, string>;
}

export interface CustomerSummary {
  customerId: string;
  interactions: number;
  channels: string[];
  identities: { kind: string; namespace?: string; value: string }[];
  quadrant?: string | null;
}

const clip = (s: string, n: number): string => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

/** One line for an entry: its text, or what its facet says (a call, an order, a survey). */
export function describeEntry(e: TimelineEntry): string {
  const d = e.details;
  if (d?.call) {
    const c = d.call;
    const talked = c.talkSeconds ?? (c.status === 'completed' ? c.durationSeconds : undefined);
    return `call ${c.status}${c.queue ? ` · ${c.queue} queue ${c.queueSeconds ?? 0} s` : ''}${talked ? ` · talked ${Math.max(1, Math.round(talked / 60))} min${c.agent ? ` with ${c.agent}` : ''}` : ''}`;
  }
  if (d?.order) {
    const o = d.order;
    return `order ${o.action} ${o.orderId} · ${(o.amount / 100).toFixed(2)} ${o.currency}${o.itemCount ? ` · ${o.itemCount} items` : ''}`;
  }
  if (d?.survey) {
    const comment = d.survey.answers?.map((a) => a.value).find((v): v is string => typeof v === 'string');
    return `${d.survey.kind.toUpperCase()} ${d.survey.score}${comment ? ` — ${JSON.stringify(clip(comment, 60))}` : ''}`;
  }
  const text = (e.text ?? '').replace(/\s+/g, ' ').trim();
  return `${d?.email?.subject ? `“${d.email.subject}” ` : ''}${JSON.stringify(clip(text, d?.email ? 50 : 80))}`;
}

export function renderCustomer(
  title: string,
  summary: CustomerSummary,
  entries: readonly TimelineEntry[],
  nba: NextBestActions,
  c: Palette,
  maxEntries = 12,
): string[] {
  const identities = summary.identities.map((i) => (i.namespace ? `${i.namespace}:${i.value}` : i.value)).join(', ');
  const lines = [
    `${c.bold}${title}${c.reset}  ${c.dim}customer ${summary.customerId} · ${summary.interactions} interactions · ${summary.channels.join(', ')}${summary.quadrant ? ` · ${summary.quadrant}` : ''}${c.reset}`,
    `  ${c.dim}identities: ${identities || '(none listed: the read model lists each identity under one customer)'}${c.reset}`,
  ];
  const shown = entries.slice(-maxEntries);
  if (shown.length < entries.length) lines.push(`  ${c.dim}… ${entries.length - shown.length} earlier${c.reset}`);
  for (const e of shown) {
    const media = e.media.length ? ` ${c.cyan}[${e.media.length} media]${c.reset}` : '';
    lines.push(
      `  ${e.occurredAt.slice(11, 19)}  ${e.direction === 'inbound' ? '←' : '→'} ${e.channel.padEnd(9)} ${describeEntry(e)}${media}`,
    );
  }
  const cur = nba.current;
  if (cur) {
    lines.push(
      `  ${c.green}next best action:${c.reset} ${cur.action.kind} · ${cur.action.code}${cur.action.channel ? ` via ${cur.action.channel}` : ''} — ${cur.action.detail}`,
    );
    lines.push(
      `  ${c.dim}why: ${cur.explanation.ruleId ? `rule ${cur.explanation.ruleId}: ` : ''}${cur.explanation.reason}${Object.keys(nba.consent).length ? ` · consent ${JSON.stringify(nba.consent)}` : ''}${c.reset}`,
    );
  } else {
    lines.push(`  ${c.yellow}no decision yet${c.reset}`);
  }
  return lines;
}
