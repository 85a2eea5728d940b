// Smoke test of kafkajs 2.2.4 against the local broker started by infra/kafka/kafka.sh.
// Plain ESM, imports only 'kafkajs' (resolved from the repo's node_modules when run from the repo).
//
//   node infra/kafka/smoke.mjs              full smoke (broker must be up), exit 0/1
//   node infra/kafka/smoke.mjs send-down    broker must be DOWN: time until producer.send() errors
//
// env: KAFKA_BROKER (default 127.0.0.1:9092)
//
// Exports runSmoke() and sendWhileDown() / sendAfterBrokerStops() for a jest test to reuse.
import { Kafka, logLevel, Partitioners } from 'kafkajs';

const DEFAULT_BROKER = process.env.KAFKA_BROKER || '127.0.0.1:9092';

const assert = (cond, msg) => {
  if (!cond) throw new Error(`smoke assertion failed: ${msg}`);
};

// kafkajs logs transient coordinator errors at ERROR on a fresh broker (retried, harmless);
// set KAFKAJS_LOG=warn|info|debug to see them.
const LOG_LEVEL = { nothing: logLevel.NOTHING, error: logLevel.ERROR, warn: logLevel.WARN, info: logLevel.INFO, debug: logLevel.DEBUG }[
  (process.env.KAFKAJS_LOG || 'nothing').toLowerCase()
] ?? logLevel.NOTHING;

/**
 * create a 3-partition topic, produce keyed messages with an idempotent producer, consume them in a
 * consumer group with manual commits, check fetchOffsets == high watermarks; then a transaction
 * (incl. sendOffsets) and a few admin calls. Returns a summary object; throws on any failure.
 */
export async function runSmoke({ brokers = [DEFAULT_BROKER], log = console.log, transactions = true } = {}) {
  const t0 = Date.now();
  const suffix = `${Date.now()}-${Math.floor(Math.random() * 1e6)}`;
  const topic = `smoke-${suffix}`;
  const groupId = `smoke-group-${suffix}`;
  const kafka = new Kafka({ clientId: 'smoke', brokers, logLevel: LOG_LEVEL });
  const admin = kafka.admin();
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  const consumer = kafka.consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 1_000, maxWaitTimeInMs: 500 });
  const summary = { topic, groupId, steps: [] };
  const step = (name) => {
    summary.steps.push(name);
    log(`ok  ${name} (+${Date.now() - t0} ms)`);
  };

  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    assert(cluster.brokers.length === 1, 'one broker');
    step(`describeCluster: brokers=${cluster.brokers.map((b) => `${b.host}:${b.port}`).join(',')} controller=${cluster.controller}`);

    const created = await admin.createTopics({
      topics: [{ topic, numPartitions: 3, replicationFactor: 1 }],
      waitForLeaders: true,
    });
    assert(created === true, 'createTopics returned true');
    const meta = await admin.fetchTopicMetadata({ topics: [topic] });
    assert(meta.topics[0].partitions.length === 3, '3 partitions');
    step('createTopics (3 partitions) + fetchTopicMetadata');

    // produce: idempotent, acks=-1, 1 in flight, keyed
    await producer.connect();
    // 12 keys: with kafkajs' murmur2 DefaultPartitioner they cover all 3 partitions (cust-12 -> p2)
    const keys = Array.from({ length: 12 }, (_, i) => `cust-${i + 1}`);
    const perKey = 5;
    const sent = [];
    for (let i = 0; i < perKey; i++) {
      const messages = keys.map((key) => ({ key, value: JSON.stringify({ key, seq: i }) }));
      const res = await producer.send({ topic, acks: -1, messages });
      for (const r of res) assert(r.errorCode === 0, `produce errorCode ${r.errorCode}`);
      sent.push(...messages);
    }
    step(`produce ${sent.length} keyed messages (idempotent, acks=-1, maxInFlightRequests=1)`);

    // consume in a group, manual commit
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    const received = [];
    const lastOffset = new Map(); // partition -> last offset seen
    let resolveAll;
    const allReceived = new Promise((r) => (resolveAll = r));
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        received.push({ partition, key: message.key.toString(), value: JSON.parse(message.value.toString()) });
        lastOffset.set(partition, message.offset);
        if (received.length >= sent.length) resolveAll();
      },
    });
    let timer;
    const timeout = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`consumer timeout: got ${received.length}/${sent.length}`)), 30_000);
    });
    try {
      await Promise.race([allReceived, timeout]);
    } finally {
      clearTimeout(timer);
    }
    assert(received.length === sent.length, `received ${received.length}/${sent.length}`);
    // same key -> same partition, and per-key order preserved
    for (const key of keys) {
      const ms = received.filter((m) => m.key === key);
      assert(new Set(ms.map((m) => m.partition)).size === 1, `key ${key} on one partition`);
      assert(ms.map((m) => m.value.seq).join() === [...Array(perKey).keys()].join(), `key ${key} in order`);
    }
    assert(new Set(received.map((m) => m.partition)).size === 3, 'messages on all 3 partitions');
    step(`consume ${received.length} in group ${groupId} (JoinGroup/SyncGroup/Fetch), keys on stable partitions, per-key order kept`);

    const toCommit = [...lastOffset].map(([partition, offset]) => ({
      topic,
      partition,
      offset: String(Number(offset) + 1),
    }));
    await consumer.commitOffsets(toCommit);
    step(`commitOffsets ${JSON.stringify(toCommit.map((c) => [c.partition, c.offset]))}`);

    const high = await admin.fetchTopicOffsets(topic);
    const fetched = await admin.fetchOffsets({ groupId, topics: [topic] });
    const committed = Object.fromEntries(fetched[0].partitions.map((p) => [p.partition, p.offset]));
    for (const p of high) {
      const expected = lastOffset.has(p.partition) ? p.high : '-1';
      assert(committed[p.partition] === expected, `partition ${p.partition}: committed ${committed[p.partition]} vs expected ${expected}`);
    }
    summary.committed = committed;
    summary.high = Object.fromEntries(high.map((p) => [p.partition, p.high]));
    step(`fetchOffsets == high watermarks ${JSON.stringify(committed)}`);

    const groups = await admin.describeGroups([groupId]);
    assert(groups.groups[0].state === 'Stable', `group state ${groups.groups[0].state}`);
    const listed = await admin.listGroups();
    assert(listed.groups.some((g) => g.groupId === groupId), 'listGroups has group');
    step('describeGroups (Stable) + listGroups');

    await consumer.disconnect(); // LeaveGroup
    step('consumer.disconnect (LeaveGroup)');

    const cfg = await admin.describeConfigs({
      resources: [{ type: 2 /* TOPIC */, name: topic }],
      includeSynonyms: false,
    });
    assert(cfg.resources[0].configEntries.length > 0, 'describeConfigs entries');
    step('describeConfigs');

    if (transactions) {
      const txProducer = kafka.producer({
        transactionalId: `smoke-tx-${suffix}`,
        idempotent: true,
        maxInFlightRequests: 1,
        createPartitioner: Partitioners.DefaultPartitioner,
      });
      await txProducer.connect();
      const tx = await txProducer.transaction();
      await tx.send({ topic, acks: -1, messages: [{ key: 'cust-1', value: 'tx' }] });
      await tx.sendOffsets({ consumerGroupId: groupId, topics: [{ topic, partitions: toCommit.map(({ partition, offset }) => ({ partition, offset })) }] });
      await tx.commit();
      await txProducer.disconnect();
      step('transaction: InitProducerId/AddPartitionsToTxn/AddOffsetsToTxn/TxnOffsetCommit/EndTxn');
    }

    await admin.deleteTopics({ topics: [topic] });
    step('deleteTopics');
    summary.ms = Date.now() - t0;
    return summary;
  } finally {
    await Promise.allSettled([consumer.disconnect(), producer.disconnect(), admin.disconnect()]);
  }
}

function downClient(brokers) {
  return new Kafka({
    clientId: 'smoke-down',
    brokers,
    logLevel: logLevel.NOTHING,
    requestTimeout: 3000,
    retry: { retries: 1 },
  });
}

async function timeSend(producer, topic) {
  const t = Date.now();
  try {
    await producer.send({ topic, acks: -1, messages: [{ key: 'k', value: 'v' }] });
    return { ok: true, ms: Date.now() - t };
  } catch (err) {
    return {
      ok: false,
      ms: Date.now() - t,
      errorClass: err?.constructor?.name,
      name: err?.name,
      retriable: err?.retriable,
      message: err?.message,
      cause: err?.cause ? `${err.cause.name}: ${err.cause.message}` : undefined,
    };
  }
}

/** broker is already down: connect + send on a fresh producer (retry {retries:1}, requestTimeout 3000). */
export async function sendWhileDown({ brokers = [DEFAULT_BROKER], topic = 'smoke-down' } = {}) {
  const producer = downClient(brokers).producer({ createPartitioner: Partitioners.DefaultPartitioner });
  const t = Date.now();
  let connectErr;
  try {
    await producer.connect();
  } catch (err) {
    connectErr = { errorClass: err?.constructor?.name, name: err?.name, message: err?.message, ms: Date.now() - t };
  }
  const send = await timeSend(producer, topic);
  await producer.disconnect().catch(() => undefined);
  return { connectErr, send };
}

/** producer connected (and has sent once) while the broker is up; then stopBroker(); then send. */
export async function sendAfterBrokerStops({ brokers = [DEFAULT_BROKER], stopBroker, topic = `smoke-stop-${Date.now()}` } = {}) {
  const producer = downClient(brokers).producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  const warm = await timeSend(producer, topic); // auto-creates the topic
  await stopBroker();
  const send = await timeSend(producer, topic);
  await producer.disconnect().catch(() => undefined);
  return { warm, send };
}

// CLI (no node: imports, so compare argv[1] by suffix)
const isMain = process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop());
if (isMain) {
  const mode = process.argv[2] || 'smoke';
  try {
    if (mode === 'send-down') {
      console.log(JSON.stringify(await sendWhileDown(), null, 2));
    } else {
      const s = await runSmoke();
      console.log(`smoke ok: ${s.steps.length} steps in ${s.ms} ms`);
    }
  } catch (err) {
    console.error(err);
    process.exitCode = 1;
  }
}
