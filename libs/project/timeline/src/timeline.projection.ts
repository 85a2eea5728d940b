import type { InteractionData, OccurredAtSource } from '@hub/contracts';
import type { CustomerEvent, OrderPlaced, OrderRefunded, SurveyAnswered } from '@hub/customer';

/** The fields of `InteractionData` an entry keeps as its details, in this order. */
export const INTERACTION_DETAIL_FIELDS = [
  'call',
  'email',
  'order',
  'survey',
  'delivery',
  'reaction',
  'consent',
  'interactive',
  'attributes',
] as const;

/**
 * What only some kinds of interaction carry, as recorded: the facet of the entry's kind (`call`,
 * `email`, `order`, `survey`, `delivery`, `reaction`), and `consent`, `interactive` and the
 * platform's own `attributes` when the interaction has them (an interaction with `edits` is no entry: see `TimelineEdit`). Shown to
 * analysts as it is, in the timeline API and in exports.
 */
export type InteractionDetails = Partial<Pick<InteractionData, (typeof INTERACTION_DETAIL_FIELDS)[number]>>;

/** The details an interaction carries, or undefined when it has none (a plain message). */
export function interactionDetails(data: Partial<InteractionData>): InteractionDetails | undefined {
  const details: Record<string, unknown> = {};
  for (const field of INTERACTION_DETAIL_FIELDS) if (data[field] !== undefined) details[field] = data[field];
  return Object.keys(details).length > 0 ? (details as InteractionDetails) : undefined;
}

/**
 * Facts about the customer the summary folds into value and satisfaction (and so the quadrant):
 * the derived events, not the `InteractionRecorded` they came with, so each fact counts once.
 */
export type SummaryFact = OrderPlaced | OrderRefunded | SurveyAnswered;

/** One row of the cross-channel timeline read model. */
export interface TimelineEntry {
  tenantId: string;
  customerId: string;
  eventId: string;
  streamRevision: string;
  occurredAt: string;
  /**
   * Where `occurredAt` came from: the provider's timestamp, or the time the webhook was received
   * (the provider sent none). Absent for interactions recorded before adapters said.
   */
  occurredAtSource?: OccurredAtSource;
  recordedAt: string;
  channel: string;
  direction: string;
  kind: string;
  text: string | null;
  media: { url: string; contentType?: string }[];
  provider: { name: string; messageId: string };
  /** The provider's conversation thread, when the channel has one. */
  threadId?: string;
  /** The interaction's facets (see `InteractionDetails`); absent for a plain message. */
  details?: InteractionDetails;
  /**
   * The text signals the recorder found in an inbound message's words (`data.textSignals.found`),
   * when it found any: what the churn risk's `stated_*` reasons read. Absent otherwise.
   */
  textSignals?: string[];
}

/**
 * A new version of an earlier message (Telegram `edited_message`, Messenger/Instagram `message_edit`
 * or an unsent message): an `InteractionRecorded` whose `edits` names the provider id of the message
 * edited. It is not an entry of its own: the original entry (same tenant, channel, provider and
 * provider message id) shows the latest version, by `occurredAt`, and keeps every version.
 */
export type TimelineEdit = Pick<
  TimelineEntry,
  'tenantId' | 'customerId' | 'eventId' | 'streamRevision' | 'occurredAt' | 'recordedAt' | 'channel' | 'provider' | 'text' | 'media'
>;

/** What an edited entry keeps: what it said first, then every edit, oldest first. */
export interface EditHistory {
  original: { text: string | null; media: { url: string; contentType?: string }[] };
  edits: { eventId: string; occurredAt: string; text: string | null; media: { url: string; contentType?: string }[] }[];
}

/** The event types this projection handles; every other type is ignored on purpose. */
export const TIMELINE_HANDLED_TYPES = [
  'CustomerRegistered',
  'InteractionRecorded',
  'CustomerErased',
  'CustomerMergedInto',
  'CustomerRestored',
  'OrderPlaced',
  'OrderRefunded',
  'SurveyAnswered',
] as const;

type IdentityRow = { kind: string; value: string; namespace?: string };

export type TimelineChange =
  | { kind: 'purge'; tenantId: string; customerId: string }
  /** `customerId` was merged into `survivorId`: its entries show in the survivor's timeline. */
  | { kind: 'merge'; tenantId: string; customerId: string; survivorId: string }
  /** `customerId` was restored by an unmerge, with these identities back. */
  | { kind: 'unmerge'; tenantId: string; customerId: string; identitiesReturned: IdentityRow[] }
  | { kind: 'customer'; tenantId: string; customerId: string; identity: { kind: string; value: string; namespace?: string }; at: string }
  | { kind: 'entry'; entry: TimelineEntry; identities: { kind: string; value: string; namespace?: string }[] }
  /** A new version of the entry whose provider message id `edit.provider.messageId` is. */
  | { kind: 'edit'; edit: TimelineEdit }
  /** An order, refund or survey answer of the customer: folded into the summary's value, satisfaction and quadrant. */
  | { kind: 'fact'; tenantId: string; customerId: string; streamRevision: string; fact: SummaryFact };

/**
 * Pure: what one customer event changes in the timeline read model. The store applies it
 * idempotently (keyed by event id), so a redelivered event changes nothing.
 */
export function timelineChangeFor(
  tenantId: string,
  customerId: string,
  revision: bigint,
  event: CustomerEvent,
): TimelineChange | undefined {
  switch (event.type) {
    case 'CustomerRegistered':
      return { kind: 'customer', tenantId, customerId, identity: event.data.identity, at: event.metadata.occurredAt };
    case 'InteractionRecorded': {
      const d = event.data;
      if (d.edits !== undefined) {
        return {
          kind: 'edit',
          edit: {
            tenantId,
            customerId,
            eventId: event.metadata.eventId,
            streamRevision: revision.toString(),
            occurredAt: event.metadata.occurredAt,
            recordedAt: event.metadata.recordedAt,
            channel: d.channel,
            provider: { name: d.provider.name, messageId: d.edits },
            text: d.content.text ?? null,
            media: d.content.media,
          },
        };
      }
      const details = interactionDetails(d);
      return {
        kind: 'entry',
        identities: d.identities,
        entry: {
          tenantId,
          customerId,
          eventId: event.metadata.eventId,
          streamRevision: revision.toString(),
          occurredAt: event.metadata.occurredAt,
          ...(event.metadata.occurredAtSource ? { occurredAtSource: event.metadata.occurredAtSource } : {}),
          recordedAt: event.metadata.recordedAt,
          channel: d.channel,
          direction: d.direction,
          kind: d.kind,
          text: d.content.text ?? null,
          media: d.content.media,
          provider: { name: d.provider.name, messageId: d.provider.messageId },
          ...(d.threadId ? { threadId: d.threadId } : {}),
          ...(details ? { details } : {}),
          ...(d.direction === 'inbound' && d.textSignals?.found.length ? { textSignals: [...d.textSignals.found] } : {}),
        },
      };
    }
    case 'CustomerErased':
      return { kind: 'purge', tenantId, customerId };
    // Merges and unmerges are projected from the merged / restored customer's own stream.
    case 'CustomerMergedInto':
      return { kind: 'merge', tenantId, customerId, survivorId: event.data.survivorId };
    case 'CustomerRestored':
      return { kind: 'unmerge', tenantId, customerId, identitiesReturned: event.data.identitiesReturned };
    // Value and satisfaction of the summary come from the derived events, which count each fact
    // once (an order reported twice is one order); the InteractionRecorded beside them is the entry.
    case 'OrderPlaced':
    case 'OrderRefunded':
    case 'SurveyAnswered':
      return { kind: 'fact', tenantId, customerId, streamRevision: revision.toString(), fact: event };
    // Not part of the timeline: decisions and other profile facts (the customer summary reads state).
    case 'NextBestActionDecided':
    case 'NbaOutcomeRecorded':
    case 'ConsentChanged':
    case 'TraitsUpdated':
    case 'ConversationResolved':
    case 'CustomersMerged':
    case 'CustomerUnmerged':
    case 'MergeProposed':
    case 'MergeProposalRejected':
    case 'WorkItemOpened':
    case 'WorkItemClaimed':
    case 'WorkItemReassigned':
    case 'WorkItemResolved':
      // Work items are projected by the nba-worker into `work_items` (@hub/work-items).
      return undefined;
    default: {
      const exhaustive: never = event;
      return exhaustive;
    }
  }
}
