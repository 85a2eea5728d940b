import type { ChannelId, Direction, EventMetadata, IdentityRef } from '@hub/contracts';
import { TEXT_SIGNALS_VERSION, type TextSignal } from '@hub/text-signals';
import type {
  ConsentChanged,
  ConsentStatus,
  ConversationResolved,
  CustomerRegistered,
  InteractionRecorded,
  OrderPlaced,
  OrderRefunded,
  SurveyAnswered,
  SurveyKind,
  TraitsUpdated,
  TraitValue,
} from '../events/customer.events';

/**
 * Builders for customer events in specs: only what a test says differs from an ordinary event.
 * Times are ISO strings; `recordedAt` defaults to `occurredAt` (recorded as it happened).
 */
export const TENANT = 'acme';

/** Channels beyond SMS arrive with their adapters (issue #4); the fold is generic over channel ids. */
export const SMS: ChannelId = 'sms';
export const WHATSAPP = 'whatsapp' as ChannelId;
export const EMAIL_CHANNEL = 'email' as ChannelId;

export const phone = (value = '+14155550100'): IdentityRef => ({ kind: 'phone', value });
export const email = (value = 'alice@example.com'): IdentityRef => ({ kind: 'email', value });
export const external = (namespace: string, value: string): IdentityRef => ({ kind: 'external', namespace, value });

export interface MetaOptions {
  recordedAt?: string;
  channel?: EventMetadata['channel'];
  schemaVersion?: number;
}

export function meta(eventId: string, occurredAt: string, o: MetaOptions = {}): EventMetadata {
  return {
    eventId,
    correlationId: eventId,
    causationId: eventId,
    occurredAt,
    recordedAt: o.recordedAt ?? occurredAt,
    schemaVersion: o.schemaVersion ?? 1,
    tenantId: TENANT,
    channel: o.channel ?? 'system',
  };
}

export function registered(customerId: string, at: string, identity: IdentityRef = phone(), o: MetaOptions = {}): CustomerRegistered {
  return {
    type: 'CustomerRegistered',
    data: { customerId, tenantId: TENANT, identity },
    metadata: meta(`reg-${customerId}`, at, { channel: SMS, ...o }),
  };
}

export interface MessageOptions extends MetaOptions {
  channel?: ChannelId;
  direction?: Direction;
  text?: string;
  threadId?: string;
  identities?: IdentityRef[];
  /** The text signals the recorder found (`data.textSignals.found`). */
  signals?: TextSignal[];
}

export function message(eventId: string, at: string, o: MessageOptions = {}): InteractionRecorded {
  const channel = o.channel ?? SMS;
  return {
    type: 'InteractionRecorded',
    data: {
      channel,
      direction: o.direction ?? 'inbound',
      kind: 'message',
      identities: o.identities ?? [phone()],
      content: o.text === undefined ? { media: [] } : { text: o.text, media: [] },
      provider: { name: 'twilio', messageId: `SM-${eventId}` },
      ...(o.threadId !== undefined ? { threadId: o.threadId } : {}),
      ...(o.signals !== undefined ? { textSignals: { found: o.signals, version: TEXT_SIGNALS_VERSION } } : {}),
    },
    metadata: meta(eventId, at, { ...o, channel }),
  };
}

export const inbound = (eventId: string, at: string, o: Omit<MessageOptions, 'direction'> = {}): InteractionRecorded =>
  message(eventId, at, { ...o, direction: 'inbound' });
export const outbound = (eventId: string, at: string, o: Omit<MessageOptions, 'direction'> = {}): InteractionRecorded =>
  message(eventId, at, { ...o, direction: 'outbound' });

export function consentChanged(
  eventId: string,
  at: string,
  consent: ConsentStatus,
  o: MetaOptions & { channel?: ChannelId; source?: string } = {},
): ConsentChanged {
  const { channel = SMS, source = 'web_form', ...m } = o;
  return { type: 'ConsentChanged', data: { channel, consent, source }, metadata: meta(eventId, at, m) };
}

export function traitsUpdated(eventId: string, at: string, traits: Record<string, TraitValue>, o: MetaOptions = {}): TraitsUpdated {
  return { type: 'TraitsUpdated', data: { traits }, metadata: meta(eventId, at, o) };
}

export function surveyAnswered(
  eventId: string,
  at: string,
  survey: SurveyKind,
  score: number,
  o: MetaOptions & { conversationId?: string } = {},
): SurveyAnswered {
  const { conversationId, ...m } = o;
  return {
    type: 'SurveyAnswered',
    data: { survey, score, ...(conversationId !== undefined ? { conversationId } : {}) },
    metadata: meta(eventId, at, m),
  };
}

export function orderPlaced(
  eventId: string,
  at: string,
  orderId: string,
  amount: number,
  currency = 'EUR',
  o: MetaOptions = {},
): OrderPlaced {
  return { type: 'OrderPlaced', data: { orderId, amount, currency }, metadata: meta(eventId, at, o) };
}

export function orderRefunded(
  eventId: string,
  at: string,
  orderId: string,
  amount: number,
  currency = 'EUR',
  o: MetaOptions = {},
): OrderRefunded {
  return { type: 'OrderRefunded', data: { orderId, amount, currency }, metadata: meta(eventId, at, o) };
}

export function conversationResolved(
  eventId: string,
  at: string,
  o: MetaOptions & { channel?: ChannelId; threadId?: string } = {},
): ConversationResolved {
  const { channel = SMS, threadId, ...m } = o;
  return {
    type: 'ConversationResolved',
    data: { channel, ...(threadId !== undefined ? { threadId } : {}) },
    metadata: meta(eventId, at, m),
  };
}

/** `2025-03-<day>T<hh>:00:00.000Z`, for readable timelines. */
export const march = (day: number, hour = 9): string =>
  `2025-03-${String(day).padStart(2, '0')}T${String(hour).padStart(2, '0')}:00:00.000Z`;

export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/** Day `n` after 2025-01-01 (day 0) at `hour` UTC. */
export const day = (n: number, hour = 9): string => new Date(Date.UTC(2025, 0, 1 + n, hour)).toISOString();
