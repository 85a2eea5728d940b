import {
  deterministicId,
  INTERACTION_RECEIVED_SCHEMA_VERSION,
  validateAs,
  type IdentityRef,
  type InteractionData,
  type InteractionReceived,
  type MediaRef,
  type OccurredAtSource,
} from '@hub/contracts';
import {
  ChannelMappingError,
  safeEqual,
  type ChannelAdapter,
  type ChannelManifest,
  type MapContext,
  type ParseResult,
  type VerifyContext,
  type VerifyResult,
  type WebhookRequest,
} from '@hub/channels-core';
import { normalizeHandle, normalizePhone } from '@hub/customer';
import { telegramFileRef } from './telegram-file-ref';
import {
  TelegramUpdate,
  type TelegramCallbackQuery,
  type TelegramChatMemberUpdated,
  type TelegramMessageBase,
  type TelegramMessageReactionUpdated,
  type TelegramReactionType,
  type TelegramUser,
} from './telegram.payload';
import type { TelegramConfig } from './telegram.config';

export const TELEGRAM_MANIFEST: ChannelManifest = {
  id: 'telegram',
  displayName: 'Telegram (Bot API)',
  provider: 'telegram',
  docsUrl: 'https://core.telegram.org/bots/api#update',
  route: { method: 'POST', path: '/webhooks/telegram' },
  // One update is one message (text or caption ≤ 4,096 characters) plus the message it replies to:
  // tens of kilobytes at most.
  maxBodyBytes: 256 * 1024,
};

/** Set by `setWebhook(secret_token=…)`; Telegram sends it, unchanged, with every update. */
export const TELEGRAM_SECRET_TOKEN_HEADER = 'x-telegram-bot-api-secret-token';

/** The update types the hub records. Give exactly these to setWebhook as `allowed_updates`. */
export const TELEGRAM_RECORDED_UPDATES = ['message', 'edited_message', 'callback_query', 'message_reaction', 'my_chat_member'] as const;

/** Fields every message has, which say nothing about its content. */
const ENVELOPE_FIELDS = new Set([
  'message_id',
  'message_thread_id',
  'from',
  'sender_chat',
  'date',
  'chat',
  'edit_date',
  'is_topic_message',
  'entities',
  'caption_entities',
]);

export class TelegramChannelAdapter implements ChannelAdapter<TelegramUpdate> {
  readonly manifest = TELEGRAM_MANIFEST;

  constructor(private readonly config: TelegramConfig) {}

  /**
   * Telegram signs nothing: every update carries the same secret token, compared in constant time.
   * No timestamp is sent, so there is no replay window (a redelivered update maps to the same ids).
   */
  verify(request: WebhookRequest, _context?: VerifyContext): VerifyResult {
    const token = request.headers[TELEGRAM_SECRET_TOKEN_HEADER];
    if (!token) return { ok: false, reason: 'signature_missing' };
    return safeEqual(token, this.config.TELEGRAM_SECRET_TOKEN) ? { ok: true } : { ok: false, reason: 'signature_invalid' };
  }

  parse(body: unknown): ParseResult<TelegramUpdate> {
    return validateAs(TelegramUpdate, body, { allowUnknown: true });
  }

  map(update: TelegramUpdate, context: MapContext): InteractionReceived[] {
    const types = Object.keys(update).filter((k) => k !== 'update_id' && update[k] !== undefined);
    const [type] = types;
    if (type === undefined) throw new ChannelMappingError(`update ${update.update_id} carries no update type`, 'update_id');
    if (types.length > 1)
      throw new ChannelMappingError(
        `update ${update.update_id} carries several update types (${types.join(', ')}); Telegram sends one`,
        types[1],
      );
    if (type === 'message' && update.message) return [messageEvent(update.message, undefined, context)];
    if (type === 'edited_message' && update.edited_message)
      return [messageEvent(update.edited_message, update.edited_message.edit_date, context)];
    if (type === 'callback_query' && update.callback_query) return [callbackEvent(update.callback_query, context)];
    if (type === 'message_reaction' && update.message_reaction) return reactionEvents(update.message_reaction, context);
    if (type === 'my_chat_member' && update.my_chat_member) return [subscriptionEvent(update.my_chat_member, context)];
    // Channel posts, chat member changes, reactions, inline queries, polls…: not a customer
    // interaction the hub records. Dead-lettered with the type's name rather than dropped.
    throw new ChannelMappingError(
      `update type ${type} is not recorded by the hub (it records ${TELEGRAM_RECORDED_UPDATES.join(', ')}; set those as the webhook's allowed_updates)`,
      type,
    );
  }
}

/**
 * A message, or (`editDate` set) a new version of one. Ids: Telegram's `update_id` changes when the
 * same message reaches us in another update, while `message_id` is unique within its chat — so the
 * event id is (chat.id, message_id), plus edit_date for an edit, which must not collide with the
 * message it edits. `provider.messageId` is `<chat.id>:<message_id>` for both: an edit's `edits`
 * points at it.
 */
function messageEvent(m: TelegramMessageBase, editDate: number | undefined, { tenantId, receivedAt }: MapContext): InteractionReceived {
  const type = editDate === undefined ? 'message' : 'edited_message';
  if (m.sender_chat !== undefined) {
    throw new ChannelMappingError(
      `${type}.sender_chat: sent on behalf of a chat (an anonymous group admin or a channel), not by a person the hub can identify`,
      `${type}.sender_chat`,
    );
  }
  const identities = [handleOf(m.from, `${type}.from.id`)];
  // A user who shares their own contact card tells us their phone number: a second identity.
  if (m.contact?.user_id === m.from.id) {
    const phone = normalizePhone(m.contact.phone_number);
    if (phone.ok) identities.push(phone.identity);
  }
  const content = contentOf(m);
  if (content.text === undefined && content.media.length === 0) {
    const carries = Object.keys(m).filter((k) => !ENVELOPE_FIELDS.has(k) && m[k] !== undefined);
    throw new ChannelMappingError(
      `${type} ${m.message_id} has no text, caption or media the hub records${carries.length > 0 ? ` (it carries ${carries.join(', ')})` : ''}`,
      type,
    );
  }
  const chatId = String(m.chat.id);
  const providerMessageId = `${chatId}:${m.message_id}`;
  const eventId =
    editDate === undefined
      ? deterministicId('telegram', 'telegram', chatId, String(m.message_id))
      : deterministicId('telegram', 'telegram', chatId, String(m.message_id), 'edit', String(editDate));
  return event(
    {
      direction: 'inbound',
      kind: 'message',
      identities,
      content,
      provider: { name: 'telegram', messageId: providerMessageId },
      threadId: chatId,
      ...(editDate === undefined ? {} : { edits: providerMessageId }),
    },
    { eventId, occurredAt: new Date((editDate ?? m.date) * 1000).toISOString(), occurredAtSource: 'provider', tenantId, receivedAt },
  );
}

/**
 * A press on an inline keyboard button. A callback query has its own unique id and no date: it
 * happened when we received it.
 */
function callbackEvent(q: TelegramCallbackQuery, { tenantId, receivedAt }: MapContext): InteractionReceived {
  if (q.data === undefined) {
    throw new ChannelMappingError(
      'callback_query.data is absent (a game button, game_short_name): there is no reply to record',
      'callback_query.data',
    );
  }
  const title = buttonLabel(q.message?.reply_markup, q.data);
  return event(
    {
      direction: 'inbound',
      kind: 'message',
      identities: [handleOf(q.from, 'callback_query.from.id')],
      content: { media: [] },
      provider: { name: 'telegram', messageId: q.id },
      // Absent for a button on a message sent via inline mode: Telegram does not say which chat.
      ...(q.message ? { threadId: String(q.message.chat.id) } : {}),
      interactive: { type: 'callback', id: q.data, ...(title === undefined ? {} : { title }) },
    },
    {
      eventId: deterministicId('telegram', 'telegram', 'callback', q.id),
      occurredAt: receivedAt,
      occurredAtSource: 'received',
      tenantId,
      receivedAt,
    },
  );
}

/**
 * The customer changed their reactions to a message: one `reaction` event per reaction added, or,
 * when they only took reactions away, one with no emoji (removed). The event id is the chat, the
 * message, the user, the time and the emoji, so a redelivered update maps to the same ids.
 */
function reactionEvents(r: TelegramMessageReactionUpdated, { tenantId, receivedAt }: MapContext): InteractionReceived[] {
  if (r.user === undefined) {
    throw new ChannelMappingError(
      `message_reaction.user is absent: the reaction was set anonymously${r.actor_chat ? ` on behalf of chat ${r.actor_chat.id}` : ''}, by no person the hub can identify`,
      'message_reaction.user',
    );
  }
  const chatId = String(r.chat.id);
  const toMessageId = `${chatId}:${r.message_id}`;
  const identity = handleOf(r.user, 'message_reaction.user.id');
  const before = new Set(r.old_reaction.map(reactionName));
  const added = [...new Set(r.new_reaction.map(reactionName))].filter((name) => !before.has(name));
  const emojis: (string | undefined)[] = added.length > 0 ? added : [undefined];
  return emojis.map((emoji) => {
    const eventId = deterministicId(
      'telegram',
      'telegram',
      'reaction',
      chatId,
      String(r.message_id),
      String(r.user!.id),
      String(r.date),
      emoji ?? '',
    );
    return event(
      {
        direction: 'inbound',
        kind: 'reaction',
        identities: [identity],
        content: { media: [] },
        provider: { name: 'telegram', messageId: toMessageId },
        threadId: chatId,
        reaction: { toMessageId, ...(emoji === undefined ? {} : { emoji }) },
      },
      { eventId, occurredAt: new Date(r.date * 1000).toISOString(), occurredAtSource: 'provider', tenantId, receivedAt },
    );
  });
}

/**
 * The user blocked the bot (its status in their private chat became `kicked`) or unblocked it (from
 * `kicked` back to `member`): Telegram's own unsubscribe and subscribe, a `subscription` the recorder
 * turns into a consent change (source `platform`). Anything else — the bot added to or removed from
 * a group by an admin — is no customer's consent, and is dead-lettered naming it.
 */
function subscriptionEvent(u: TelegramChatMemberUpdated, { tenantId, receivedAt }: MapContext): InteractionReceived {
  const before = u.old_chat_member.status;
  const after = u.new_chat_member.status;
  const status =
    u.chat.type !== 'private'
      ? undefined
      : after === 'kicked'
        ? 'unsubscribed'
        : before === 'kicked' && after === 'member'
          ? 'subscribed'
          : undefined;
  if (status === undefined) {
    throw new ChannelMappingError(
      `my_chat_member: the bot went from ${before} to ${after} in a ${u.chat.type} chat, which is not a user blocking or unblocking it in their private chat`,
      'my_chat_member',
    );
  }
  const chatId = String(u.chat.id);
  const eventId = deterministicId('telegram', 'telegram', 'my_chat_member', chatId, String(u.date), after);
  return event(
    {
      direction: 'inbound',
      kind: 'subscription',
      identities: [handleOf(u.from, 'my_chat_member.from.id')],
      content: { media: [] },
      provider: { name: 'telegram', messageId: `my_chat_member:${chatId}:${u.date}` },
      threadId: chatId,
      subscription: { status },
    },
    { eventId, occurredAt: new Date(u.date * 1000).toISOString(), occurredAtSource: 'provider', tenantId, receivedAt },
  );
}

/** An emoji as itself; a custom emoji as `custom:<id>`; a paid reaction as `paid` (what the canonical facet's emoji holds). */
function reactionName(t: TelegramReactionType): string {
  if (t.type === 'emoji' && t.emoji) return t.emoji;
  if (t.type === 'custom_emoji' && t.custom_emoji_id) return `custom:${t.custom_emoji_id}`.slice(0, 64);
  return t.type;
}

function event(
  data: InteractionData,
  m: { eventId: string; occurredAt: string; occurredAtSource: OccurredAtSource; tenantId: string; receivedAt: string },
): InteractionReceived {
  return {
    type: 'InteractionReceived',
    data,
    metadata: {
      eventId: m.eventId,
      correlationId: m.eventId,
      causationId: m.eventId,
      occurredAt: m.occurredAt,
      occurredAtSource: m.occurredAtSource,
      recordedAt: m.receivedAt,
      schemaVersion: INTERACTION_RECEIVED_SCHEMA_VERSION,
      tenantId: m.tenantId,
      channel: 'telegram',
    },
  };
}

/** The sender's Telegram user id: stable for life, unlike the username. */
function handleOf(user: TelegramUser, field: string): IdentityRef {
  const handle = normalizeHandle('telegram', String(user.id));
  if (!handle.ok) throw new ChannelMappingError(`${field}: ${handle.reason}`, field);
  return handle.identity;
}

/**
 * Text (or a media caption) and media. Files become token-free getFile references (see
 * telegram-file-ref.ts); a location becomes a map link; a shared contact becomes text.
 */
function contentOf(m: TelegramMessageBase): { text?: string; media: MediaRef[] } {
  const media: MediaRef[] = [];
  const file = (fileId: string, contentType: string | undefined): void => {
    media.push(contentType === undefined ? { url: telegramFileRef(fileId) } : { url: telegramFileRef(fileId), contentType });
  };
  if (m.photo && m.photo.length > 0) {
    // Telegram sends every size it made; keep the largest. Photos are always re-encoded as JPEG.
    const largest = m.photo.reduce((a, b) =>
      b.width * b.height > a.width * a.height || (b.width * b.height === a.width * a.height && (b.file_size ?? 0) > (a.file_size ?? 0))
        ? b
        : a,
    );
    file(largest.file_id, 'image/jpeg');
  }
  if (m.document) file(m.document.file_id, m.document.mime_type);
  if (m.audio) file(m.audio.file_id, m.audio.mime_type);
  if (m.voice) file(m.voice.file_id, m.voice.mime_type ?? 'audio/ogg');
  if (m.video) file(m.video.file_id, m.video.mime_type ?? 'video/mp4');
  if (m.video_note) file(m.video_note.file_id, 'video/mp4');
  if (m.sticker)
    file(m.sticker.file_id, m.sticker.is_animated ? 'application/x-tgsticker' : m.sticker.is_video ? 'video/webm' : 'image/webp');
  if (m.location) media.push({ url: `https://www.openstreetmap.org/?mlat=${m.location.latitude}&mlon=${m.location.longitude}` });
  const contact = m.contact
    ? `Contact: ${[m.contact.first_name, m.contact.last_name].filter(Boolean).join(' ')}, ${m.contact.phone_number}`
    : undefined;
  const text = m.text ?? m.caption ?? contact;
  return text === undefined ? { media } : { text, media };
}

/** The label of the pressed button, read from the inline keyboard the callback came from. */
function buttonLabel(replyMarkup: Record<string, unknown> | undefined, data: string): string | undefined {
  const rows = replyMarkup?.['inline_keyboard'];
  if (!Array.isArray(rows)) return undefined;
  for (const row of rows) {
    if (!Array.isArray(row)) continue;
    for (const button of row as unknown[]) {
      if (typeof button !== 'object' || button === null) continue;
      const { text, callback_data } = button as Record<string, unknown>;
      if (callback_data === data && typeof text === 'string' && text.length > 0 && text.length <= 256) return text;
    }
  }
  return undefined;
}
