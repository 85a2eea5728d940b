import type { IdentityRef } from '@hub/contracts';
import type { CustomerEvent, MergeEvidence } from '../events/customer.events';
import { foldCustomer } from '../state/customer.evolve';
import type { CustomerState } from '../state/customer.state';
import { deepFreeze, email, external, inbound, meta, phone, registered, TENANT } from '../testing/customer-events.fixtures';
import {
  decideMerge,
  decideRejectProposal,
  decideUnmerge,
  previewMerge,
  type MergeCustomers,
  type RejectMergeProposal,
  type UnmergeCustomers,
} from './merge.decide';
import { DEFAULT_MERGE_POLICY, type MergePolicy } from './merge.policy';

const NOW = '2025-03-01T12:00:00.000Z';
const LATER = '2025-03-05T12:00:00.000Z';
const ALICE_PHONE = phone('+14155550100');
const ALICE_EMAIL = email('alice@example.com');
const SHOP = external('shopify', '9001');

/** Alice, known by phone since January. */
const aliceEvents: CustomerEvent[] = [registered('c-alice', '2025-01-01T09:00:00.000Z', ALICE_PHONE)];
/** The same Alice, known by email and her shop account since February. */
const emailEvents: CustomerEvent[] = [
  registered('c-email', '2025-02-01T09:00:00.000Z', ALICE_EMAIL),
  inbound('e1', '2025-02-01T09:00:00.000Z', { identities: [ALICE_EMAIL, SHOP] }),
];
const alice = foldCustomer(aliceEvents);
const aliceByEmail = foldCustomer(emailEvents);

const evidence = (source: string, identities: IdentityRef[] = [ALICE_PHONE, ALICE_EMAIL]): MergeEvidence => ({
  source,
  detail: `${source}: phone and email on order #1001`,
  identities,
});

const command = (source: string, over: Partial<MergeCustomers> = {}): MergeCustomers => ({
  tenantId: TENANT,
  survivorId: 'c-alice',
  mergedId: 'c-email',
  evidence: evidence(source),
  causationId: 'order-1001-paid',
  correlationId: 'corr-1',
  ...over,
});

const withIdentities = (customerId: string, registeredAt: string, identities: IdentityRef[]): CustomerState =>
  foldCustomer([registered(customerId, registeredAt, identities[0]!), inbound(`${customerId}-m`, registeredAt, { identities })]);

describe('previewMerge', () => {
  describe('given two customers and evidence the policy merges automatically', () => {
    const preview = previewMerge(aliceByEmail, alice, evidence('paid_order'), DEFAULT_MERGE_POLICY);

    it('then it would merge into the customer registered first, whatever order they are given in', () => {
      expect(preview).toEqual({
        decision: 'merge',
        survivorId: 'c-alice',
        mergedId: 'c-email',
        reasonCode: 'policy_auto',
        reason: 'evidence "paid_order" merges automatically: paid_order: phone and email on order #1001',
        identitiesMoving: [ALICE_EMAIL, SHOP],
      });
      expect(previewMerge(alice, aliceByEmail, evidence('paid_order'), DEFAULT_MERGE_POLICY)).toEqual(preview);
    });

    it('then nothing changes: the states are not touched', () => {
      const a = deepFreeze(structuredClone(alice));
      const b = deepFreeze(structuredClone(aliceByEmail));
      expect(() => previewMerge(a, b, evidence('paid_order'), DEFAULT_MERGE_POLICY)).not.toThrow();
      expect(a).toEqual(alice);
      expect(b).toEqual(aliceByEmail);
    });
  });

  describe('given two customers registered at the same instant', () => {
    const x = withIdentities('c-x', '2025-01-01T09:00:00.000Z', [phone('+14155550111')]);
    const y = withIdentities('c-y', '2025-01-01T09:00:00Z', [phone('+14155550122')]);

    it('then the smaller customer id survives', () => {
      expect(previewMerge(y, x, evidence('paid_order'), DEFAULT_MERGE_POLICY)).toMatchObject({ survivorId: 'c-x', mergedId: 'c-y' });
      expect(previewMerge(x, y, evidence('paid_order'), DEFAULT_MERGE_POLICY)).toMatchObject({ survivorId: 'c-x', mergedId: 'c-y' });
    });
  });

  describe('given evidence a customer typed into a chat', () => {
    it('then it only proposes the merge', () => {
      expect(previewMerge(alice, aliceByEmail, evidence('chat_typed_detail'), DEFAULT_MERGE_POLICY)).toMatchObject({
        decision: 'propose',
        reasonCode: 'policy_propose',
      });
    });
  });

  describe('given evidence of a source the policy does not name', () => {
    it('then it only proposes the merge (conservative default)', () => {
      expect(previewMerge(alice, aliceByEmail, evidence('same_ip_address'), DEFAULT_MERGE_POLICY)).toMatchObject({
        decision: 'propose',
        reasonCode: 'policy_propose',
      });
      expect(previewMerge(alice, aliceByEmail, evidence('constructor'), DEFAULT_MERGE_POLICY)).toMatchObject({ decision: 'propose' });
    });
  });

  describe('given a policy configured per tenant', () => {
    const policy: MergePolicy = { ...DEFAULT_MERGE_POLICY, chat_typed_detail: 'auto', paid_order: 'never' };

    it('then each source does what that policy says', () => {
      expect(previewMerge(alice, aliceByEmail, evidence('chat_typed_detail'), policy).decision).toBe('merge');
      expect(previewMerge(alice, aliceByEmail, evidence('paid_order'), policy)).toMatchObject({
        decision: 'refuse',
        reasonCode: 'policy_never',
      });
    });
  });

  describe('given two customers holding different ids in the same external system', () => {
    const a = withIdentities('c-a', '2025-01-01T09:00:00.000Z', [phone('+14155550111'), external('salesforce', '003-A')]);
    const b = withIdentities('c-b', '2025-01-02T09:00:00.000Z', [
      email('b@example.com'),
      external('salesforce', '003-B'),
      external('shopify', '1'),
    ]);

    it('then they are never merged, even on an agent’s confirmation', () => {
      for (const source of ['paid_order', 'agent_confirmed', 'chat_typed_detail']) {
        expect(previewMerge(a, b, evidence(source), DEFAULT_MERGE_POLICY)).toMatchObject({
          decision: 'refuse',
          reasonCode: 'conflicting_external_id',
          reason: 'the customers hold different external ids in salesforce (003-A vs 003-B): never merged',
        });
      }
    });
  });

  describe('given two customers holding the same external id, or ids in different systems', () => {
    const a = withIdentities('c-a', '2025-01-01T09:00:00.000Z', [phone('+14155550111'), external('salesforce', '003-A')]);
    const b = withIdentities('c-b', '2025-01-02T09:00:00.000Z', [
      email('b@example.com'),
      external('salesforce', '003-A'),
      external('shopify', '1'),
    ]);

    it('then nothing conflicts', () => {
      expect(previewMerge(a, b, evidence('paid_order'), DEFAULT_MERGE_POLICY)).toMatchObject({
        decision: 'merge',
        identitiesMoving: [email('b@example.com'), external('shopify', '1')],
      });
    });
  });

  describe('given the same customer twice', () => {
    it('then it refuses', () => {
      expect(previewMerge(alice, alice, evidence('paid_order'), DEFAULT_MERGE_POLICY)).toMatchObject({
        decision: 'refuse',
        reasonCode: 'same_customer',
      });
    });
  });

  describe('given a customer that is not registered', () => {
    it('then it refuses', () => {
      expect(previewMerge(alice, foldCustomer([]), evidence('paid_order'), DEFAULT_MERGE_POLICY)).toMatchObject({
        decision: 'refuse',
        reasonCode: 'unknown_customer',
      });
    });
  });

  describe('given an erased customer', () => {
    const erased = foldCustomer(
      [
        {
          type: 'CustomerErased',
          data: { customerId: 'c-email', reason: 'gdpr-art17', requestedBy: 'dpo' },
          metadata: meta('erased', NOW),
        },
      ],
      aliceByEmail,
    );

    it('then it refuses, whichever side it would be', () => {
      for (const [a, b] of [
        [alice, erased],
        [erased, alice],
      ] as const)
        expect(previewMerge(a, b, evidence('agent_confirmed'), DEFAULT_MERGE_POLICY)).toMatchObject({
          decision: 'refuse',
          reasonCode: 'customer_erased',
        });
    });
  });

  describe('given customers of different tenants', () => {
    const other: CustomerState = { ...aliceByEmail, tenantId: 'globex' };
    it('then it refuses', () => {
      expect(previewMerge(alice, other, evidence('paid_order'), DEFAULT_MERGE_POLICY)).toMatchObject({
        decision: 'refuse',
        reasonCode: 'tenant_mismatch',
      });
    });
  });
});

describe('decideMerge', () => {
  describe('given evidence the policy merges automatically', () => {
    const decision = decideMerge(command('paid_order'), alice, aliceByEmail, DEFAULT_MERGE_POLICY, NOW);

    it('then CustomersMerged goes to the survivor and CustomerMergedInto to the merged customer', () => {
      expect(decision.outcome).toBe('merged');
      expect(decision.survivor.map((e) => e.type)).toEqual(['CustomersMerged']);
      expect(decision.merged.map((e) => e.type)).toEqual(['CustomerMergedInto']);
      expect(decision.survivor[0]?.data).toEqual({
        mergeId: decision.mergeId,
        survivorId: 'c-alice',
        mergedId: 'c-email',
        reason: 'evidence "paid_order" merges automatically: paid_order: phone and email on order #1001',
        evidence: evidence('paid_order'),
        identitiesMoved: [ALICE_EMAIL, SHOP],
      });
      expect(decision.merged[0]?.data).toEqual({
        mergeId: decision.mergeId,
        survivorId: 'c-alice',
        reason: 'evidence "paid_order" merges automatically: paid_order: phone and email on order #1001',
        source: 'paid_order',
        identitiesHandedOver: [ALICE_EMAIL, SHOP],
      });
    });

    it('then every event carries full metadata, with the time given and the command’s cause', () => {
      for (const e of [...decision.survivor, ...decision.merged]) {
        expect(e.metadata).toEqual({
          eventId: expect.stringMatching(/^[0-9a-f-]{36}$/),
          correlationId: 'corr-1',
          causationId: 'order-1001-paid',
          occurredAt: NOW,
          recordedAt: NOW,
          schemaVersion: 1,
          tenantId: TENANT,
          channel: 'system',
        });
      }
      expect(decision.survivor[0]?.metadata.eventId).not.toBe(decision.merged[0]?.metadata.eventId);
    });

    it('then the same command decides the same events, ids included', () => {
      expect(decideMerge(command('paid_order'), alice, aliceByEmail, DEFAULT_MERGE_POLICY, NOW)).toEqual(decision);
    });

    describe('and the events are folded', () => {
      const survivor = foldCustomer(decision.survivor, alice);
      const merged = foldCustomer(decision.merged, aliceByEmail);

      it('then the survivor has both customers’ identities and lists the merged customer', () => {
        expect(survivor.status).toBe('active');
        expect(survivor.identities).toEqual([ALICE_PHONE, ALICE_EMAIL, SHOP]);
        expect(survivor.mergedFrom).toEqual(['c-email']);
        expect(survivor.merges).toEqual([
          {
            mergeId: decision.mergeId,
            role: 'survivor',
            otherId: 'c-email',
            source: 'paid_order',
            reason: expect.any(String),
            mergedAt: NOW,
            identities: [ALICE_EMAIL, SHOP],
          },
        ]);
      });

      it('then the merged customer is merged into the survivor, its identities handed over, its history kept', () => {
        expect(merged.status).toBe('merged');
        expect(merged.mergedInto).toBe('c-alice');
        expect(merged.identities).toEqual([]);
        expect(merged.engagement.total).toBe(1);
      });

      it('then a late interaction in the merged customer’s stream does not make it active again', () => {
        expect(foldCustomer([inbound('late', '2025-03-01T13:00:00.000Z', { identities: [ALICE_EMAIL] })], merged).status).toBe('merged');
      });

      it('then deciding the same merge again changes nothing', () => {
        expect(decideMerge(command('paid_order'), survivor, merged, DEFAULT_MERGE_POLICY, LATER)).toMatchObject({
          outcome: 'unchanged',
          reasonCode: 'already_applied',
          survivor: [],
          merged: [],
        });
      });

      it('then merging the merged customer into anyone else is refused', () => {
        const carol = withIdentities('c-carol', '2024-12-01T09:00:00.000Z', [phone('+14155550199')]);
        expect(decideMerge(command('paid_order', { survivorId: 'c-carol' }), carol, merged, DEFAULT_MERGE_POLICY, LATER)).toMatchObject({
          outcome: 'refused',
          reasonCode: 'customer_merged',
        });
      });
    });

    describe('and only the survivor’s stream was written before a crash', () => {
      const survivor = foldCustomer(decision.survivor, alice);
      const retry = decideMerge(command('paid_order'), survivor, aliceByEmail, DEFAULT_MERGE_POLICY, LATER);

      it('then the retry completes the merge with the same events (the survivor’s is a no-op to append again)', () => {
        expect(retry.outcome).toBe('merged');
        expect(retry.survivor.map((e) => e.metadata.eventId)).toEqual(decision.survivor.map((e) => e.metadata.eventId));
        expect(retry.merged.map((e) => e.metadata.eventId)).toEqual(decision.merged.map((e) => e.metadata.eventId));
        expect(retry.merged[0]?.data).toEqual(decision.merged[0]?.data);
        expect(retry.survivor[0]?.data).toMatchObject({ identitiesMoved: [ALICE_EMAIL, SHOP] });
      });
    });

    describe('and only the merged customer’s stream was written before a crash', () => {
      const merged = foldCustomer(decision.merged, aliceByEmail);
      const retry = decideMerge(command('paid_order'), alice, merged, DEFAULT_MERGE_POLICY, LATER);

      it('then the retry completes the merge from what was recorded, though the merged customer is now merged', () => {
        expect(retry.outcome).toBe('merged');
        expect(retry.survivor).toEqual(
          decision.survivor.map((e) => ({ ...e, metadata: { ...e.metadata, occurredAt: LATER, recordedAt: LATER } })),
        );
        expect(retry.merged.map((e) => e.metadata.eventId)).toEqual(decision.merged.map((e) => e.metadata.eventId));
      });
    });
  });

  describe('given two merges of one customer decided at once, into different survivors', () => {
    const carol = withIdentities('c-carol', '2024-12-01T09:00:00.000Z', [phone('+14155550199')]);
    const first = decideMerge(command('paid_order'), alice, aliceByEmail, DEFAULT_MERGE_POLICY, NOW);
    // The second loses the race on the merged customer's stream and decides again on its new state.
    const mergedByFirst = foldCustomer(first.merged, aliceByEmail);
    const second = decideMerge(
      command('paid_order', { survivorId: 'c-carol', causationId: 'order-2002-paid' }),
      carol,
      mergedByFirst,
      DEFAULT_MERGE_POLICY,
      NOW,
    );

    it('then the one decided on the newer state is refused: a customer is merged into one survivor only', () => {
      expect(second).toMatchObject({ outcome: 'refused', reasonCode: 'customer_merged', survivor: [], merged: [] });
    });
  });

  describe('given evidence that only proposes', () => {
    const decision = decideMerge(command('chat_typed_detail'), alice, aliceByEmail, DEFAULT_MERGE_POLICY, NOW);

    it('then MergeProposed goes to the survivor’s stream and nothing to the other', () => {
      expect(decision.outcome).toBe('proposed');
      expect(decision.merged).toEqual([]);
      expect(decision.survivor).toEqual([
        {
          type: 'MergeProposed',
          data: {
            proposalId: decision.mergeId,
            survivorId: 'c-alice',
            mergedId: 'c-email',
            reason:
              'evidence "chat_typed_detail" only proposes a merge, a person must confirm: chat_typed_detail: phone and email on order #1001',
            evidence: evidence('chat_typed_detail'),
            identitiesMoving: [ALICE_EMAIL, SHOP],
          },
          metadata: expect.objectContaining({ occurredAt: NOW, channel: 'system', causationId: 'order-1001-paid' }),
        },
      ]);
    });

    describe('and it is folded', () => {
      const proposed = foldCustomer(decision.survivor, alice);

      it('then the survivor has a pending proposal and nothing moved', () => {
        expect(proposed.mergeProposals).toEqual([
          { proposalId: decision.mergeId, otherId: 'c-email', source: 'chat_typed_detail', reason: expect.any(String), proposedAt: NOW },
        ]);
        expect(proposed.identities).toEqual([ALICE_PHONE]);
        expect(proposed.mergedFrom).toEqual([]);
      });

      it('then proposing it again changes nothing', () => {
        expect(decideMerge(command('chat_typed_detail'), proposed, aliceByEmail, DEFAULT_MERGE_POLICY, LATER)).toMatchObject({
          outcome: 'unchanged',
          survivor: [],
        });
      });

      describe('and a person rejects it', () => {
        const reject = (proposalId: string): RejectMergeProposal => ({
          tenantId: TENANT,
          survivorId: 'c-alice',
          proposalId,
          reason: 'two different people',
          causationId: 'reject-1',
          correlationId: 'reject-1',
        });
        const rejection = decideRejectProposal(reject(decision.mergeId), proposed, LATER);
        const rejected = foldCustomer(rejection.survivor, proposed);

        it('then MergeProposalRejected goes to the survivor’s stream, naming the pair', () => {
          expect(rejection).toMatchObject({ outcome: 'rejected', reasonCode: 'proposal_rejected' });
          expect(rejection.survivor).toEqual([
            {
              type: 'MergeProposalRejected',
              data: { proposalId: decision.mergeId, survivorId: 'c-alice', mergedId: 'c-email', reason: 'two different people' },
              metadata: expect.objectContaining({ occurredAt: LATER, channel: 'system', causationId: 'reject-1' }),
            },
          ]);
        });

        it('then the proposal is closed and remembered', () => {
          expect(rejected.mergeProposals).toEqual([]);
          expect(rejected.rejectedMergeProposals).toEqual([
            { proposalId: decision.mergeId, otherId: 'c-email', reason: 'two different people', rejectedAt: LATER },
          ]);
        });

        it('then rejecting it again changes nothing, and a proposal never made is refused', () => {
          expect(decideRejectProposal(reject(decision.mergeId), rejected, LATER)).toMatchObject({ outcome: 'unchanged', survivor: [] });
          expect(decideRejectProposal(reject('no-such-proposal'), proposed, LATER)).toMatchObject({
            outcome: 'refused',
            reasonCode: 'proposal_not_found',
            survivor: [],
          });
        });

        it('then new evidence that only proposes proposes nothing for the pair', () => {
          expect(
            decideMerge(command('chat_typed_detail', { causationId: 'chat-again' }), rejected, aliceByEmail, DEFAULT_MERGE_POLICY, LATER),
          ).toMatchObject({ outcome: 'refused', reasonCode: 'previously_rejected', survivor: [] });
        });

        it('then evidence the policy trusts on its own, or a person’s confirmation, still merges', () => {
          expect(
            decideMerge(command('paid_order', { causationId: 'order-2' }), rejected, aliceByEmail, DEFAULT_MERGE_POLICY, LATER).outcome,
          ).toBe('merged');
          expect(
            decideMerge(command('agent_confirmed', { causationId: 'agent-2' }), rejected, aliceByEmail, DEFAULT_MERGE_POLICY, LATER)
              .outcome,
          ).toBe('merged');
        });
      });

      describe('and an agent confirms it', () => {
        const confirmed = decideMerge(
          command('agent_confirmed', {
            causationId: 'agent-confirmation-77',
            evidence: { source: 'agent_confirmed', detail: `agent ann confirmed proposal ${decision.mergeId}`, identities: [] },
          }),
          proposed,
          aliceByEmail,
          DEFAULT_MERGE_POLICY,
          LATER,
        );
        const survivor = foldCustomer(confirmed.survivor, proposed);

        it('then the customers are merged and the proposal is no longer pending', () => {
          expect(confirmed.outcome).toBe('merged');
          expect(survivor.mergedFrom).toEqual(['c-email']);
          expect(survivor.mergeProposals).toEqual([]);
        });
      });
    });
  });

  describe('given customers holding different ids in the same external system', () => {
    const a = withIdentities('c-a', '2025-01-01T09:00:00.000Z', [phone('+14155550111'), external('salesforce', '003-A')]);
    const b = withIdentities('c-b', '2025-01-02T09:00:00.000Z', [email('b@example.com'), external('salesforce', '003-B')]);
    const decision = decideMerge(command('agent_confirmed', { survivorId: 'c-a', mergedId: 'c-b' }), a, b, DEFAULT_MERGE_POLICY, NOW);

    it('then the merge is refused with the reason, and no event is decided', () => {
      expect(decision).toMatchObject({ outcome: 'refused', reasonCode: 'conflicting_external_id', survivor: [], merged: [] });
      expect(decision.reason).toContain('salesforce');
    });
  });

  describe('given states that are not the customers the command names', () => {
    it('then it refuses', () => {
      expect(decideMerge(command('paid_order'), aliceByEmail, alice, DEFAULT_MERGE_POLICY, NOW)).toMatchObject({
        outcome: 'refused',
        reasonCode: 'wrong_customer',
      });
      expect(decideMerge(command('paid_order'), alice, foldCustomer([]), DEFAULT_MERGE_POLICY, NOW)).toMatchObject({
        outcome: 'refused',
        reasonCode: 'unknown_customer',
      });
    });
  });
});

describe('decideUnmerge', () => {
  // Alice's phone customer also learnt the shop id herself before the merge: it is hers either way.
  const aliceWithShop = foldCustomer([inbound('a-shop', '2025-02-15T09:00:00.000Z', { identities: [ALICE_PHONE, SHOP] })], alice);
  const merge = decideMerge(command('paid_order'), aliceWithShop, aliceByEmail, DEFAULT_MERGE_POLICY, NOW);
  const survivor = foldCustomer(merge.survivor, aliceWithShop);
  const merged = foldCustomer(merge.merged, aliceByEmail);
  const unmergeCommand = (over: Partial<UnmergeCustomers> = {}): UnmergeCustomers => ({
    tenantId: TENANT,
    mergeId: merge.mergeId,
    reason: 'agent ann: two different Alices share a family email',
    causationId: 'agent-request-9',
    correlationId: 'corr-2',
    ...over,
  });

  describe('given a merged pair', () => {
    const decision = decideUnmerge(unmergeCommand(), survivor, merged, LATER);

    it('then it compensates in both streams: CustomerUnmerged for the survivor, CustomerRestored for the other', () => {
      expect(decision.outcome).toBe('unmerged');
      expect(decision.survivor).toEqual([
        {
          type: 'CustomerUnmerged',
          data: {
            mergeId: merge.mergeId,
            restoredId: 'c-email',
            reason: 'agent ann: two different Alices share a family email',
            identitiesReturned: [ALICE_EMAIL],
          },
          metadata: expect.objectContaining({
            occurredAt: LATER,
            causationId: 'agent-request-9',
            correlationId: 'corr-2',
            channel: 'system',
            schemaVersion: 1,
          }),
        },
      ]);
      expect(decision.restored).toEqual([
        {
          type: 'CustomerRestored',
          data: {
            mergeId: merge.mergeId,
            survivorId: 'c-alice',
            reason: 'agent ann: two different Alices share a family email',
            identitiesReturned: [ALICE_EMAIL, SHOP],
          },
          metadata: expect.objectContaining({ occurredAt: LATER, channel: 'system' }),
        },
      ]);
    });

    describe('and the events are folded', () => {
      const survivorAfter = foldCustomer(decision.survivor, survivor);
      const restored = foldCustomer(decision.restored, merged);

      it('then the survivor gives back what moved in, keeps what it had, and no longer lists the other', () => {
        expect(survivorAfter.status).toBe('active');
        expect(survivorAfter.identities).toEqual([ALICE_PHONE, SHOP]);
        expect(survivorAfter.mergedFrom).toEqual([]);
        expect(survivorAfter.merges[0]).toMatchObject({ mergeId: merge.mergeId, unmergedAt: LATER });
      });

      it('then the restored customer is active again, with its identities back', () => {
        expect(restored.status).toBe('active');
        expect(restored).not.toHaveProperty('mergedInto');
        expect(restored.identities).toEqual([ALICE_EMAIL, SHOP]);
        expect(restored.merges[0]).toMatchObject({ role: 'merged', otherId: 'c-alice', unmergedAt: LATER });
      });

      it('then undoing it again changes nothing', () => {
        expect(decideUnmerge(unmergeCommand(), survivorAfter, restored, '2025-03-06T00:00:00.000Z')).toMatchObject({
          outcome: 'unchanged',
          survivor: [],
          restored: [],
        });
      });

      it('then a redelivery of the evidence that merged them does not merge them again (that merge id is spent)', () => {
        expect(decideMerge(command('paid_order'), survivorAfter, restored, DEFAULT_MERGE_POLICY, '2025-03-06T00:00:00.000Z')).toMatchObject(
          { outcome: 'unchanged' },
        );
      });

      it('then new automatic evidence about the pair only proposes: a person said they are two people', () => {
        expect(
          decideMerge(
            command('paid_order', { causationId: 'order-3003-paid' }),
            survivorAfter,
            restored,
            DEFAULT_MERGE_POLICY,
            '2025-03-06T00:00:00.000Z',
          ),
        ).toMatchObject({
          outcome: 'proposed',
          reasonCode: 'previously_unmerged',
        });
      });

      it('then an agent can still merge them again', () => {
        expect(
          decideMerge(
            command('agent_confirmed', { causationId: 'agent-request-10' }),
            survivorAfter,
            restored,
            DEFAULT_MERGE_POLICY,
            '2025-03-06T00:00:00.000Z',
          ),
        ).toMatchObject({
          outcome: 'merged',
        });
      });
    });

    describe('and the customer merged in was erased since (with the survivor, or on its own)', () => {
      const erasedMerged = foldCustomer(
        [
          {
            type: 'CustomerErased',
            data: { customerId: 'c-email', reason: 'gdpr-art17', requestedBy: 'dpo', cascadeOf: 'c-alice' },
            metadata: meta('erased', LATER),
          },
        ],
        merged,
      );

      it('then it is not given back: restoring would make an erased record active again', () => {
        expect(decideUnmerge(unmergeCommand(), survivor, erasedMerged, LATER)).toMatchObject({
          outcome: 'refused',
          reasonCode: 'customer_erased',
          survivor: [],
          restored: [],
        });
      });
    });

    describe('and only the restored customer’s stream was written before a crash', () => {
      const restored = foldCustomer(decision.restored, merged);
      const retry = decideUnmerge(unmergeCommand(), survivor, restored, '2025-03-06T00:00:00.000Z');

      it('then the retry completes it in the survivor’s stream only', () => {
        expect(retry.outcome).toBe('unmerged');
        expect(retry.survivor.map((e) => e.metadata.eventId)).toEqual(decision.survivor.map((e) => e.metadata.eventId));
        expect(retry.restored).toEqual([]);
      });
    });

    describe('and only the survivor’s stream was written before a crash', () => {
      const survivorAfter = foldCustomer(decision.survivor, survivor);
      const retry = decideUnmerge(unmergeCommand(), survivorAfter, merged, '2025-03-06T00:00:00.000Z');

      it('then the retry completes it with the same event ids', () => {
        expect(retry.outcome).toBe('unmerged');
        expect(retry.restored.map((e) => e.metadata.eventId)).toEqual(decision.restored.map((e) => e.metadata.eventId));
      });
    });
  });

  describe('given a merge id the survivor does not know', () => {
    it('then it refuses', () => {
      expect(decideUnmerge(unmergeCommand({ mergeId: 'nope' }), survivor, merged, LATER)).toMatchObject({
        outcome: 'refused',
        reasonCode: 'merge_not_found',
      });
    });
  });

  describe('given the wrong customer to restore', () => {
    it('then it refuses', () => {
      expect(decideUnmerge(unmergeCommand(), survivor, alice, LATER)).toMatchObject({ outcome: 'refused', reasonCode: 'wrong_customer' });
    });
  });

  describe('given a survivor that has since been merged into a third customer', () => {
    const carol = withIdentities('c-carol', '2024-12-01T09:00:00.000Z', [phone('+14155550199')]);
    const second = decideMerge(
      command('paid_order', { survivorId: 'c-carol', mergedId: 'c-alice', causationId: 'order-2002-paid' }),
      carol,
      survivor,
      DEFAULT_MERGE_POLICY,
      LATER,
    );
    const aliceMerged = foldCustomer(second.merged, survivor);

    it('then it refuses until that later merge is undone', () => {
      expect(second.outcome).toBe('merged');
      expect(decideUnmerge(unmergeCommand(), aliceMerged, merged, LATER)).toMatchObject({
        outcome: 'refused',
        reasonCode: 'survivor_merged',
      });
    });
  });
});
