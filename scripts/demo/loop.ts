/*
 * The demo's last act: the loop closed, with the apps the day ran on plus the outbound sender, its
 * WhatsApp Cloud API calls answered by a local stand-in (the provider's request format, on
 * 127.0.0.1). Three new customers ask on WhatsApp for a bigger plan, each message signed as Meta signs
 * it; the hub decides, sends the offer as a message with the decision's reply buttons, and each
 * customer's tap on one — a signed button-reply webhook naming our message — becomes that decision's
 * outcome, which the next decisions read.
 */
import { randomBytes } from 'node:crypto';
import { metaWebhookRequest, META_TEST_APP_SECRET, whatsappButtonReplyPayload, whatsappTextPayload } from '@hub/channels-meta/testing';
import type { FakeWhatsApp, FakeWhatsAppRequest } from '@hub/deliver-outbound/testing';
import type { Palette } from './summary';

interface Decision {
  decisionId: string;
  action: { kind: string; code: string; channel?: string };
  contactMode: string;
  basedOnEventId: string;
  segment: string | null;
  explanation: { reason: string };
  outcomes?: Record<string, { accepted: number; declined: number; noResponse: number }>;
  outcome: { outcome: string; source: string; at: string } | null;
  decidedAt: string;
}

export interface LoopDeps {
  ingestWhatsappUrl: string;
  queryUrl: string;
  tenant: string;
  headers: Record<string, string>;
  whatsapp: FakeWhatsApp;
  color: Palette;
  /** The worker's NBA_OUTCOMES_CACHE_MS: how long it reuses the outcome tally before reading it again. */
  outcomesCacheMs: number;
  /** The customers' WhatsApp ids (digits), one per act: distinct per run. */
  waIds: readonly [string, string, string];
}

const QUESTION = 'Do you have a bigger plan?';
const secondsSince = (t0: number): string => `${((Date.now() - t0) / 1000).toFixed(1)} s`;

/** Until `get` gives something, every 100 ms, for at most `ms`. */
async function until<T>(what: string, get: () => Promise<T | undefined> | T | undefined, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await get();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`the loop: no ${what} within ${ms / 1000} s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Runs the three acts and returns the lines that tell them. */
export async function closeTheLoop(d: LoopDeps): Promise<string[]> {
  const { color: c } = d;
  const lines: string[] = [];
  const say = (line: string) => lines.push(line);

  const webhook = async (payload: Record<string, unknown>): Promise<string> => {
    const signed = metaWebhookRequest({ appSecret: META_TEST_APP_SECRET, url: `${d.ingestWhatsappUrl}/webhooks/whatsapp`, payload });
    const res = await fetch(`${d.ingestWhatsappUrl}/webhooks/whatsapp`, {
      method: 'POST',
      headers: signed.headers as Record<string, string>,
      body: signed.rawBody,
    });
    if (res.status !== 202) throw new Error(`the loop: ingest-whatsapp answered ${res.status}: ${await res.text()}`);
    return ((await res.json()) as { eventIds: string[] }).eventIds[0]!;
  };
  const now = () => Math.floor(Date.now() / 1000);
  const asks = (waId: string, text: string) =>
    webhook(whatsappTextPayload({ from: waId, text, timestamp: now(), seed: randomBytes(4).toString('hex') }));
  const get = async <T>(path: string): Promise<T | undefined> => {
    const res = await fetch(`${d.queryUrl}/tenants/${d.tenant}${path}`, { headers: d.headers });
    return res.ok ? ((await res.json()) as T) : undefined;
  };
  const customerOf = (waId: string) =>
    until(
      'customer',
      async () => (await get<{ customerId: string }>(`/customers?identity=${encodeURIComponent(`phone:+${waId}`)}`))?.customerId,
    );
  const decisions = async (customerId: string) =>
    (await get<{ history: Decision[] }>(`/customers/${customerId}/next-best-actions`))?.history ?? [];
  const decisionOn = (customerId: string, eventId: string) =>
    until('decision', async () => (await decisions(customerId)).find((x) => x.basedOnEventId === eventId));
  const answered = (customerId: string, decisionId: string) =>
    until(
      'outcome',
      async () => (await decisions(customerId)).find((x) => x.decisionId === decisionId && x.outcome !== null)?.outcome ?? undefined,
    );
  const menuTo = (waId: string) =>
    until('menu', () => d.whatsapp.requests.find((r) => r.body['to'] === waId && r.body['type'] === 'interactive'));
  const buttonsOf = (r: FakeWhatsAppRequest) =>
    (r.body['interactive'] as { action: { buttons: { reply: { id: string; title: string } }[] } }).action.buttons.map((b) => b.reply);
  const tap = (waId: string, menu: FakeWhatsAppRequest, button: { id: string; title: string }) =>
    webhook(
      whatsappButtonReplyPayload({
        from: waId,
        buttonId: button.id,
        title: button.title,
        contextId: d.whatsapp.wamidOf(menu)!,
        timestamp: now(),
      }),
    );
  const counts = (x: Decision) => {
    const o = x.outcomes?.['offer_upgrade'];
    return o ? `${o.accepted} accepted, ${o.declined} declined, ${o.noResponse} no response` : 'none yet';
  };

  /** One customer asks and is offered the menu: the decision, the message the stand-in received. */
  const offered = async (name: string, waId: string) => {
    const t0 = Date.now();
    const asked = await asks(waId, QUESTION);
    const customerId = await customerOf(waId);
    const decision = await decisionOn(customerId, asked);
    const menu = await menuTo(waId);
    const buttons = buttonsOf(menu);
    say(`  ${c.bold}${name}${c.reset} (+${waId}) asks on WhatsApp: “${QUESTION}”`);
    say(
      `    → decided ${c.cyan}${decision.action.code}${c.reset} on ${decision.action.channel ?? '-'} (${decision.contactMode}) · ${c.dim}${decision.explanation.reason}${c.reset}`,
    );
    say(
      `    → outbound sent it to the WhatsApp stand-in ${secondsSince(t0)} after the message: interactive, buttons ${buttons.map((b) => `[${b.title}]`).join(' ')} ${c.dim}(ids ${buttons.map((b) => b.id.replace(decision.decisionId, '<decision>')).join(', ')})${c.reset}`,
    );
    return { customerId, decision, menu, buttons };
  };

  say(
    `${c.bold}Closing the loop${c.reset} ${c.dim}(outbound → a WhatsApp Cloud API stand-in at ${d.whatsapp.url}; the taps signed as Meta signs them)${c.reset}`,
  );

  const ana = await offered('Ana', d.waIds[0]);
  let t0 = Date.now();
  await tap(d.waIds[0], ana.menu, ana.buttons[0]!);
  const anaOutcome = await answered(ana.customerId, ana.decision.decisionId);
  say(
    `    → she taps [${ana.buttons[0]!.title}] → ${c.green}${anaOutcome.outcome}${c.reset} recorded on that decision (source ${anaOutcome.source}), ${secondsSince(t0)} after the tap; the tap itself decides nothing new`,
  );

  const ben = await offered('Ben', d.waIds[1]);
  t0 = Date.now();
  await tap(d.waIds[1], ben.menu, ben.buttons[1]!);
  const benOutcome = await answered(ben.customerId, ben.decision.decisionId);
  say(
    `    → he taps [${ben.buttons[1]!.title}] → ${c.yellow}${benOutcome.outcome}${c.reset} recorded (source ${benOutcome.source}), ${secondsSince(t0)} after the tap`,
  );
  const again = await asks(d.waIds[1], QUESTION);
  const next = await decisionOn(ben.customerId, again);
  const menu = await get<{
    candidates: { actionId: string; rejectedBy: string[]; policies: { policy: string; rules: { id: string; passed: boolean }[] }[] }[];
  }>(`/customers/${ben.customerId}/next-best-actions/menu`);
  const upgrade = menu?.candidates.find((x) => x.actionId === 'offer_upgrade');
  const failed = upgrade?.policies.flatMap((p) => p.rules.filter((r) => !r.passed).map((r) => `${p.policy} ${r.id}`)) ?? [];
  say(
    `    Ben asks again → the next decision is ${c.cyan}${next.action.code}${c.reset} (${next.contactMode}), not the offer: ${failed.length ? failed.join(', ') : (upgrade?.rejectedBy.join(', ') ?? 'not a candidate')}, and were it suitable the catalog's cooldown (30 days after a “no”) would hold it back`,
  );

  // The worker reads the population's outcome tally again every NBA_OUTCOMES_CACHE_MS (5 s by default).
  await new Promise((r) => setTimeout(r, d.outcomesCacheMs + 1_000));
  const cleo = await offered('Cleo', d.waIds[2]);
  say(
    `    → her offer was scored on the outcomes counted so far, Ana's and Ben's: offer_upgrade in segment ${cleo.decision.segment ?? '-'}, ${counts(cleo.decision)} ${c.dim}(Ana's was scored on ${counts(ana.decision)}; each decision records what it read, so \`hub nba explain\` recomputes it bit for bit)${c.reset}`,
  );
  return lines;
}
