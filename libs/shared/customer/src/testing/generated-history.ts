import type { CustomerEvent } from '../events/customer.events';
import {
  consentChanged,
  conversationResolved,
  email,
  external,
  inbound,
  meta,
  orderPlaced,
  orderRefunded,
  outbound,
  phone,
  registered,
  SMS,
  surveyAnswered,
  traitsUpdated,
  WHATSAPP,
} from './customer-events.fixtures';

/** mulberry32: a small seeded PRNG, so every run generates the same "random" histories. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const BASE = Date.parse('2025-01-01T00:00:00.000Z');
const TEXTS = ['hi', 'STOP', 'start', 'where is my order?', 'thanks', undefined, 'refund please'];

/**
 * A deterministic history of every kind of customer event for property-style specs: times jump
 * around (late arrivals), orders repeat, merges are made and undone. Same seed, same history.
 */
export function generatedHistory(seed: number, length: number, { erase = false }: { erase?: boolean } = {}): CustomerEvent[] {
  const rnd = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const events: CustomerEvent[] = [registered('c-1', new Date(BASE).toISOString(), phone())];
  let workItems = 0;
  for (let i = 0; i < length; i++) {
    const at = new Date(BASE + Math.floor(rnd() * 200) * 86_400_000 + Math.floor(rnd() * 86_400_000)).toISOString();
    const id = `e${seed}-${i}`;
    const channel = pick([SMS, WHATSAPP]);
    const threadId = pick([undefined, 'T1', 'T2']);
    const kind = Math.floor(rnd() * 15);
    switch (kind) {
      case 0:
      case 1:
      case 2:
        events.push(
          inbound(id, at, {
            channel,
            ...(threadId ? { threadId } : {}),
            ...(pick(TEXTS) !== undefined ? { text: pick(TEXTS.filter((t): t is string => t !== undefined)) } : {}),
            identities: [pick([phone(), email(), external('shop', `${i % 3}`)])],
          }),
        );
        break;
      case 3:
        events.push(outbound(id, at, { channel, text: 'reply' }));
        break;
      case 4:
        events.push(consentChanged(id, at, pick(['opted_in', 'opted_out'] as const), { channel, source: pick(['web_form', 'agent']) }));
        break;
      case 5:
        events.push(traitsUpdated(id, at, { [pick(['tier', 'language', 'constructor'])]: pick(['gold', 'de', null, 3, true]) }));
        break;
      case 6:
        events.push(surveyAnswered(id, at, 'csat', 1 + Math.floor(rnd() * 5)));
        break;
      case 7:
        events.push(surveyAnswered(id, at, 'nps', Math.floor(rnd() * 11)));
        break;
      case 8:
        events.push(orderPlaced(id, at, `A-${Math.floor(rnd() * 8)}`, Math.floor(rnd() * 100_00), pick(['EUR', 'USD'])));
        break;
      case 9:
        events.push(orderRefunded(id, at, `A-${Math.floor(rnd() * 8)}`, Math.floor(rnd() * 20_00), pick(['EUR', 'USD'])));
        break;
      case 10:
        events.push(conversationResolved(id, at, { channel, ...(threadId ? { threadId } : {}) }));
        break;
      case 11: {
        const mergeId = `m-${i}`;
        events.push({
          type: 'CustomersMerged',
          data: {
            mergeId,
            survivorId: 'c-1',
            mergedId: `c-other-${i}`,
            reason: 'test',
            evidence: { source: 'paid_order', detail: '', identities: [] },
            identitiesMoved: [email(`x${i}@example.com`)],
          },
          metadata: meta(id, at),
        });
        if (rnd() < 0.5) {
          events.push({
            type: 'CustomerUnmerged',
            data: { mergeId, restoredId: `c-other-${i}`, reason: 'wrong', identitiesReturned: [email(`x${i}@example.com`)] },
            metadata: meta(`${id}-u`, at),
          });
        }
        break;
      }
      case 12: {
        const mergeId = `mi-${i}`;
        events.push({
          type: 'CustomerMergedInto',
          data: { mergeId, survivorId: `c-survivor-${i}`, reason: 'test', source: 'paid_order', identitiesHandedOver: [phone(), email()] },
          metadata: meta(id, at),
        });
        events.push({
          type: 'CustomerRestored',
          data: { mergeId, survivorId: `c-survivor-${i}`, reason: 'wrong', identitiesReturned: [phone(), email()] },
          metadata: meta(`${id}-r`, at),
        });
        break;
      }
      case 13:
        events.push({
          type: 'MergeProposed',
          data: {
            proposalId: `p-${i}`,
            survivorId: 'c-1',
            mergedId: `c-other-${i % 4}`,
            reason: 'typed',
            evidence: { source: 'chat_typed_detail', detail: '', identities: [] },
            identitiesMoving: [],
          },
          metadata: meta(id, at),
        });
        // Every other proposal, a person rejects.
        if (i % 2 === 0) {
          events.push({
            type: 'MergeProposalRejected',
            data: { proposalId: `p-${i}`, survivorId: 'c-1', mergedId: `c-other-${i % 4}`, reason: 'not the same person' },
            metadata: meta(`${id}-rejected`, at),
          });
        }
        break;
      default:
        events.push({
          type: 'NextBestActionDecided',
          data: {
            decisionId: id,
            customerId: 'c-1',
            action: { kind: 'none', code: 'no_action', detail: '' },
            explanation: { ruleId: 'default-none', reason: '', inputs: { n: i } },
            strategyVersion: 'rules-v0.2',
            catalogVersion: null,
            seed: null,
            basedOnRevision: String(i),
            basedOnEventId: id,
            contactMode: 'none',
            segment: null,
            arbitration: null,
          },
          metadata: meta(id, at),
        });
        // Every other decision gets an outcome (no draw from rnd: the rest of the history stays as it was).
        if (i % 2 === 0) {
          events.push({
            type: 'NbaOutcomeRecorded',
            data: {
              decisionId: id,
              actionId: 'no_action',
              outcome: (['accepted', 'declined', 'no_response'] as const)[i % 3]!,
              segment: null,
              source: 'timeout',
            },
            metadata: meta(`${id}-outcome`, at),
          });
        }
        // Every third decision opens a work item, every other one worked to its end (no draw from rnd either).
        if (i % 3 === 0) {
          const workItemId = `wi-${id}`;
          events.push({
            type: 'WorkItemOpened',
            data: { workItemId, decisionId: id, actionId: 'escalate_specialist', queue: 'specialists', priority: 'normal', dueAt: at },
            metadata: meta(workItemId, at),
          });
          if (workItems++ % 2 === 0) {
            events.push(
              { type: 'WorkItemClaimed', data: { workItemId, agent: 'agent-1' }, metadata: meta(`${workItemId}-c`, at) },
              {
                type: 'WorkItemReassigned',
                data: { workItemId, from: 'agent-1', to: 'agent-2', reason: 'expertise' },
                metadata: meta(`${workItemId}-r`, at),
              },
              {
                type: 'WorkItemResolved',
                data: { workItemId, resolution: 'solved', by: 'agent-2' },
                metadata: meta(`${workItemId}-s`, at),
              },
            );
          }
        }
    }
  }
  // Erasure, when asked for, ends the history: nothing follows it for an erased customer.
  const last = events.at(-1);
  if (erase && last)
    events.push({
      type: 'CustomerErased',
      data: { customerId: 'c-1', reason: 'gdpr-art17', requestedBy: 'operator-1' },
      metadata: meta(`${last.metadata.eventId}-erased`, last.metadata.occurredAt),
    });
  return events;
}
