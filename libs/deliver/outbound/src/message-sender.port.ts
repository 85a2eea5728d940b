import type { ChannelId } from '@hub/contracts';
import type { NbaChannelAddress } from '@hub/customer';
import type { ProviderLookupOutcome, ProviderSendOutcome } from './outbound-send';
import type { ReplyButton } from './outbound-templates';

/** One message to send, as a provider sender gets it. */
export interface OutboundMessage {
  tenantId: string;
  customerId: string;
  /** The send's deterministic id (`sendIdOf`): each sender puts it in its request where the provider keeps it, or documents why it cannot. */
  sendId: string;
  channel: ChannelId;
  to: NbaChannelAddress;
  body: string;
  /** The subject, for a channel that has one (email). */
  subject?: string;
  /** Reply buttons, for a channel that shows them (a sender of a channel without ignores them). */
  buttons?: readonly ReplyButton[];
  /** On a channel with a 24-hour window: whether it is open (free text and interactive messages) or not. */
  serviceWindow?: 'open' | 'closed';
  /** With the window closed: the approved template to send instead of the text. */
  template?: ApprovedTemplate;
}

/** A message template the provider approved (WhatsApp): its name and language; `body` parameters filled in order. */
export interface ApprovedTemplate {
  name: string;
  language: string;
}

/** What a lookup searches for: the message of one send, made at or after its first intent. */
export interface SendLookup extends OutboundMessage {
  intentAt: string;
  /** Message ids the ledger holds for other sends: never the answer. */
  isClaimed(providerMessageIds: readonly string[]): Promise<Set<string>>;
}

/**
 * A provider's sending API for one channel (Twilio Messages for `sms`, …). Adapters classify every
 * answer (`ProviderSendOutcome`): accepted with the provider's id; rejected for good with its code;
 * refused for now with nothing sent; or unknown — only the last leaves a send in doubt.
 */
export interface MessageSender {
  /** The provider's name as the ledger and the interaction record it (`twilio`). */
  readonly provider: string;
  readonly channel: ChannelId;
  /** Our number, inbox or page: the interaction's `endpoint`. */
  readonly endpoint?: string;
  send(message: OutboundMessage): Promise<ProviderSendOutcome>;
  /** Find the message of an in-doubt send at the provider. */
  lookup(query: SendLookup): Promise<ProviderLookupOutcome>;
}
