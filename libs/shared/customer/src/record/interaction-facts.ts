import { deterministicId, type ChannelId, type EventMetadata, type InteractionReceived } from '@hub/contracts';
import type { ConsentChanged, CustomerEvent } from '../events/customer.events';

/**
 * What an interaction tells us beyond itself, recorded as the customer events the state is folded
 * from: a consent keyword becomes ConsentChanged, a survey response SurveyAnswered, an order
 * OrderPlaced or OrderRefunded. Each id is derived from the interaction's, so a redelivery derives
 * nothing new; each is caused by the interaction and happened when it did.
 */
export function derivedFacts(interaction: InteractionReceived, channel: ChannelId, metadata: EventMetadata): CustomerEvent[] {
  const d = interaction.data;
  const derived = (kind: string) => ({
    ...metadata,
    eventId: deterministicId('derived', kind, metadata.eventId),
    causationId: metadata.eventId,
  });
  const out: CustomerEvent[] = [];
  if (d.direction === 'inbound' && d.consent && d.consent.signal !== 'help') {
    out.push({
      type: 'ConsentChanged',
      data: { channel, consent: d.consent.signal === 'opt_out' ? 'opted_out' : 'opted_in', source: 'keyword' },
      metadata: derived('consent'),
    });
  }
  if (d.kind === 'survey' && d.survey) {
    const s = d.survey;
    // One answer per score the response gave (a form asking CSAT and NPS gave two); the first keeps
    // the id a single-score response has always derived.
    const scores = s.scores && s.scores.length > 0 ? s.scores : [{ kind: s.kind, score: s.score }];
    scores.forEach((score, i) => {
      const data = { survey: score.kind, score: score.score, ...(s.conversationId ? { conversationId: s.conversationId } : {}) };
      out.push({ type: 'SurveyAnswered', data, metadata: derived(i === 0 ? 'survey' : `survey:${i}`) });
    });
  }
  if (d.kind === 'order' && d.order) {
    const o = d.order;
    out.push(
      o.action === 'created'
        ? { type: 'OrderPlaced', data: { orderId: o.orderId, amount: o.amount, currency: o.currency }, metadata: derived('order') }
        : { type: 'OrderRefunded', data: { orderId: o.orderId, amount: o.amount, currency: o.currency }, metadata: derived('order') },
    );
  }
  return out;
}

/**
 * A platform's own subscribe or unsubscribe (kind `subscription`) as the consent change it is
 * (source `platform`), under the interaction's own event id: it is recorded in place of the
 * interaction, not beside it, for it is not a contact. Undefined for any other kind.
 */
export function platformConsentChange(
  interaction: InteractionReceived,
  channel: ChannelId,
  metadata: EventMetadata,
): ConsentChanged | undefined {
  const d = interaction.data;
  if (d.kind !== 'subscription' || !d.subscription) return undefined;
  return {
    type: 'ConsentChanged',
    data: { channel, consent: d.subscription.status === 'unsubscribed' ? 'opted_out' : 'opted_in', source: 'platform' },
    metadata,
  };
}

/**
 * The merge-evidence source an interaction carrying identities of two customers amounts to, for the
 * merge policy (DEFAULT_MERGE_POLICY: `paid_order` merges at once, `chat_typed_detail` and anything
 * unnamed only propose): an order's email and phone come from the shop's customer account; what the
 * channel says is weak (`data.mergeEvidence`: a visitor typed it into a chat) is that; anything else
 * (a survey link's details, a contact card) is named after its channel and kind, and a person confirms.
 */
export function mergeEvidenceSource(interaction: InteractionReceived): string {
  const d = interaction.data;
  if (d.kind === 'order' && d.order?.action === 'created') return 'paid_order';
  if (d.mergeEvidence !== undefined) return d.mergeEvidence;
  return `${interaction.metadata.channel}_${d.kind}`;
}
