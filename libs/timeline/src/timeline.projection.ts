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
}

/** The event types this projection handles; every other type is ignored on purpose. */
export const TIMELINE_HANDLED_TYPES = ['CustomerRegistered', 'InteractionRecorded', 'CustomerErased'] as const;

export type TimelineChange =
  | { kind: 'purge'; tenantId: string; customerId: string }
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
        },
      };
    }
    case 'CustomerErased':
      return { kind: 'purge', tenantId, customerId };
    // Not (yet) part of the timeline: decisions, profile facts, merges (issue #5 projects merges).
    case 'NextBestActionDecided':
    case 'ConsentChanged':
    case 'TraitsUpdated':
    case 'SurveyAnswered':
    case 'OrderPlaced':
    case 'OrderRefunded':
    case 'ConversationResolved':
    case 'CustomersMerged':
    case 'CustomerMergedInto':
    case 'CustomerUnmerged':
    case 'CustomerRestored':
    case 'MergeProposed':
      return undefined;
    default: {
      const exhaustive: never = event;
      return exhaustive;
    }
  }
}
