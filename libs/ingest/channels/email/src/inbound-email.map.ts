import { deterministicId, INTERACTION_RECEIVED_SCHEMA_VERSION, type IdentityRef, type InteractionReceived } from '@hub/contracts';
import { ChannelMappingError, type MapContext } from '@hub/channels-core';
import { normalizeEmail } from '@hub/customer';
import { bounded, MAX_LISTED, MAX_SUBJECT_CHARS, type InboundEmail } from './inbound-email';

/** The longest Message-ID kept as `provider.messageId` (the contract's limit); longer ones are hashed. */
const MAX_PROVIDER_MESSAGE_ID_CHARS = 256;
const MAX_ADDRESS_CHARS = 320;

/**
 * The Message-ID of a message, or for one without, a stand-in derived from its bytes: shaped like a
 * Message-ID under the reserved `.invalid` domain, so it can never collide with a real one.
 */
export function effectiveMessageId(email: InboundEmail): string {
  return email.messageId ?? `<sha256-${email.rawSha256}@hub.invalid>`;
}

/**
 * The thread an email belongs to: the root of its thread, as every reply names it — the first
 * Message-ID of References, else In-Reply-To, else (a new thread) its own Message-ID.
 */
export function threadRoot(email: InboundEmail): string {
  return email.references[0] ?? email.inReplyTo ?? effectiveMessageId(email);
}

/** A long References list keeps its first id (the thread's root) and the latest ones, as mailers trim it. */
function trimmedReferences(references: readonly string[]): string[] {
  return references.length <= MAX_LISTED ? [...references] : [references[0]!, ...references.slice(references.length - (MAX_LISTED - 1))];
}

/** The sender: the first mailbox of From with an address. */
function senderOf(email: InboundEmail): { address: string; identity: IdentityRef } {
  const mailbox = email.from.find((m) => m.address !== '');
  if (!mailbox)
    throw new ChannelMappingError(
      `from: no sender address (From names ${JSON.stringify(
        email.from
          .map((m) => m.name)
          .join(', ')
          .slice(0, 64),
      )})`,
      'from',
    );
  const identity = normalizeEmail(mailbox.address);
  if (!identity.ok || mailbox.address.length > MAX_ADDRESS_CHARS) {
    throw new ChannelMappingError(
      `from: ${identity.ok ? 'address too long' : identity.reason}: ${JSON.stringify(mailbox.address.slice(0, 64))}`,
      'from',
    );
  }
  return { address: mailbox.address, identity: identity.identity };
}

/**
 * One inbound email as the canonical `InteractionReceived` (kind `email`), the same for every
 * provider. Pure: time comes from the context, ids from the message.
 */
export function mapInboundEmail(email: InboundEmail, provider: string, { tenantId, receivedAt }: MapContext): InteractionReceived[] {
  const sender = senderOf(email);
  const messageId = effectiveMessageId(email);
  const threadId = threadRoot(email);
  const eventId = deterministicId('email', provider, messageId);
  const endpoint = email.deliveredTo ?? email.to[0] ?? email.cc[0];
  return [
    {
      type: 'InteractionReceived',
      data: {
        direction: 'inbound',
        kind: 'email',
        identities: [sender.identity],
        content: email.text !== undefined && email.text !== '' ? { text: email.text, media: [] } : { media: [] },
        provider: {
          name: provider,
          messageId: messageId.length <= MAX_PROVIDER_MESSAGE_ID_CHARS ? messageId : `sha256:${email.rawSha256}`,
        },
        ...(endpoint !== undefined && endpoint.length <= MAX_ADDRESS_CHARS ? { endpoint } : {}),
        threadId,
        email: {
          messageId,
          ...(email.subject !== undefined ? { subject: bounded(email.subject, MAX_SUBJECT_CHARS) } : {}),
          ...(email.inReplyTo !== undefined ? { inReplyTo: email.inReplyTo } : {}),
          references: trimmedReferences(email.references),
          from: sender.address,
          to: email.to.slice(0, MAX_LISTED),
          cc: email.cc.slice(0, MAX_LISTED),
          textFromHtml: email.textFromHtml,
          attachments: email.attachments.map((a) => ({ ...a })),
        },
      },
      metadata: {
        eventId,
        // Every message of a thread shares one correlation id: the thread is email's conversation.
        correlationId: deterministicId('email', 'thread', threadId),
        causationId: eventId,
        // The Date header (the sender's clock); without one, when the hub received the email.
        occurredAt: email.date ?? receivedAt,
        occurredAtSource: email.date === undefined ? 'received' : 'provider',
        recordedAt: receivedAt,
        schemaVersion: INTERACTION_RECEIVED_SCHEMA_VERSION,
        tenantId,
        channel: 'email',
      },
    },
  ];
}
