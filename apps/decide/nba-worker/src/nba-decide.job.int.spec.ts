import { Pool } from 'pg';
import { customerStream, deterministicId, type IdentityRef, type InteractionReceived } from '@hub/contracts';
import type { CustomerEvent, NextBestActionDecided } from '@hub/customer';
import { createCustomerStores, CustomerRepository, IdentityResolver, recordInteraction, toCustomerEvent } from '@hub/customer-records';
import { PostgresEventStore } from '@hub/event-store';
import { freshId, testInfra, TEST_IDENTITY_NAMING } from '@hub/testing';
import { currentCatalog, reproduceDecision, STRATEGY_VERSION, tallyOutcomes, type StreamEvent } from '@hub/nba';
import { NbaDecideJob, outboundScanCorrelationId, type NbaDecideJobData } from './nba-decide.job';
import { CustomerStream } from './testing/customer-stream';
import { RecordingFollowUps } from './testing/recording-follow-ups';

const infra = testInfra();
let pool: Pool;
let store: PostgresEventStore;
let customers: CustomerRepository;

function interactionRecorded(tenantId: string, customerId: string, text: string, at: string): CustomerEvent {
  const eventId = deterministicId('test', tenantId, customerId, text, at);
  return {
    type: 'InteractionRecorded',
    data: {
      channel: 'sms',
      direction: 'inbound',
      kind: 'message',
      identities: [{ kind: 'phone', value: '+14155550100' }],
      content: { text, media: [] },
      provider: { name: 'twilio', messageId: eventId },
    },
    metadata: {
      eventId,
      correlationId: eventId,
      causationId: eventId,
      occurredAt: at,
      recordedAt: at,
      schemaVersion: 1,
      tenantId,
      channel: 'sms',
    },
  };
}

/** The customer's stream with revisions, as `hub nba explain` reads it. */
async function streamOf(repository: CustomerRepository, c: { tenantId: string; customerId: string }): Promise<StreamEvent[]> {
  const { recorded } = await repository.history(c.tenantId, c.customerId);
  return recorded.flatMap((r) => {
    const event = toCustomerEvent(r);
    return event ? [{ revision: r.revision, event }] : [];
  });
}

beforeAll(async () => {
  pool = new Pool({ connectionString: infra.databaseUrl, max: 10 });
  store = await PostgresEventStore.create({ pool });
  customers = new CustomerRepository(store);
});
afterAll(() => pool.end());

describe('NbaDecideJob', () => {
  describe('when the customer asked a routine question', () => {
    it('records a self-service decision with the revision and interaction it was based on', async () => {
      const [tenantId, customerId] = [freshId('tn'), freshId('c')];
      const msg = interactionRecorded(tenantId, customerId, 'How do I reset my password?', '2026-11-23T09:00:00.000Z');
      await customers.append(tenantId, customerId, [msg]);
      const outcome = await new NbaDecideJob(customers).run(
        { tenantId, customerId, triggerEventId: msg.metadata.eventId, correlationId: 'corr-1' },
        new Date('2026-11-23T09:00:01.000Z'),
      );
      expect(outcome).toEqual(expect.objectContaining({ kind: 'decided', action: 'kb_password_reset' }));

      const stream = await store.readStream(customerStream(tenantId, customerId));
      const decision = stream.at(-1)!;
      expect(decision.type).toBe('NextBestActionDecided');
      expect(decision.data).toEqual(
        expect.objectContaining({
          basedOnRevision: '0',
          basedOnEventId: msg.metadata.eventId,
          strategyVersion: STRATEGY_VERSION,
          catalogVersion: currentCatalog().catalogVersion,
          seed: expect.any(Number),
          explanation: expect.objectContaining({ ruleId: 'self_service' }),
          contactMode: 'reply',
          menu: [expect.objectContaining({ actionId: 'kb_password_reset', channel: 'sms' })],
        }),
      );
      expect(decision.data).not.toHaveProperty('arbitration');
      expect(decision.metadata).toEqual(expect.objectContaining({ schemaVersion: 3 }));
      expect(decision.metadata).toEqual(
        expect.objectContaining({ causationId: msg.metadata.eventId, correlationId: 'corr-1', occurredAt: '2026-11-23T09:00:01.000Z' }),
      );
    });
  });

  describe('when a conversation was resolved after the customer wrote, and its survey follow-up runs', () => {
    it('answers the resolution: a survey, with the seed it sampled with', async () => {
      const [tenantId, customerId] = [freshId('tn'), freshId('c')];
      const msg = interactionRecorded(tenantId, customerId, 'my parcel never came', '2026-11-23T09:00:00.000Z');
      const resolved: CustomerEvent = {
        type: 'ConversationResolved',
        data: { channel: 'sms' },
        metadata: {
          ...msg.metadata,
          eventId: deterministicId('test', tenantId, customerId, 'resolved'),
          occurredAt: '2026-11-23T10:00:00.000Z',
          recordedAt: '2026-11-23T10:00:00.000Z',
          channel: 'system',
        },
      };
      await customers.append(tenantId, customerId, [msg, resolved]);
      const outcome = await new NbaDecideJob(customers).run(
        { trigger: 'survey-follow-up', tenantId, customerId, triggerEventId: resolved.metadata.eventId, correlationId: 'corr-2' },
        new Date('2026-11-23T12:00:00.000Z'),
      );
      expect(outcome).toEqual(expect.objectContaining({ kind: 'decided', action: 'csat_survey' }));
      const decision = (await customers.history(tenantId, customerId)).events.at(-1)!;
      expect(decision.type === 'NextBestActionDecided' && decision.data).toEqual(
        expect.objectContaining({
          basedOnRevision: '1',
          basedOnEventId: resolved.metadata.eventId,
          seed: expect.any(Number),
          action: expect.objectContaining({ code: 'csat_survey', channel: 'sms' }),
        }),
      );
    });
  });

  describe('when the job runs again for the same interaction (a retry)', () => {
    it('records no second decision', async () => {
      const [tenantId, customerId] = [freshId('tn'), freshId('c')];
      const msg = interactionRecorded(tenantId, customerId, 'What are your opening hours?', '2026-11-23T09:00:00.000Z');
      await customers.append(tenantId, customerId, [msg]);
      const job = new NbaDecideJob(customers);
      const data: NbaDecideJobData = { tenantId, customerId, triggerEventId: msg.metadata.eventId, correlationId: 'c' };
      const first = await job.run(data, new Date('2026-11-23T09:00:01.000Z'));
      const second = await job.run(data, new Date('2026-11-23T09:00:05.000Z'));
      expect(first.kind).toBe('decided');
      expect(second).toEqual({ kind: 'already_decided', decisionId: (first as { decisionId: string }).decisionId });
      const decisions = (await store.readStream(customerStream(tenantId, customerId))).filter((e) => e.type === 'NextBestActionDecided');
      expect(decisions).toHaveLength(1);
    });
  });

  describe('when two workers decide for one customer at the same moment', () => {
    it('records one decision; the other fails with a concurrency error and would be retried', async () => {
      const [tenantId, customerId] = [freshId('tn'), freshId('c')];
      const msg = interactionRecorded(tenantId, customerId, 'please call me', '2026-11-23T09:00:00.000Z');
      await customers.append(tenantId, customerId, [msg]);
      const data: NbaDecideJobData = { tenantId, customerId, triggerEventId: msg.metadata.eventId, correlationId: 'c' };
      const results = await Promise.allSettled(
        [1, 2, 3].map(() => new NbaDecideJob(customers).run(data, new Date('2026-11-23T09:00:01.000Z'))),
      );
      expect(results.filter((r) => r.status === 'fulfilled' && r.value.kind === 'decided').length).toBeGreaterThanOrEqual(1);
      const decisions = (await store.readStream(customerStream(tenantId, customerId))).filter((e) => e.type === 'NextBestActionDecided');
      expect(decisions).toHaveLength(1);
    });
  });
});

describe('NbaDecideJob and what follows a decision', () => {
  const decisionsOf = async (c: CustomerStream): Promise<NextBestActionDecided[]> =>
    (await customers.history(c.tenantId, c.customerId)).events.filter(
      (e): e is NextBestActionDecided => e.type === 'NextBestActionDecided',
    );

  describe('when the decision contacts the customer', () => {
    it("schedules the decision's no-response check for the catalog's timeout after it was made", async () => {
      const c = new CustomerStream(freshId('tn'), freshId('c'));
      await customers.append(c.tenantId, c.customerId, [c.message('m1', '2026-11-23T09:00:00.000Z', 'How do I reset my password?')]);
      const followUps = new RecordingFollowUps();
      const job = new NbaDecideJob(customers, { followUps, noResponseAfterMs: 60_000 });
      const first = await job.run(
        { tenantId: c.tenantId, customerId: c.customerId, triggerEventId: c.id('m1'), correlationId: 'corr' },
        new Date('2026-11-23T09:00:01.000Z'),
      );
      const decisionId = (first as { decisionId: string }).decisionId;
      expect(followUps.scheduled).toEqual([
        { followUp: { tenantId: c.tenantId, customerId: c.customerId, decisionId, correlationId: 'corr' }, delayMs: 60_000 },
      ]);

      // A retry after the append (the worker died before scheduling) schedules it again; the queue keeps one per decision.
      await job.run(
        { tenantId: c.tenantId, customerId: c.customerId, triggerEventId: c.id('m1'), correlationId: 'corr' },
        new Date('2026-11-23T09:00:31.000Z'),
      );
      expect(followUps.scheduled.map((s) => [s.followUp.decisionId, s.delayMs])).toEqual([
        [decisionId, 60_000],
        [decisionId, 30_000],
      ]);
    });
  });

  describe('when the customer writes again before the timeout', () => {
    it('drops the no-response check of the decision they answered', async () => {
      const c = new CustomerStream(freshId('tn'), freshId('c'));
      await customers.append(c.tenantId, c.customerId, [c.message('m1', '2026-11-23T09:00:00.000Z', 'How do I reset my password?')]);
      const followUps = new RecordingFollowUps();
      const job = new NbaDecideJob(customers, { followUps, noResponseAfterMs: 3_600_000 });
      const first = await job.run(
        { tenantId: c.tenantId, customerId: c.customerId, triggerEventId: c.id('m1'), correlationId: 'a' },
        new Date('2026-11-23T09:00:01.000Z'),
      );
      await customers.append(c.tenantId, c.customerId, [c.message('m2', '2026-11-23T09:10:00.000Z', 'What are your opening hours?')]);
      await job.run(
        { tenantId: c.tenantId, customerId: c.customerId, triggerEventId: c.id('m2'), correlationId: 'b' },
        new Date('2026-11-23T09:10:01.000Z'),
      );
      expect(followUps.cancelled).toEqual([(first as { decisionId: string }).decisionId]);
    });
  });

  describe('when the population has outcomes for the action and segment', () => {
    it('decides with the posterior they give, and records the counts it read', async () => {
      const c = new CustomerStream(freshId('tn'), freshId('c'));
      await customers.append(c.tenantId, c.customerId, [c.message('m1', '2026-11-23T09:00:00.000Z', 'How do I reset my password?')]);
      const tally = tallyOutcomes(
        [...Array(30).fill('accepted'), ...Array(10).fill('declined')].map((outcome) => ({
          actionId: 'kb_password_reset',
          segment: 'low_value_happy',
          outcome,
        })),
      );
      const asked: string[] = [];
      const job = new NbaDecideJob(customers, { outcomes: async (tenantId) => (asked.push(tenantId), tally) });
      await job.run(
        { tenantId: c.tenantId, customerId: c.customerId, triggerEventId: c.id('m1'), correlationId: 'x' },
        new Date('2026-11-23T09:00:01.000Z'),
      );
      expect(asked).toEqual([c.tenantId]);
      const [decision] = await decisionsOf(c);
      expect(decision!.data.segment).toBe('low_value_happy');
      expect(decision!.data.outcomes).toEqual({ kb_password_reset: { accepted: 30, declined: 10, noResponse: 0 } });
      const r = reproduceDecision({
        decided: decision!,
        tenantId: c.tenantId,
        customerId: c.customerId,
        stream: await streamOf(customers, c),
      });
      expect(r.differences).toEqual([]);
      const scored = r.recomputed.candidates.find((x) => x.actionId === 'kb_password_reset')!;
      const { priorStrength } = currentCatalog().learning;
      expect(scored.score!.propensity).toEqual(
        expect.objectContaining({ base: 0.6, alpha: 0.6 * priorStrength + 30, beta: expect.closeTo(0.4 * priorStrength + 10, 9) }),
      );
    });
  });
});

describe('NbaDecideJob for a survey follow-up', () => {
  const resolvedConversation = async () => {
    const c = new CustomerStream(freshId('tn'), freshId('c'));
    await customers.append(c.tenantId, c.customerId, [
      c.message('m1', '2026-11-23T09:00:00.000Z', 'my parcel never came'),
      c.resolved('r1', '2026-11-23T10:00:00.000Z'),
    ]);
    return c;
  };
  const followUp = (c: CustomerStream, name = 'r1'): NbaDecideJobData => ({
    trigger: 'survey-follow-up',
    tenantId: c.tenantId,
    customerId: c.customerId,
    triggerEventId: c.id(name),
    correlationId: c.id(name),
  });

  describe('when the customer wrote again after the resolution', () => {
    it('decides nothing and records nothing', async () => {
      const c = await resolvedConversation();
      await customers.append(c.tenantId, c.customerId, [c.message('m2', '2026-11-23T10:30:00.000Z', 'still nothing here')]);
      expect(await new NbaDecideJob(customers).run(followUp(c), new Date('2026-11-23T12:00:00.000Z'))).toEqual({
        kind: 'skipped',
        reason: 'customer_wrote_again',
      });
      expect((await customers.history(c.tenantId, c.customerId)).events.some((e) => e.type === 'NextBestActionDecided')).toBe(false);
    });
  });

  describe('when a later resolution superseded it', () => {
    it('leaves the survey to the later one', async () => {
      const c = await resolvedConversation();
      await customers.append(c.tenantId, c.customerId, [c.resolved('r2', '2026-11-23T11:00:00.000Z', 'whatsapp')]);
      expect(await new NbaDecideJob(customers).run(followUp(c), new Date('2026-11-23T12:00:00.000Z'))).toEqual({
        kind: 'skipped',
        reason: 'superseded',
      });
    });
  });

  describe('when a real-time job runs after the resolution', () => {
    it('answers the latest message, not the resolution: that is the follow-up’s', async () => {
      const c = await resolvedConversation();
      const outcome = await new NbaDecideJob(customers).run(
        { tenantId: c.tenantId, customerId: c.customerId, triggerEventId: c.id('r1'), correlationId: 'x' },
        new Date('2026-11-23T10:00:01.000Z'),
      );
      expect(outcome.kind).toBe('decided');
      const decision = (await customers.history(c.tenantId, c.customerId)).events.at(-1) as NextBestActionDecided;
      expect(decision.data.basedOnEventId).toBe(c.id('m1'));
    });
  });
});

describe('NbaDecideJob through the encrypting store the apps use', () => {
  it('records a decision that carries no copy of the time zone or the profile attributes, its why sealed, and explains it whole', async () => {
    const stores = await createCustomerStores(pool, { identityNaming: TEST_IDENTITY_NAMING });
    const c = new CustomerStream(freshId('tn'), freshId('c'));
    // A poor CSAT late at night in the customer's zone: the decision reads the zone and the traits.
    await stores.customers.append(c.tenantId, c.customerId, [
      c.registered('2026-11-20T09:00:00.000Z'),
      c.traits('t1', '2026-11-20T09:00:00.000Z', { timezone: 'Pacific/Chatham', doNotContact: false }),
      c.message('m1', '2026-11-20T09:00:00.000Z', 'hello'),
      c.csat('s1', '2026-11-23T09:30:00.000Z', 1),
    ]);
    const outcome = await new NbaDecideJob(stores.customers).run(
      { tenantId: c.tenantId, customerId: c.customerId, triggerEventId: c.id('s1'), correlationId: 'sealed' },
      new Date('2026-11-23T09:30:01.000Z'),
    );
    expect(outcome.kind).toBe('decided');

    const stream = customerStream(c.tenantId, c.customerId);
    const [stored] = await stores.raw.readStream(stream, { direction: 'backwards', maxCount: 1 });
    expect(stored!.type).toBe('NextBestActionDecided');
    const text = JSON.stringify(stored!.data);
    expect(text).toContain('enc:v1:');
    expect(text).not.toContain('Chatham');
    expect(text).not.toContain('doNotContact');
    // What is personal in it (the why: it may quote the customer) is sealed; the rest names no one.
    expect((stored!.metadata as { encryption: { fields: string[] } }).encryption.fields).toEqual(['data.explanation.reason']);
    const read = (await stores.customers.history(c.tenantId, c.customerId)).events.at(-1) as NextBestActionDecided;
    expect(read.data.explanation.reason).not.toContain('enc:v1:');
    // The zone and the traits the contact policy read are recomputed from the stream, as they were.
    const r = reproduceDecision({
      decided: read,
      tenantId: c.tenantId,
      customerId: c.customerId,
      stream: await streamOf(stores.customers, c),
    });
    expect(r.differences).toEqual([]);
    expect(r.recomputed.counters.timeZone).toBe('Pacific/Chatham');
    expect(r.recomputed.facts['traits.doNotContact']).toBe(false);
  });
});

describe('NbaDecideJob for the outbound scan', () => {
  /** A poor CSAT answered late at night: the real-time decision held back by quiet hours. */
  const heldBackAtNight = async () => {
    const c = new CustomerStream(freshId('tn'), freshId('c'));
    await customers.append(c.tenantId, c.customerId, [
      c.registered('2026-11-20T09:00:00.000Z'),
      c.message('m1', '2026-11-20T09:00:00.000Z', 'hello'),
      c.csat('s1', '2026-11-23T22:30:00.000Z', 1),
    ]);
    const night = await new NbaDecideJob(customers).run(
      { tenantId: c.tenantId, customerId: c.customerId, triggerEventId: c.id('s1'), correlationId: 'rt' },
      new Date('2026-11-23T22:30:01.000Z'),
    );
    expect(night.kind).toBe('decided');
    const decided = (await customers.history(c.tenantId, c.customerId)).events.at(-1) as NextBestActionDecided;
    expect(decided.data.action.kind).toBe('none');
    return c;
  };
  const scan = (c: CustomerStream, scanWindow: string): NbaDecideJobData => ({
    trigger: 'outbound-scan',
    tenantId: c.tenantId,
    customerId: c.customerId,
    scanWindow,
    correlationId: outboundScanCorrelationId(scanWindow),
  });

  describe('when the morning scan finds the customer the night held back', () => {
    it('contacts them now, once per scan window, and records nothing when there is nothing to do', async () => {
      const c = await heldBackAtNight();
      const job = new NbaDecideJob(customers);
      const morning = await job.run(scan(c, '2026-11-24T10:00:00.000Z'), new Date('2026-11-24T10:00:05.000Z'));
      expect(morning).toEqual(expect.objectContaining({ kind: 'decided', action: 'service_recovery' }));
      const decided = (await customers.history(c.tenantId, c.customerId)).events.at(-1) as NextBestActionDecided;
      expect(decided.metadata.correlationId).toBe(outboundScanCorrelationId('2026-11-24T10:00:00.000Z'));
      expect(decided.data.contactMode).toBe('proactive');

      // The same window again (a retried or re-enqueued job): the decision it made.
      expect(await job.run(scan(c, '2026-11-24T10:00:00.000Z'), new Date('2026-11-24T10:20:00.000Z'))).toEqual({
        kind: 'already_decided',
        decisionId: (morning as { decisionId: string }).decisionId,
      });
      // The next window: the contact policy holds the action back; nothing is recorded.
      expect(await job.run(scan(c, '2026-11-24T11:00:00.000Z'), new Date('2026-11-24T11:00:05.000Z'))).toEqual({
        kind: 'skipped',
        reason: 'nothing_to_do',
      });
      expect((await customers.history(c.tenantId, c.customerId)).events.filter((e) => e.type === 'NextBestActionDecided')).toHaveLength(2);
    });
  });

  describe('when the latest event is a trigger the real-time path has not answered yet', () => {
    it('leaves it to that path', async () => {
      const c = new CustomerStream(freshId('tn'), freshId('c'));
      await customers.append(c.tenantId, c.customerId, [c.message('m1', '2026-11-24T09:00:00.000Z', 'hello')]);
      expect(await new NbaDecideJob(customers).run(scan(c, '2026-11-24T10:00:00.000Z'), new Date('2026-11-24T10:00:05.000Z'))).toEqual({
        kind: 'skipped',
        reason: 'pending_realtime',
      });
    });
  });
});

describe('NbaDecideJob for the survivor of a merge', () => {
  /** An inbound message (or, with `order`, a paid order) naming these phones. */
  const received = (tenantId: string, key: string, phones: string[], text: string, at: string, order = false): InteractionReceived => {
    const eventId = deterministicId('nba-decide-merged', tenantId, key);
    const identities: IdentityRef[] = phones.map((value) => ({ kind: 'phone', value }));
    return {
      type: 'InteractionReceived',
      data: {
        direction: 'inbound',
        kind: order ? 'order' : 'message',
        identities,
        content: { text, media: [] },
        provider: { name: 'test', messageId: key },
        ...(order ? { order: { orderId: 'o-1', action: 'created' as const, amount: 4200, currency: 'EUR' } } : {}),
      },
      metadata: {
        eventId,
        correlationId: eventId,
        causationId: eventId,
        occurredAt: at,
        recordedAt: at,
        schemaVersion: 1,
        tenantId,
        channel: order ? 'commerce' : 'sms',
      },
    };
  };

  it('then its decision, made on the whole customer, reproduces from the whole history as of the decision, and not from its own stream', async () => {
    const tenantId = freshId('tn');
    const deps = { customers, identities: new IdentityResolver(store, TEST_IDENTITY_NAMING) };
    const record = (i: InteractionReceived) => recordInteraction(deps, i, i.metadata.recordedAt);
    const first = await record(received(tenantId, 'a', ['+14155550301'], 'hello', '2026-11-23T09:00:00.000Z'));
    const other = await record(received(tenantId, 'b', ['+14155550302'], 'This is terrible, I want a refund', '2026-11-23T09:05:00.000Z'));
    const job = new NbaDecideJob(customers);
    expect(
      await job.run(
        { tenantId, customerId: other.customerId, triggerEventId: 'any', correlationId: 'c-other' },
        new Date('2026-11-23T09:05:01.000Z'),
      ),
    ).toMatchObject({
      kind: 'decided',
      action: 'escalate_manager',
    });
    // An order paid with both phones: one person, merged at once (paid_order).
    const order = await record(received(tenantId, 'order', ['+14155550301', '+14155550302'], 'order', '2026-11-23T09:30:00.000Z', true));
    expect(order.merges.map((m) => m.outcome)).toEqual(['merged']);
    const survivor = { tenantId, customerId: order.customerId };
    expect([first.customerId, other.customerId]).toContain(survivor.customerId);
    expect((await record(received(tenantId, 'again', ['+14155550301'], 'where is my order?', '2026-11-23T09:40:00.000Z'))).customerId).toBe(
      survivor.customerId,
    );

    const outcome = await job.run(
      { tenantId, customerId: survivor.customerId, triggerEventId: 'any', correlationId: 'c-survivor' },
      new Date('2026-11-23T09:40:01.000Z'),
    );
    expect(outcome).toMatchObject({ kind: 'decided' });
    // The decision (an escalation's work item follows it in the same append).
    const recorded = (await customers.recordedAfter(tenantId, survivor.customerId))
      .filter((r) => r.type === 'NextBestActionDecided')
      .at(-1)!;
    const decided = toCustomerEvent(recorded) as NextBestActionDecided;
    expect(decided.data.decisionId).toBe(outcome.kind === 'decided' ? outcome.decisionId : undefined);

    // What `hub nba explain` reads: the whole history just before the decision.
    const { history } = await customers.readWholeHistoryBefore(tenantId, survivor.customerId, recorded.globalPosition);
    const r = reproduceDecision({ decided, ...survivor, history });
    expect(r.differences).toEqual([]);
    expect(r.input.state.engagement.inbound).toBe(4);
    expect(r.input.history.decisions.map((d) => d.actionId)).toEqual(['escalate_manager']);
    // The survivor's own stream alone is not what the worker decided on.
    expect(reproduceDecision({ decided, ...survivor, stream: await streamOf(customers, survivor) }).differences).not.toEqual([]);
  });
});
