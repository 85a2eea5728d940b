import { isURL } from 'class-validator';
import type { IdentityRef, InteractionData, InteractionReceived, MediaRef } from '@hub/contracts';
import { ChannelMappingError, mapEachItem, type MapContext } from '@hub/channels-core';
import { normalizeHandle } from '@hub/customer';
import { CANONICAL_LIMITS, META_PROVIDER, metaEvent, truncate } from './meta-event';
import type { MetaAttachment, MetaMessagingEntry, MetaMessagingEvent, MetaMessagingPayload } from './meta-messaging.payload';
import { metaTimeToIso } from './meta-webhook';

/** Messenger and Instagram Messaging share one webhook format; only the channel (and id namespace) differs. */
export type MetaMessagingChannel = 'messenger' | 'instagram';

/** Attachment types whose media type is known; others (share, story_mention, fallback…) keep only the URL. */
const ATTACHMENT_CONTENT_TYPES: Readonly<Record<string, string>> = {
  image: 'image/*',
  video: 'video/*',
  audio: 'audio/*',
  reel: 'video/*',
  ig_reel: 'video/*',
};

/** What one update is about; the kinds of update this mapper reads. */
const UPDATE_KINDS = ['message_edit', 'message', 'postback', 'reaction', 'read', 'delivery'] as const;

interface UpdateContext {
  channel: MetaMessagingChannel;
  entry: MetaMessagingEntry;
  path: string;
  map: MapContext;
}

/**
 * Every update of every entry (`messaging`, then `standby`), in order. An update of a kind the hub
 * does not map (referral, opt-in, handover…) is unmappable: the request is dead-lettered with its
 * raw body rather than dropped, and the updates that did map are published.
 */
export function mapMetaMessaging(channel: MetaMessagingChannel, payload: MetaMessagingPayload, context: MapContext): InteractionReceived[] {
  // One update that cannot be mapped does not hold back the others (mapEachItem).
  const items: (() => readonly InteractionReceived[])[] = [];
  payload.entry.forEach((entry, e) => {
    const lists = [
      ['messaging', entry.messaging ?? []],
      ['standby', entry.standby ?? []],
    ] as const;
    if (lists.every(([, updates]) => updates.length === 0)) {
      items.push(() => {
        throw new ChannelMappingError(
          `entry.${e}: no messaging updates (feed changes such as comments are not interactions of this channel)`,
          `entry.${e}`,
        );
      });
    }
    for (const [list, updates] of lists) {
      updates.forEach((update, i) =>
        items.push(() => mapUpdate(update, { channel, entry, path: `entry.${e}.${list}.${i}`, map: context })),
      );
    }
  });
  return mapEachItem(items);
}

function mapUpdate(u: MetaMessagingEvent, ctx: UpdateContext): InteractionReceived[] {
  const kind = UPDATE_KINDS.find((k) => u[k] !== undefined);
  switch (kind) {
    case 'message_edit':
      return [messageEdit(u, ctx)];
    case 'message':
      return [message(u, ctx)];
    case 'postback':
      return [postback(u, ctx)];
    case 'reaction':
      return [reaction(u, ctx)];
    case 'read':
      return [read(u, ctx)];
    case 'delivery':
      return delivery(u, ctx);
    case undefined: {
      const keys = Object.entries(u)
        .filter(([k, v]) => v !== undefined && !['sender', 'recipient', 'timestamp'].includes(k))
        .map(([k]) => k);
      throw new ChannelMappingError(`${ctx.path}: a ${keys.join('/') || 'empty'} update is not an interaction this channel maps`, ctx.path);
    }
    default: {
      const exhaustive: never = kind;
      throw new Error(`unhandled update kind ${String(exhaustive)}`);
    }
  }
}

/** A customer's PSID / IGSID as a `handle` identity in the channel's namespace. */
function customer(participant: { id?: string }, field: string, channel: MetaMessagingChannel): IdentityRef {
  if (participant.id === undefined) {
    throw new ChannelMappingError(
      `${field}: a chat-plugin guest (user_ref only) has no stable ${channel} id to recognise the customer by`,
      field,
    );
  }
  const result = normalizeHandle(channel, participant.id);
  if (!result.ok) throw new ChannelMappingError(`${field}: ${result.reason}`, field);
  return result.identity;
}

/** The fields every event of an update shares: the page / IG account is the endpoint and the account. */
function common(
  ctx: UpdateContext,
  direction: InteractionData['direction'],
  identity: IdentityRef,
  messageId: string,
): Pick<InteractionData, 'direction' | 'identities' | 'provider' | 'endpoint'> {
  return {
    direction,
    identities: [identity],
    provider: { name: META_PROVIDER, messageId, accountId: ctx.entry.id },
    endpoint: ctx.entry.id,
  };
}

const time = (u: MetaMessagingEvent): string => metaTimeToIso(u.timestamp ?? u.delivery!.watermark);

/**
 * A message from the customer, or (`is_echo`) our own message echoed back: then the direction is
 * outbound and the customer is the recipient.
 */
function message(u: MetaMessagingEvent, ctx: UpdateContext): InteractionReceived {
  const m = u.message!;
  const echo = m.is_echo === true;
  const identity = echo
    ? customer(u.recipient, `${ctx.path}.recipient.id`, ctx.channel)
    : customer(u.sender, `${ctx.path}.sender.id`, ctx.channel);
  const base = common(ctx, echo ? 'outbound' : 'inbound', identity, m.mid);
  if (m.is_deleted === true) {
    // Instagram's unsend: recorded as an edit of that message to nothing.
    return metaEvent(ctx.channel, [m.mid, 'deleted'], time(u), { ...base, kind: 'message', content: { media: [] }, edits: m.mid }, ctx.map);
  }
  if (m.is_unsupported === true) {
    // Instagram's own marker for what the API does not deliver (a GIF, some stickers…): there is nothing to record.
    throw new ChannelMappingError(
      `${ctx.path}.message.is_unsupported: the customer sent something the ${ctx.channel} API does not deliver (a GIF or sticker, for one); it is visible only in the ${ctx.channel} inbox`,
      `${ctx.path}.message.is_unsupported`,
    );
  }
  const media = (m.attachments ?? []).flatMap((a, i) => mediaRef(a, `${ctx.path}.message.attachments.${i}.payload.url`));
  const text = m.text;
  if (text === undefined && media.length === 0 && !m.quick_reply && !echo) {
    // A message with only a payload-less attachment (a `fallback` share): recording it empty would say less than it did.
    const kinds = (m.attachments ?? []).map((a) => `${a.type}${a.title ? ` "${a.title}"` : ''}`);
    throw new ChannelMappingError(
      `${ctx.path}.message: no text and no attachment the hub can point at (${kinds.join(', ') || 'nothing'}); it is visible only in the ${ctx.channel} inbox`,
      `${ctx.path}.message`,
    );
  }
  return metaEvent(
    ctx.channel,
    [m.mid],
    time(u),
    {
      ...base,
      kind: 'message',
      content: text !== undefined ? { text, media } : { media },
      ...(m.quick_reply ? { interactive: interactiveButton(m.quick_reply.payload, text, `${ctx.path}.message.quick_reply.payload`) } : {}),
    },
    ctx.map,
  );
}

function mediaRef(a: MetaAttachment, field: string): MediaRef[] {
  const url = a.payload?.url;
  // Templates (in echoes) and payload-less fallbacks have no media to point at.
  if (url === undefined || url === '') return [];
  if (!isURL(url, { require_tld: false, require_protocol: true })) throw new ChannelMappingError(`${field}: not a URL`, field);
  const contentType = ATTACHMENT_CONTENT_TYPES[a.type];
  return [contentType ? { url, contentType } : { url }];
}

/** The customer edited an earlier message (Messenger `message_edits`): the new text, pointing at it. */
function messageEdit(u: MetaMessagingEvent, ctx: UpdateContext): InteractionReceived {
  const { mid, text, num_edit } = u.message_edit!;
  const identity = customer(u.sender, `${ctx.path}.sender.id`, ctx.channel);
  return metaEvent(
    ctx.channel,
    [mid, 'edit', String(num_edit)],
    time(u),
    { ...common(ctx, 'inbound', identity, mid), kind: 'message', content: { text, media: [] }, edits: mid },
    ctx.map,
  );
}

/** A tap on a postback button, persistent-menu item or Instagram ice breaker. */
function postback(u: MetaMessagingEvent, ctx: UpdateContext): InteractionReceived {
  const { mid, title, payload } = u.postback!;
  const identity = customer(u.sender, `${ctx.path}.sender.id`, ctx.channel);
  const timestamp = String(u.timestamp);
  // Older versions give postbacks no mid: the tap is then identified by who tapped what, when.
  const idParts = mid ? [mid, 'postback'] : ['postback', ctx.entry.id, identity.value, timestamp, payload];
  return metaEvent(
    ctx.channel,
    idParts,
    time(u),
    {
      ...common(ctx, 'inbound', identity, mid ?? `postback:${timestamp}`),
      kind: 'message',
      content: title ? { text: title, media: [] } : { media: [] },
      interactive: interactiveButton(payload, title, `${ctx.path}.postback.payload`),
    },
    ctx.map,
  );
}

function interactiveButton(id: string, title: string | undefined, field: string): NonNullable<InteractionData['interactive']> {
  if (id.length > CANONICAL_LIMITS.interactiveId) {
    throw new ChannelMappingError(
      `${field}: a payload of ${id.length} characters is longer than the ${CANONICAL_LIMITS.interactiveId} the hub records`,
      field,
    );
  }
  return { type: 'button', id, ...(title ? { title: truncate(title, CANONICAL_LIMITS.interactiveTitle) } : {}) };
}

/**
 * A reaction to a message (`unreact`: removed, no emoji). Meta gives a reaction no id of its own: it
 * is identified by the message, the customer, the action, the emoji and the time.
 */
function reaction(u: MetaMessagingEvent, ctx: UpdateContext): InteractionReceived {
  const r = u.reaction!;
  const identity = customer(u.sender, `${ctx.path}.sender.id`, ctx.channel);
  // An old-style reaction without an emoji keeps its name (`love`) so it is not read as removed.
  const emoji = r.action === 'react' ? r.emoji || r.reaction || 'other' : undefined;
  return metaEvent(
    ctx.channel,
    ['reaction', r.mid, identity.value, r.action, r.emoji ?? r.reaction ?? '', String(u.timestamp)],
    time(u),
    {
      ...common(ctx, 'inbound', identity, r.mid),
      kind: 'reaction',
      content: { media: [] },
      reaction: { toMessageId: r.mid, ...(emoji ? { emoji } : {}) },
    },
    ctx.map,
  );
}

/**
 * The customer read our messages. Instagram names the message read (`mid`); Messenger gives a
 * watermark ("everything sent up to this time") and no message id, recorded as the message id
 * `watermark:<ms>` so the receipt is kept without inventing which message it was.
 */
function read(u: MetaMessagingEvent, ctx: UpdateContext): InteractionReceived {
  const { mid, watermark } = u.read!;
  const identity = customer(u.sender, `${ctx.path}.sender.id`, ctx.channel);
  const messageId = mid ?? `watermark:${watermark}`;
  const idParts = mid ? [mid, 'read'] : ['read', ctx.entry.id, identity.value, String(watermark)];
  return metaEvent(
    ctx.channel,
    idParts,
    time(u),
    { ...common(ctx, 'outbound', identity, messageId), kind: 'delivery', content: { media: [] }, delivery: { messageId, status: 'read' } },
    ctx.map,
  );
}

/** Messenger delivery receipts: one event per message id listed, or one for the watermark when none is. */
function delivery(u: MetaMessagingEvent, ctx: UpdateContext): InteractionReceived[] {
  const { mids = [], watermark } = u.delivery!;
  const identity = customer(u.sender, `${ctx.path}.sender.id`, ctx.channel);
  const receipts =
    mids.length > 0
      ? mids.map((mid) => ({ messageId: mid, idParts: [mid, 'delivered'] }))
      : [{ messageId: `watermark:${watermark}`, idParts: ['delivered', ctx.entry.id, identity.value, String(watermark)] }];
  return receipts.map(({ messageId, idParts }) =>
    metaEvent(
      ctx.channel,
      idParts,
      time(u),
      {
        ...common(ctx, 'outbound', identity, messageId),
        kind: 'delivery',
        content: { media: [] },
        delivery: { messageId, status: 'delivered' },
      },
      ctx.map,
    ),
  );
}
