import type { ChannelId } from '@hub/contracts';
import { CURRENT_SCHEMA_VERSIONS, type CustomerState, type InteractionRecorded, type NbaDecisionMessage } from '@hub/customer';
import type { ApprovedTemplate, MessageSender } from './message-sender.port';
import { OutboundSendPendingError } from './outbound.errors';
import {
  nextSendStep,
  recheckSend,
  sendIdOf,
  sendTargetOf,
  settleInDoubt,
  type SendKey,
  type SendRecord,
  type SendTarget,
  type SkipReason,
} from './outbound-send';
import {
  replyButtonsOf,
  OUTBOUND_REPLY_BUTTONS,
  OUTBOUND_SUBJECTS,
  renderOutboundMessage,
  type OutboundReplyButtons,
  type OutboundTemplates,
} from './outbound-templates';
import type { SendLedger } from './send-ledger.port';

/** The customer side of a send: the latest state, and the outbound interaction appended to their stream. */
export interface OutboundCustomers {
  load(tenantId: string, customerId: string): Promise<CustomerState>;
  /** Idempotent by event id (the send's id): appending it again records nothing more. */
  recordInteraction(tenantId: string, customerId: string, event: InteractionRecorded): Promise<void>;
}

export interface SendDecisionDeps {
  ledger: SendLedger;
  /** One sender per channel (`satisfies Partial<Record<ChannelId, MessageSender>>` where wired). */
  senders: Partial<Record<ChannelId, MessageSender>>;
  customers: OutboundCustomers;
  templates: OutboundTemplates;
  /**
   * The provider-approved templates per channel and action (WhatsApp's message templates, by name and
   * language): what may be sent outside a 24-hour service window. None by default: such sends are
   * skipped (`outside_service_window`) until a tenant's approved templates are configured.
   */
  approvedTemplates?: Partial<Record<ChannelId, Readonly<Record<string, ApprovedTemplate>>>>;
  /** The reply buttons of each action, for channels that show them (default `OUTBOUND_REPLY_BUTTONS`). */
  buttons?: OutboundReplyButtons;
  /** How long after an intent a lookup's "no such message" is believed (the request may still be being taken). */
  inDoubtGraceMs: number;
  now: () => Date;
}

/** What handling one decision came to. Pending outcomes throw `OutboundSendPendingError` instead. */
export type SendDecisionResult =
  | { kind: 'sent'; key: SendKey; providerMessageId: string; resolution?: 'lookup' }
  | { kind: 'failed_permanent'; key: SendKey; code: string; message: string }
  | { kind: 'skipped'; key: SendKey; reason: SkipReason }
  /** Nothing to send at all: not an action, a hand-off, no channel or address (no ledger row: there is no send). */
  | { kind: 'not_sendable'; reason: SkipReason }
  /** In doubt, and the provider cannot look it up: left for a person (docs/operations.md, *Outbound*), never resent. */
  | { kind: 'in_doubt'; key: SendKey; why: string }
  /** Settled before (a redelivery, a retry after a crash): nothing called. */
  | { kind: 'already'; key: SendKey; state: 'sent' | 'failed_permanent' | 'skipped' };

/**
 * Send what one decision asks, at most once per decision and channel (the protocol:
 * `outbound-send.ts`). Called again for the same decision — a redelivery, a retry, a restart after
 * a crash anywhere — it calls the provider only when the ledger proves no earlier call got through.
 */
export async function sendDecision(deps: SendDecisionDeps, decision: NbaDecisionMessage): Promise<SendDecisionResult> {
  const target = sendTargetOf(decision);
  if (!target.ok) return { kind: 'not_sendable', reason: target.reason };
  const key: SendKey = { tenantId: decision.tenantId, decisionId: decision.decisionId, channel: target.target.channel };
  const sendId = sendIdOf(key);
  const sender = deps.senders[key.channel];
  let row = await deps.ledger.find(key);

  if (!sender) {
    if (row) return settled(key, row);
    await deps.ledger.recordSkipped({ ...key, customerId: decision.customerId, sendId, provider: 'none' }, 'no_sender', iso(deps));
    return { kind: 'skipped', key, reason: 'no_sender' };
  }

  const step = nextSendStep(row);
  if (step.kind === 'done') return settled(key, row!);
  if (step.kind === 'resolve') {
    const resolved = await resolveInDoubt(deps, sender, decision, key, row!);
    if (resolved) return resolved;
    row = await deps.ledger.find(key);
  }
  return attempt(deps, sender, decision, key, sendId, target.target, row);
}

/** Re-check, render, record the intent, call the provider, record its answer. */
async function attempt(
  deps: SendDecisionDeps,
  sender: MessageSender,
  decision: NbaDecisionMessage,
  key: SendKey,
  sendId: string,
  target: SendTarget,
  row: SendRecord | undefined,
): Promise<SendDecisionResult> {
  const state = await deps.customers.load(decision.tenantId, decision.customerId);
  const approvedTemplate = deps.approvedTemplates?.[key.channel]?.[decision.action.code] !== undefined;
  const check = recheckSend(state, target, iso(deps), { approvedTemplate, contactMode: decision.contactMode });
  const message = check.ok ? renderOutboundMessage(deps.templates, decision.action.code, key.channel, state) : undefined;
  const skip: SkipReason | undefined = !check.ok ? check.reason : message === undefined ? 'no_template' : undefined;
  if (skip !== undefined) {
    const base = { ...key, customerId: decision.customerId, sendId, provider: sender.provider };
    if (!(await deps.ledger.recordSkipped(base, skip, iso(deps)))) throw lostRace(key);
    return { kind: 'skipped', key, reason: skip };
  }
  const intent = {
    ...key,
    customerId: decision.customerId,
    sendId,
    provider: sender.provider,
    to: target.address.value,
    body: message!.body,
    at: iso(deps),
  };
  const mine = row === undefined ? await deps.ledger.recordIntent(intent) : await deps.ledger.recordRetryIntent(intent);
  if (!mine) throw lostRace(key);

  const buttons = replyButtonsOf(deps.buttons ?? OUTBOUND_REPLY_BUTTONS, decision.action.code, decision.decisionId);
  const subject = OUTBOUND_SUBJECTS[decision.action.code];
  const outcome = await sender.send({
    tenantId: key.tenantId,
    customerId: decision.customerId,
    ...(subject !== undefined ? { subject } : {}),
    sendId,
    channel: key.channel,
    to: target.address,
    body: intent.body,
    ...(buttons ? { buttons } : {}),
    ...(check.ok && check.window !== undefined ? { serviceWindow: check.window } : {}),
    ...(check.ok && check.window === 'closed' ? { template: deps.approvedTemplates![key.channel]![decision.action.code]! } : {}),
  });
  // The interaction first, then `sent`: a crash between them leaves the intent, whose lookup finds
  // the message and appends the interaction again (a no-op by event id) before settling it.
  if (outcome.kind === 'accepted') {
    await recordInteraction(deps, sender, decision, { ...intent, providerMessageId: outcome.providerMessageId });
  }
  await deps.ledger.recordOutcome(key, outcome, iso(deps));
  switch (outcome.kind) {
    case 'accepted':
      return { kind: 'sent', key, providerMessageId: outcome.providerMessageId };
    case 'rejected':
      return { kind: 'failed_permanent', key, code: outcome.code, message: outcome.message };
    case 'retry_later':
      throw new OutboundSendPendingError('SEND_RETRY_LATER', `${sender.provider} refused for now (${outcome.code}): ${outcome.message}`);
    case 'unknown':
      throw new OutboundSendPendingError('SEND_IN_DOUBT', `${sender.provider} did not say (${outcome.code}): ${outcome.message}`);
    default: {
      const _exhaustive: never = outcome;
      return _exhaustive;
    }
  }
}

/**
 * An intent nobody settled (a crash, a lost partition) or an unknown answer: asked of the
 * provider, never sent blind. Resolves to the send's result when the lookup settles it as sent;
 * undefined when it proved nothing was sent (the caller may try again); throws while in doubt.
 */
async function resolveInDoubt(
  deps: SendDecisionDeps,
  sender: MessageSender,
  decision: NbaDecisionMessage,
  key: SendKey,
  row: SendRecord,
): Promise<SendDecisionResult | undefined> {
  if (row.state === 'intent') await deps.ledger.markInDoubt(key, iso(deps));
  if (row.to === undefined || row.body === undefined)
    throw new OutboundSendPendingError('SEND_IN_DOUBT', 'in-doubt send without its request');
  const to = decision.address ?? { channel: key.channel, kind: 'phone' as const, value: row.to };
  const lookup = await sender.lookup({
    tenantId: key.tenantId,
    customerId: decision.customerId,
    sendId: row.sendId,
    channel: key.channel,
    to: { ...to, value: row.to },
    body: row.body,
    intentAt: row.intentAt ?? row.updatedAt,
    isClaimed: (ids) => deps.ledger.claimedMessageIds(key.tenantId, ids, key),
  });
  const settledAs = settleInDoubt(lookup, row.intentAt, iso(deps), deps.inDoubtGraceMs);
  switch (settledAs.kind) {
    case 'sent': {
      await recordInteraction(deps, sender, decision, {
        ...key,
        sendId: row.sendId,
        to: row.to,
        body: row.body,
        at: iso(deps),
        providerMessageId: settledAs.providerMessageId,
      });
      await deps.ledger.resolveInDoubt(
        key,
        { state: 'sent', providerMessageId: settledAs.providerMessageId, resolution: 'lookup' },
        iso(deps),
      );
      return { kind: 'sent', key, providerMessageId: settledAs.providerMessageId, resolution: 'lookup' };
    }
    case 'still_in_doubt':
      throw new OutboundSendPendingError('SEND_IN_DOUBT', `send ${row.sendId} still in doubt: ${settledAs.why}`);
    case 'parked':
      return { kind: 'in_doubt', key, why: settledAs.why };
    case 'not_sent':
      if (!(await deps.ledger.resolveInDoubt(key, { state: 'not_sent', resolution: 'lookup' }, iso(deps)))) throw lostRace(key);
      return undefined;
    default: {
      const _exhaustive: never = settledAs;
      return _exhaustive;
    }
  }
}

/** A settled send met again (a redelivery, a retry after a crash): nothing is called, nothing appended. */
function settled(key: SendKey, row: SendRecord): SendDecisionResult {
  const state = row.state;
  if (state !== 'sent' && state !== 'failed_permanent' && state !== 'skipped') {
    throw new OutboundSendPendingError('SEND_IN_DOUBT', `send ${row.sendId} is ${state} and no sender is configured for ${key.channel}`);
  }
  return { kind: 'already', key, state };
}

/** The outbound interaction in the customer's stream (event id = the send's id, so once). */
async function recordInteraction(
  deps: SendDecisionDeps,
  sender: MessageSender,
  decision: NbaDecisionMessage,
  sent: SendKey & { sendId: string; to: string; body: string; at: string; providerMessageId: string },
): Promise<void> {
  const address = decision.address;
  const identity =
    address && address.value === sent.to
      ? { kind: address.kind, value: address.value, ...(address.namespace !== undefined ? { namespace: address.namespace } : {}) }
      : { kind: 'phone' as const, value: sent.to };
  const event: InteractionRecorded = {
    type: 'InteractionRecorded',
    data: {
      direction: 'outbound',
      kind: 'message',
      channel: sent.channel,
      identities: [identity],
      content: { text: sent.body, media: [] },
      provider: { name: sender.provider, messageId: sent.providerMessageId },
      ...(sender.endpoint !== undefined ? { endpoint: sender.endpoint } : {}),
    },
    metadata: {
      eventId: sent.sendId,
      correlationId: decision.correlationId,
      causationId: decision.decisionId,
      occurredAt: sent.at,
      recordedAt: iso(deps),
      schemaVersion: CURRENT_SCHEMA_VERSIONS.InteractionRecorded,
      tenantId: sent.tenantId,
      channel: sent.channel,
    },
  };
  await deps.customers.recordInteraction(sent.tenantId, decision.customerId, event);
}

function lostRace(key: SendKey): OutboundSendPendingError {
  return new OutboundSendPendingError('SEND_RACE_LOST', `send ${key.decisionId}/${key.channel} was moved by another attempt meanwhile`);
}

const iso = (deps: SendDecisionDeps): string => deps.now().toISOString();
