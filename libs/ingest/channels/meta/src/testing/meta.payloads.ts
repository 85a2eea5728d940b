import { createHash } from 'node:crypto';

/**
 * Small builders of realistic Meta webhook bodies, for tests and demos. Ids are derived from the
 * inputs (and `seed`), so the same input always gives the same provider ids, which the hub rightly
 * treats as a redelivery.
 */

const hex = (...parts: readonly string[]): string => createHash('sha256').update(JSON.stringify(parts)).digest('hex');
const digits = (length: number, ...parts: readonly string[]): string =>
  ((BigInt(`0x${hex(...parts)}`) % 10n ** BigInt(length - 1)) + 10n ** BigInt(length - 1)).toString();

/** A `wamid.…` shaped like Meta's: base64 of the customer's wa_id and a 20-hex-digit message id. */
export function testWamid(waId: string, ...seed: readonly string[]): string {
  const id = hex('wamid', waId, ...seed)
    .slice(0, 20)
    .toUpperCase();
  const raw = Buffer.concat([
    Buffer.from([0x1c, 0x18, waId.length]),
    Buffer.from(waId),
    Buffer.from([0x15, 0x02, 0x00, 0x12, 0x18, id.length]),
    Buffer.from(id),
    Buffer.from([0x00]),
  ]);
  return `wamid.${raw.toString('base64')}`;
}

export const TEST_WABA_ID = '102290129340398';
export const TEST_WHATSAPP_METADATA = { display_phone_number: '15550783881', phone_number_id: '106540352242922' } as const;

export interface WhatsAppTextInput {
  /** The customer's WhatsApp id: digits with country code, no `+`. */
  from: string;
  text: string;
  /** Unix seconds; defaults to 2025-06-08T21:00:00Z. */
  timestamp?: number;
  profileName?: string;
  seed?: string;
}

/** A WhatsApp Cloud API `messages` webhook of our test business account, with one change's `value` (messages, statuses, contacts). */
function whatsappWebhook(value: Record<string, unknown>): Record<string, unknown> {
  return {
    object: 'whatsapp_business_account',
    entry: [
      {
        id: TEST_WABA_ID,
        changes: [{ value: { messaging_product: 'whatsapp', metadata: { ...TEST_WHATSAPP_METADATA }, ...value }, field: 'messages' }],
      },
    ],
  };
}

/** One WhatsApp Cloud API `messages` webhook carrying one text message. */
export function whatsappTextPayload(input: WhatsAppTextInput): Record<string, unknown> {
  const { from, text, timestamp = 1_749_416_400, profileName, seed = '' } = input;
  return whatsappWebhook({
    contacts: [profileName === undefined ? { wa_id: from } : { profile: { name: profileName }, wa_id: from }],
    messages: [
      { from, id: testWamid(from, text, String(timestamp), seed), timestamp: String(timestamp), type: 'text', text: { body: text } },
    ],
  });
}

export interface WhatsAppButtonReplyInput {
  /** The customer's WhatsApp id: digits with country code, no `+`. */
  from: string;
  /** The button's id and title as our message set them (`nba:<decisionId>:accept`, "Upgrade"). */
  buttonId: string;
  title: string;
  /** The `wamid` of our message whose button was pressed (the Cloud API's answer to our send). */
  contextId: string;
  /** Unix seconds; defaults to 2025-06-08T21:00:00Z. */
  timestamp?: number;
}

/** One WhatsApp Cloud API `messages` webhook carrying a tap on one of our message's reply buttons. */
export function whatsappButtonReplyPayload(input: WhatsAppButtonReplyInput): Record<string, unknown> {
  const { from, buttonId, title, contextId, timestamp = 1_749_416_400 } = input;
  return whatsappWebhook({
    contacts: [{ wa_id: from }],
    messages: [
      {
        from,
        id: testWamid(from, 'button', buttonId, String(timestamp)),
        timestamp: String(timestamp),
        type: 'interactive',
        interactive: { type: 'button_reply', button_reply: { id: buttonId, title } },
        context: { from: TEST_WHATSAPP_METADATA.display_phone_number, id: contextId },
      },
    ],
  });
}

/** One WhatsApp Cloud API `messages` webhook carrying the status of a message we sent (`id`: its `wamid`). */
export function whatsappStatusPayload(input: {
  id: string;
  status: 'sent' | 'delivered' | 'read' | 'failed';
  recipientId: string;
  timestamp?: number;
}): Record<string, unknown> {
  const { id, status, recipientId, timestamp = 1_749_416_400 } = input;
  return whatsappWebhook({ statuses: [{ id, status, timestamp: String(timestamp), recipient_id: recipientId }] });
}

export const TEST_PAGE_ID = '102030405060708';
export const TEST_INSTAGRAM_ACCOUNT_ID = '17841400000000001';

export interface MetaMessagingTextInput {
  /** The customer's PSID (Messenger) or IGSID (Instagram): a numeric id. */
  from: string;
  text: string;
  /** Milliseconds; defaults to 2025-01-01T10:00:00.123Z. */
  timestamp?: number;
  seed?: string;
}

function messagingTextPayload(
  object: 'page' | 'instagram',
  accountId: string,
  midPrefix: string,
  input: MetaMessagingTextInput,
): Record<string, unknown> {
  const { from, text, timestamp = 1_735_725_600_123, seed = '' } = input;
  const mid = `${midPrefix}${Buffer.from(hex('mid', object, from, text, String(timestamp), seed), 'hex').toString('base64url')}`;
  return {
    object,
    entry: [
      {
        id: accountId,
        time: timestamp + 400,
        messaging: [{ sender: { id: from }, recipient: { id: accountId }, timestamp, message: { mid, text } }],
      },
    ],
  };
}

/** One Messenger webhook (`object: 'page'`) carrying one text message from `from` (a PSID). */
export const messengerTextPayload = (input: MetaMessagingTextInput): Record<string, unknown> =>
  messagingTextPayload('page', TEST_PAGE_ID, 'm_', input);

/** One Instagram webhook (`object: 'instagram'`) carrying one text message from `from` (an IGSID). */
export const instagramTextPayload = (input: MetaMessagingTextInput): Record<string, unknown> =>
  messagingTextPayload('instagram', TEST_INSTAGRAM_ACCOUNT_ID, 'aWdfZAG1faXRlbToxOklHTWVzc2FnZAU', input);

/** A numeric platform id (PSID / IGSID) derived from a name, for tests that need many customers. */
export const testPlatformId = (name: string): string => digits(17, 'platform-id', name);
