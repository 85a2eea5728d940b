import {
  DELIVERY_STATUSES,
  validateAs,
  type DeliveryStatus,
  type IdentityRef,
  type InteractionData,
  type InteractionReceived,
} from '@hub/contracts';
import {
  ChannelMappingError,
  mapEachItem,
  type ChannelAdapter,
  type ChannelManifest,
  type HandshakeResult,
  type MapContext,
  type ParseResult,
  type VerifyContext,
  type VerifyResult,
  type WebhookRequest,
} from '@hub/channels-core';
import { normalizeHandle } from '@hub/customer';
import type { MetaConfig } from '../shared/meta.config';
import { CANONICAL_LIMITS, META_PROVIDER, metaEvent, truncate } from '../shared/meta-event';
import { META_MAX_BODY_BYTES, metaHandshake, metaTimeToIso, verifyMetaSignature } from '../shared/meta-webhook';
import {
  isWhatsAppMediaType,
  WhatsAppWebhookPayload,
  type WhatsAppError,
  type WhatsAppMessage,
  type WhatsAppSharedContact,
  type WhatsAppStatus,
} from './whatsapp.payload';

export const WHATSAPP_MANIFEST: ChannelManifest = {
  id: 'whatsapp',
  displayName: 'WhatsApp (Meta Cloud API)',
  provider: META_PROVIDER,
  docsUrl: 'https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages',
  route: { method: 'POST', path: '/webhooks/whatsapp' },
  maxBodyBytes: META_MAX_BODY_BYTES,
};

/**
 * Where a WhatsApp media id is resolved. Meta's webhook carries a media id, not a URL (the download
 * URL it leads to expires after minutes and needs the access token), so a media item is recorded as
 * its stable Graph API node: GET it with the business token to obtain the current download URL.
 */
export const WHATSAPP_MEDIA_BASE_URL = 'https://graph.facebook.com/v21.0/';

const CHANNEL = 'whatsapp';

/** Fields every event of one `change` shares. */
interface ChangeContext {
  path: string;
  accountId: string;
  endpoint: string;
}

type MessageFacets = Pick<InteractionData, 'kind' | 'content' | 'interactive' | 'reaction'>;

export class WhatsAppChannelAdapter implements ChannelAdapter<WhatsAppWebhookPayload> {
  readonly manifest = WHATSAPP_MANIFEST;

  constructor(private readonly config: MetaConfig) {}

  verify(request: WebhookRequest, _context?: VerifyContext): VerifyResult {
    return verifyMetaSignature(request, this.config.META_APP_SECRET);
  }

  handshake(query: Readonly<Record<string, string | undefined>>): HandshakeResult {
    return metaHandshake(query, this.config);
  }

  parse(body: unknown): ParseResult<WhatsAppWebhookPayload> {
    return validateAs(WhatsAppWebhookPayload, body, { allowUnknown: true });
  }

  /** Every message and every status of every change of every entry, in order: one event each. */
  map(payload: WhatsAppWebhookPayload, context: MapContext): InteractionReceived[] {
    // One change that cannot be mapped does not hold back the others (mapEachItem).
    const items: (() => InteractionReceived[])[] = [];
    payload.entry.forEach((entry, e) => {
      entry.changes.forEach((change, c) =>
        items.push(() => {
          const path = `entry.${e}.changes.${c}`;
          if (change.field !== 'messages') {
            throw new ChannelMappingError(
              `${path}.field: "${change.field}" updates are not interactions; subscribe this callback to the "messages" field only`,
              `${path}.field`,
            );
          }
          const { metadata, messages = [], statuses = [], errors = [] } = change.value;
          if (messages.length === 0 && statuses.length === 0) {
            const what = errors.length > 0 ? `an error notification (${describeError(errors[0]!)})` : 'an update';
            throw new ChannelMappingError(`${path}.value: ${what} with no message or status names no customer`, `${path}.value`);
          }
          const shared: ChangeContext = {
            path: `${path}.value`,
            accountId: entry.id,
            endpoint: metadata.display_phone_number || metadata.phone_number_id,
          };
          return mapEachItem([
            ...messages.map((m, i) => () => this.messageEvent(m, `${shared.path}.messages.${i}`, shared, context)),
            ...statuses.map((st, i) => () => this.statusEvent(st, `${shared.path}.statuses.${i}`, shared, context)),
          ]);
        }),
      );
    });
    return mapEachItem(items);
  }

  private messageEvent(m: WhatsAppMessage, path: string, shared: ChangeContext, context: MapContext): InteractionReceived {
    const facets = messageFacets(m, path);
    const idParts = facets.kind === 'reaction' ? [m.id, 'reaction', facets.reaction?.emoji ?? ''] : [m.id];
    return metaEvent(
      CHANNEL,
      idParts,
      metaTimeToIso(m.timestamp),
      {
        direction: 'inbound',
        identities: [customerIdentity(m.from, `${path}.from`)],
        provider: { name: META_PROVIDER, messageId: m.id, accountId: shared.accountId },
        endpoint: shared.endpoint,
        ...facets,
      },
      context,
    );
  }

  /** What happened to a message we sent: sent / delivered / read / failed. */
  private statusEvent(s: WhatsAppStatus, path: string, shared: ChangeContext, context: MapContext): InteractionReceived {
    if (!isDeliveryStatus(s.status)) {
      throw new ChannelMappingError(
        `${path}.status: "${s.status}" is not a delivery status the hub records (${DELIVERY_STATUSES.join(', ')})`,
        `${path}.status`,
      );
    }
    const error = s.errors?.[0];
    const errorMessage = error ? errorText(error) : '';
    return metaEvent(
      CHANNEL,
      [s.id, 'status', s.status],
      metaTimeToIso(s.timestamp),
      {
        direction: 'outbound',
        kind: 'delivery',
        identities: [customerIdentity(s.recipient_id, `${path}.recipient_id`)],
        content: { media: [] },
        provider: { name: META_PROVIDER, messageId: s.id, accountId: shared.accountId },
        endpoint: shared.endpoint,
        delivery: {
          messageId: s.id,
          status: s.status,
          ...(error ? { errorCode: truncate(String(error.code), CANONICAL_LIMITS.errorCode) } : {}),
          ...(errorMessage ? { errorMessage: truncate(errorMessage, CANONICAL_LIMITS.errorMessage) } : {}),
        },
      },
      context,
    );
  }
}

/**
 * A WhatsApp id is the customer's phone number (digits, with country code): it becomes the E.164
 * phone identity, so the customer is the same person who texts by SMS.
 */
function customerIdentity(raw: string, field: string): IdentityRef {
  const result = normalizeHandle(CHANNEL, raw);
  if (!result.ok) throw new ChannelMappingError(`${field}: ${result.reason}`, field);
  return result.identity;
}

const isDeliveryStatus = (status: string): status is DeliveryStatus => (DELIVERY_STATUSES as readonly string[]).includes(status);

/** What one message carries, by its `type`. Types the hub cannot show are kept as a message with no text. */
function messageFacets(m: WhatsAppMessage, path: string): MessageFacets {
  const type = m.type;
  if (isWhatsAppMediaType(type)) {
    const media = m[type]!;
    return {
      kind: 'message',
      content: {
        ...(media.caption ? { text: media.caption } : {}),
        media: [{ url: `${WHATSAPP_MEDIA_BASE_URL}${media.id}`, ...(media.mime_type ? { contentType: media.mime_type } : {}) }],
      },
    };
  }
  switch (type) {
    case 'text':
      return { kind: 'message', content: { text: m.text!.body, media: [] } };
    case 'location':
      return { kind: 'message', content: { text: locationText(m.location!), media: [] } };
    case 'contacts':
      return { kind: 'message', content: { text: m.contacts!.map(contactText).join('\n'), media: [] } };
    case 'interactive': {
      const { type: replyType, button_reply, list_reply } = m.interactive!;
      const choice = replyType === 'button_reply' ? button_reply : replyType === 'list_reply' ? list_reply : undefined;
      // Other replies (a Flow's nfm_reply with its form answers) have no canonical shape: dead-lettered, not emptied.
      if (!choice) {
        throw new ChannelMappingError(
          `${path}.interactive.type: a "${replyType}" reply (e.g. a WhatsApp Flow's form answers) is not recorded: the hub records button and list replies only; read it from the dead letter`,
          `${path}.interactive.type`,
        );
      }
      return {
        kind: 'message',
        content: { ...(choice.title ? { text: choice.title } : {}), media: [] },
        interactive: interactiveReply(
          replyType === 'button_reply' ? 'button' : 'list',
          choice.id,
          choice.title,
          `${path}.interactive.${replyType}.id`,
        ),
      };
    }
    case 'button': {
      const { text, payload } = m.button!;
      return {
        kind: 'message',
        content: { text, media: [] },
        interactive: interactiveReply('button', payload || text, text, `${path}.button.payload`),
      };
    }
    case 'reaction': {
      const { message_id, emoji } = m.reaction!;
      // Meta omits the emoji (older payloads send '') when the customer removes their reaction.
      return { kind: 'reaction', content: { media: [] }, reaction: { toMessageId: message_id, ...(emoji ? { emoji } : {}) } };
    }
    default:
      // `unsupported`/`unknown` (Meta's own: polls, view-once media…), `system`, `order`, `request_welcome`
      // and types added later carry nothing a canonical message holds: recording them as an empty
      // message would say less than the customer did, so the request is dead-lettered with the reason.
      throw new ChannelMappingError(`${path}.type: ${unrecordedType(m)}`, `${path}.type`);
  }
}

/** Why a message type is not recorded, in words an operator can act on. */
function unrecordedType(m: WhatsAppMessage): string {
  const raw = m as unknown as Record<string, unknown>;
  switch (m.type) {
    case 'unsupported':
    case 'unknown': {
      const what = m.unsupported?.type ? ` (${m.unsupported.type})` : '';
      const error = m.errors?.[0];
      return `a message WhatsApp does not deliver to the Cloud API${what}${error ? `, ${describeError(error)}` : ''}: the customer sent something only the WhatsApp app shows; ask them to send it as text or media`;
    }
    case 'system': {
      const system = (raw['system'] ?? {}) as Record<string, unknown>;
      const newId = system['wa_id'] ?? system['new_wa_id'];
      return `a system message (${String(system['type'] ?? 'system')}${typeof newId === 'string' ? `, new WhatsApp id ${newId}` : ''}): the customer changed their number; link the new number to the customer by hand`;
    }
    case 'order': {
      const order = (raw['order'] ?? {}) as Record<string, unknown>;
      const items = Array.isArray(order['product_items']) ? order['product_items'].length : 0;
      return `a catalog order (cart of ${items} item${items === 1 ? '' : 's'}${typeof order['catalog_id'] === 'string' ? ` from catalog ${order['catalog_id']}` : ''}): the hub has no cart kind; take the order from the dead letter`;
    }
    case 'request_welcome':
      return 'a request for the welcome message (the customer opened the chat for the first time): nothing was written; answer with the welcome message';
    default:
      return `message type "${m.type}" is not one the hub records (text, media, location, contacts, interactive, button, reaction)`;
  }
}

function interactiveReply(
  type: 'button' | 'list',
  id: string,
  title: string | undefined,
  field: string,
): NonNullable<InteractionData['interactive']> {
  if (id.length > CANONICAL_LIMITS.interactiveId) {
    throw new ChannelMappingError(
      `${field}: a reply id of ${id.length} characters is longer than the ${CANONICAL_LIMITS.interactiveId} the hub records`,
      field,
    );
  }
  return { type, id, ...(title ? { title: truncate(title, CANONICAL_LIMITS.interactiveTitle) } : {}) };
}

/** A shared location as one line of text: `Location: <name>, <address> (<lat>, <long>)`. */
function locationText(l: NonNullable<WhatsAppMessage['location']>): string {
  const label = [l.name, l.address].filter((x): x is string => typeof x === 'string' && x.trim() !== '').join(', ');
  const coordinates = `${l.latitude}, ${l.longitude}`;
  return `Location: ${label ? `${label} (${coordinates})` : coordinates}`;
}

/** A shared contact card as one line of text: `Contact: <name>, <phones…>, <emails…>`. */
function contactText(c: WhatsAppSharedContact): string {
  const name = c.name?.formatted_name || [c.name?.first_name, c.name?.last_name].filter(Boolean).join(' ');
  const phones = (c.phones ?? []).map((p) => p.phone || p.wa_id).filter((x): x is string => !!x);
  const emails = (c.emails ?? []).map((e) => e.email).filter((x): x is string => !!x);
  return `Contact: ${[name, ...phones, ...emails].filter((x) => x !== '').join(', ')}`;
}

function errorText(e: WhatsAppError): string {
  const title = e.title || e.message || '';
  const details = e.error_data?.details ?? '';
  return title && details && details !== title ? `${title}: ${details}` : title || details;
}

function describeError(e: WhatsAppError): string {
  const text = errorText(e);
  return text ? `code ${e.code}: ${text}` : `code ${e.code}`;
}
