import type { CustomerEvent } from '@hub/customer';

/** One row of the cross-channel timeline read model. */
export interface TimelineEntry {
  tenantId: string;
  customerId: string;
  eventId: string;
  streamRevision: string;
  occurredAt: string;
  recordedAt: string;
  channel: string;
  direction: string;
  kind: string;
  text: string | null;
  media: { url: string; contentType?: string }[];
  provider: { name: string; messageId: string };
  /** The provider's conversation thread, when the channel has one. */
  threadId?: string;
}

/** The event types this projection handles; every other type is ignored on purpose. */
export const TIMELINE_HANDLED_TYPES = ['CustomerRegistered', 'InteractionRecorded', 'CustomerErased', 'CustomerMergedInto', 'CustomerRestored'] as const;

type IdentityRow = { kind: string; value: string; namespace?: string };

export type TimelineChange =
  | { kind: 'purge'; tenantId: string; customerId: string }
  /** `customerId` was merged into `survivorId`: its entries show in the survivor's timeline. */
  | { kind: 'merge'; tenantId: string; customerId: string; survivorId: string }
  /** `customerId` was restored by an unmerge, with these identities back. */
  | { kind: 'unmerge'; tenantId: string; customerId: string; identitiesReturned: IdentityRow[] }
  | { kind: 'customer'; tenantId: string; customerId: string; identity: { kind: string; value: string; namespace?: string }; at: string }
  | { kind: 'entry'; entry: TimelineEntry; identities: { kind: string; value: string; namespace?: string }[] };

/**
 * Pure: what one customer event changes in the timeline read model. The store applies it
 * idempotently (keyed by event id), so a redelivered event changes nothing.
 */
export function timelineChangeFor(tenantId: string, customerId: string, revision: bigint, event: CustomerEvent): TimelineChange | undefined {
  switch (event.type) {
    case 'CustomerRegistered':
      return { kind: 'customer', tenantId, customerId, identity: event.data.identity, at: event.metadata.occurredAt };
    case 'InteractionRecorded': {
      const d = event.data;
      return {
        kind: 'entry',
        identities: d.identities,
        entry: {
          tenantId,
          customerId,
          eventId: event.metadata.eventId,
          streamRevision: revision.toString(),
          occurredAt: event.metadata.occurredAt,
          recordedAt: event.metadata.recordedAt,
          channel: d.channel,
          direction: d.direction,
          kind: d.kind,
          text: d.content.text ?? null,
          media: d.content.media,
          provider: { name: d.provider.name, messageId: d.provider.messageId },
          ...(d.threadId ? { threadId: d.threadId } : {}),
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
    // Not part of the timeline: decisions and profile facts (the customer summary reads state).
    case 'NextBestActionDecided':
    case 'ConsentChanged':
    case 'TraitsUpdated':
    case 'SurveyAnswered':
    case 'OrderPlaced':
    case 'OrderRefunded':
    case 'ConversationResolved':
    case 'CustomersMerged':
    case 'CustomerUnmerged':
    case 'MergeProposed':
      return undefined;
    default: {
      const exhaustive: never = event;
      return exhaustive;
    }
  }
}
