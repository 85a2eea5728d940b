import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { HeaderNames, hubNames } from '@hub/contracts';
import type { NbaDecisionMessage, NbaDecisionMessageV2 } from '@hub/customer';
import { eventually, freshId, testInfra } from '@hub/testing';
import { startDecisionConsumer, type DecisionConsumer } from './decision.consumer';

/**
 * The decision consumer on a real topic (a namespace of its own): a decision produced twice, as a
 * relay that crashed between Kafka's acknowledgement and its checkpoint publishes it, reaches the
 * handler once.
 */
const infra = testInfra();
const namespace = freshId('cd');
const topic = hubNames(namespace).topics.nbaDecisions;
const topicV2 = hubNames(namespace).topics.nbaDecisionsV2;
const kafka = new Kafka({ clientId: freshId('decisions-test'), brokers: infra.kafkaBrokers, logLevel: logLevel.NOTHING });
let producer: Producer;
let consumer: DecisionConsumer | undefined;

beforeAll(async () => {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    topics: [
      { topic, numPartitions: 3 },
      { topic: topicV2, numPartitions: 3 },
    ],
    waitForLeaders: true,
  });
  await admin.disconnect();
  producer = kafka.producer();
  await producer.connect();
}, 60_000);

afterAll(async () => {
  await consumer?.stop();
  await producer?.disconnect();
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics: [topic, topicV2] }).catch(() => undefined);
  await admin.disconnect();
});

function decision(customerId: string): NbaDecisionMessage {
  return {
    decisionId: randomUUID(),
    tenantId: 'acme',
    customerId,
    action: { kind: 'survey', code: 'csat_survey', channel: 'sms', detail: 'ask how it went' },
    contactMode: 'proactive',
    explanation: { ruleId: 'resolved-survey', reason: 'the conversation was resolved' },
    strategyVersion: 'nba-v3',
    catalogVersion: 'catalog-1',
    decidedAt: new Date().toISOString(),
    basedOnEventId: randomUUID(),
    basedOnRevision: '3',
    streamRevision: '4',
    globalPosition: '100',
    correlationId: randomUUID(),
  };
}

/** As the nba-worker's relay publishes it: keyed by customer, `hub-event-id` = decision id. */
const publish = (d: NbaDecisionMessage) =>
  producer.send({
    topic,
    messages: [
      {
        key: d.customerId,
        value: JSON.stringify(d),
        headers: { [HeaderNames.eventId]: d.decisionId, [HeaderNames.eventType]: 'NextBestActionDecided' },
      },
    ],
  });

describe('the decision consumer', () => {
  describe('when the same decision is published twice (a relay redelivering after a crash, 30 s later)', () => {
    it('calls the handler once for it, and counts the other as a duplicate', async () => {
      const handled: NbaDecisionMessage[] = [];
      const logged: string[] = [];
      // The window's clock moves 30 s at every look: the copy is read "30 s" after the first was handled.
      let clock = 0;
      consumer = await startDecisionConsumer({
        kafka,
        groupId: freshId('senders'),
        namespace,
        fromBeginning: true,
        handler: (d) => {
          handled.push(d);
        },
        log: (event) => logged.push(event),
        now: () => (clock += 30_000),
      });
      expect(consumer.topic).toBe(topic);

      const twice = decision(freshId('c'));
      const after = decision(twice.customerId);
      await publish(twice);
      await publish(twice);
      await producer.send({ topic, messages: [{ key: twice.customerId, value: 'not a decision' }] });
      // The same customer's key: the same partition, so it is read after both copies.
      await publish(after);

      await eventually(async () => (handled.some((d) => d.decisionId === after.decisionId) ? true : undefined), {
        what: 'the decision after the duplicate',
      });
      expect(handled.map((d) => d.decisionId)).toEqual([twice.decisionId, after.decisionId]);
      expect(handled[0]).toEqual(twice);
      expect(consumer.counts).toEqual({ handled: 2, duplicates: 1, invalid: 1 });
      expect(logged).toEqual(['client.decisions.duplicate_skipped', 'client.decisions.invalid_skipped']);
    });
  });

  describe('when it asks for every decision (includeNoAction)', () => {
    it('reads the v2 topic and hands over both kinds, "decided nothing" with its reason', async () => {
      const handled: NbaDecisionMessageV2[] = [];
      const all = await startDecisionConsumer({
        kafka,
        groupId: freshId('platform'),
        namespace,
        fromBeginning: true,
        includeNoAction: true,
        handler: (d) => {
          handled.push(d);
        },
      });
      try {
        expect(all.topic).toBe(topicV2);
        const customerId = freshId('c');
        const { action: _action, contactMode: _mode, ...rest } = decision(customerId);
        const none: NbaDecisionMessageV2 = {
          ...rest,
          kind: 'no-action',
          action: { kind: 'none', code: 'do_nothing', detail: 'nothing to do' },
          contactMode: 'none',
          noAction: { reason: 'consent_missing' },
        };
        const act: NbaDecisionMessageV2 = { ...decision(customerId), kind: 'action' };
        for (const d of [none, act])
          await producer.send({
            topic: topicV2,
            messages: [{ key: customerId, value: JSON.stringify(d), headers: { [HeaderNames.eventId]: d.decisionId } }],
          });
        await eventually(async () => (handled.length === 2 ? true : undefined), { what: 'both decisions' });
        expect(handled).toEqual([none, act]);
      } finally {
        await all.stop();
      }
    });
  });
});
