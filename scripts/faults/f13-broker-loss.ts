/* F13 (issue #15): a 3-node KRaft cluster (each node broker + controller; replication 3,
 * min.insync.replicas 2, no unclean election) loses a broker to SIGKILL under a steady keyed load
 * published through the hub's own KafkaEventPublisher (idempotent, acks=all). Every publish that
 * resolved is an acknowledged id; afterwards the whole topic is read back with the hub's
 * startConsumer and checked: nothing acknowledged is lost, duplicates are counted, and each key's
 * acknowledged messages are in the order they were published.
 *
 *   node -r @swc-node/register scripts/faults/f13-broker-loss.ts [--seconds 20] [--rate 200] [--seed f13] [--keep-cluster]
 *
 * The cluster is infra/kafka/cluster.sh's (127.0.0.1:19092-19094), never the shared broker on 9092;
 * it is stopped and its run dir removed at the end, on error, and on SIGINT/SIGTERM.
 */
import type { Admin, Kafka } from 'kafkajs';
import { HubError } from '@hub/contracts';
import { createKafka, ensureTopics, KafkaEventPublisher, startConsumer, type ConsumedMessage, type RunningConsumer } from '@hub/messaging';
import { createRng } from '../demo/prng';
import { CLUSTER_SCRIPT, KafkaCluster } from './kafka-cluster';
const PARTITIONS = 6;
const KEYS = 24;

export interface BrokerLossOptions {
  /** How long the load runs (the fault and the restart fall inside). */
  seconds: number;
  /** Publishes per second, each one keyed message with a unique id. */
  rate: number;
  /** Seeds the key chosen for each message. */
  seed: string;
  log?: (line: string) => void;
  /** Leave the cluster running at the end (for a rerun while debugging); it is stopped on error all the same. */
  keepCluster?: boolean;
}

export interface BrokerLossDetails {
  brokers: string;
  topic: string;
  /** The node killed (its node id = its index in cluster.sh), and how many partitions it led then. */
  killedNode: number;
  partitionsLedByKilled: number;
  killedAtMs: number;
  restartedAtMs: number;
  published: number;
  /** Refusals by reason (the error's code, or its name). */
  refusedBy: Record<string, number>;
  /** Acknowledged after the kill and before the node was back: the cluster kept taking writes. */
  acknowledgedWhileDown: number;
  /** Refused, yet in the log: an ambiguous write (the broker took it, the answer came too late). */
  refusedButPresent: number;
  /** The first duplicated ids: whether the publish was acknowledged, and where each copy is (partition:offset). */
  duplicates: { id: string; acknowledged: boolean; at: string[] }[];
  consumed: number;
  /** Acknowledged messages of one key read back out of publish order. */
  orderViolations: number;
  /** After the restart every partition had its 3 replicas in sync again. */
  isrRestored: boolean;
  reasons: string[];
}

export interface BrokerLossResult {
  acknowledged: number;
  refused: number;
  lost: number;
  duplicated: number;
  verdict: 'PASS' | 'FAIL';
  details: BrokerLossDetails;
  line: string;
}

interface Published {
  id: string;
  key: string;
  seq: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function reasonOf(err: unknown): string {
  if (err instanceof HubError) {
    const cause = (err as { cause?: unknown }).cause;
    // the publisher's own deadline (sendTimeoutMs) rejects with a plain Error: name it
    const inner = cause instanceof Error ? `:${cause.message.startsWith('no acknowledgement within') ? 'send_timeout' : cause.name}` : '';
    return `${err.code}${inner}`;
  }
  return err instanceof Error ? err.name : 'unknown';
}

/** Partition → leader node id, and each partition's in-sync replica count. */
async function leadership(admin: Admin, topic: string): Promise<{ leader: number; isr: number }[]> {
  const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
  return (topics[0]?.partitions ?? []).map((p) => ({ leader: p.leader, isr: p.isr.length }));
}

async function waitFor<T>(what: string, deadlineMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`F13: ${what} not reached within ${deadlineMs} ms`);
    await sleep(250);
  }
}

export async function runBrokerLossScenario(o: BrokerLossOptions): Promise<BrokerLossResult> {
  const log = o.log ?? (() => undefined);
  if (!(o.seconds >= 4)) throw new Error('F13: seconds must be at least 4');
  if (!(o.rate >= 1)) throw new Error('F13: rate must be at least 1');
  // cluster.sh's defaults: 3 nodes on 127.0.0.1:19092-19094, run dir infra/kafka/run-cluster.
  const cluster = new KafkaCluster();
  // SIGINT/SIGTERM while the cluster runs: stop it (synchronously, we are about to exit), then exit.
  const onSignal = (signal: NodeJS.Signals) => {
    try {
      cluster.cleanSync();
    } finally {
      process.exit(signal === 'SIGINT' ? 130 : 143);
    }
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  let kafka: Kafka | undefined;
  let admin: Admin | undefined;
  let publisher: KafkaEventPublisher | undefined;
  let consumer: RunningConsumer | undefined;
  let failed = true;
  try {
    log(`F13: starting the cluster (${CLUSTER_SCRIPT} start) ...`);
    log(await cluster.start());
    const brokers = (await cluster.brokers()).join(',');
    kafka = createKafka({ brokers: brokers.split(','), clientId: `f13-${o.seed}`, requestTimeoutMs: 5_000 });
    const runId = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
    const topic = `f13-broker-loss-${runId}`;
    const deadLetterTopic = `${topic}-dlq`;
    const topicConfig = [
      { name: 'min.insync.replicas', value: '2' },
      { name: 'unclean.leader.election.enable', value: 'false' },
    ];
    await ensureTopics(
      kafka,
      [
        { topic, numPartitions: PARTITIONS, replicationFactor: 3, configEntries: topicConfig },
        { topic: deadLetterTopic, numPartitions: 1, replicationFactor: 3, configEntries: topicConfig },
      ],
      60_000,
    );
    admin = kafka.admin();
    await admin.connect();
    const adminRef = admin;
    await waitFor('3 in-sync replicas on every partition', 60_000, async () => {
      const parts = await leadership(adminRef, topic);
      return parts.length === PARTITIONS && parts.every((p) => p.isr === 3) ? true : undefined;
    });

    publisher = new KafkaEventPublisher(kafka, { sendTimeoutMs: 5_000 });
    await publisher.start();

    // --- load, fault, restart -------------------------------------------------------------
    // The demo's seeded generator: a seed gives the same key sequence.
    const rng = createRng(o.seed);
    const random = (): number => rng.next();
    const seqOfKey = new Map<string, number>();
    const published: Published[] = [];
    const acknowledged = new Set<string>();
    const refusedIds = new Set<string>();
    const refusedBy: Record<string, number> = {};
    const total = Math.round(o.seconds * o.rate);
    const killAt = o.seconds * 1000 * 0.25;
    const restartAt = o.seconds * 1000 * 0.65;
    let killedNode = -1;
    let partitionsLedByKilled = 0;
    let killedAtMs = -1;
    let restartedAtMs = -1;
    let nodeDown = false;
    let acknowledgedWhileDown = 0;
    const inFlight = new Set<Promise<void>>();
    let killing: Promise<void> | undefined;
    let restarting: Promise<void> | undefined;
    // The fault runs beside the load; its failure is kept and thrown once the load is over (a
    // rejection nobody awaits yet would end the process).
    let faultError: unknown;
    const fault = (step: Promise<void>): Promise<void> => step.catch((err: unknown) => void (faultError ??= err));
    const pub = publisher;

    const publishOne = (n: number) => {
      const key = `cust-${Math.floor(random() * KEYS)}`;
      const seq = (seqOfKey.get(key) ?? 0) + 1;
      seqOfKey.set(key, seq);
      const id = `${runId}-${n}`;
      published.push({ id, key, seq });
      const p = pub
        .publish(topic, [{ key, value: { id, key, seq, n } }])
        .then(
          () => {
            acknowledged.add(id);
            if (nodeDown) acknowledgedWhileDown++;
          },
          (err: unknown) => {
            refusedIds.add(id);
            const reason = reasonOf(err);
            refusedBy[reason] = (refusedBy[reason] ?? 0) + 1;
          },
        )
        .finally(() => inFlight.delete(p));
      inFlight.add(p);
    };

    const t0 = Date.now();
    let sent = 0;
    let lastReport = 0;
    log(`F13: publishing ${o.rate}/s for ${o.seconds} s to ${topic} (${PARTITIONS} partitions, RF 3, min ISR 2) on ${brokers}`);
    while (sent < total) {
      const elapsed = Date.now() - t0;
      const due = Math.min(total, Math.floor((elapsed / 1000) * o.rate));
      while (sent < due) publishOne(sent++);
      if (!killing && elapsed >= killAt) {
        killing = fault(
          (async () => {
            const parts = await leadership(adminRef, topic);
            const led = new Map<number, number>();
            for (const p of parts) if (p.leader >= 0) led.set(p.leader, (led.get(p.leader) ?? 0) + 1);
            const [node, count] = [...led].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0] ?? [1, 0];
            killedNode = node;
            partitionsLedByKilled = count;
            log(`F13: ${await cluster.kill(node)} — it led ${count} of ${PARTITIONS} partitions`);
            killedAtMs = Date.now() - t0;
            nodeDown = true;
          })(),
        );
      }
      if (killing && !restarting && elapsed >= restartAt) {
        restarting = fault(
          killing.then(async () => {
            if (killedNode < 0 || faultError !== undefined) return;
            log(`F13: restarting node ${killedNode} ...`);
            log(await cluster.restart(killedNode));
            nodeDown = false;
            restartedAtMs = Date.now() - t0;
          }),
        );
      }
      if (elapsed - lastReport >= 2_000) {
        lastReport = elapsed;
        log(
          `F13: t=${(elapsed / 1000).toFixed(0)}s published=${sent} acknowledged=${acknowledged.size} refused=${refusedIds.size} inFlight=${inFlight.size}`,
        );
      }
      await sleep(10);
    }
    await killing;
    await Promise.all([...inFlight]);
    await restarting;
    if (faultError !== undefined) throw faultError;
    log(
      `F13: load done: published=${published.length} acknowledged=${acknowledged.size} refused=${refusedIds.size} ${JSON.stringify(refusedBy)}`,
    );

    const isrRestored = await waitFor('3 in-sync replicas again after the restart', 90_000, async () => {
      const parts = await leadership(adminRef, topic);
      return parts.length === PARTITIONS && parts.every((p) => p.isr === 3) ? true : undefined;
    }).catch(() => false);

    // --- read everything back --------------------------------------------------------------
    const offsets = await adminRef.fetchTopicOffsets(topic);
    const high = new Map(offsets.map((p) => [p.partition, BigInt(p.high)]));
    const next = new Map<number, bigint>();
    const seen = new Map<string, number>();
    const where = new Map<string, string[]>();
    const orderOfKey = new Map<string, number>();
    let orderViolations = 0;
    let consumed = 0;
    const handle = async (m: ConsumedMessage) => {
      consumed++;
      next.set(m.partition, BigInt(m.offset) + 1n);
      const value = JSON.parse(m.value?.toString('utf8') ?? 'null') as { id: string; key: string; seq: number };
      const copies = (seen.get(value.id) ?? 0) + 1;
      seen.set(value.id, copies);
      where.set(value.id, [...(where.get(value.id) ?? []), `${m.partition}:${m.offset}`]);
      if (copies > 1 || !acknowledged.has(value.id)) return;
      const previous = orderOfKey.get(value.key) ?? 0;
      if (value.seq < previous) orderViolations++;
      orderOfKey.set(value.key, Math.max(previous, value.seq));
    };
    const quiet = {
      info: () => undefined,
      warn: () => undefined,
      error: (obj: object, msg: string) => log(`F13 consumer: ${msg} ${JSON.stringify(obj)}`),
    };
    consumer = await startConsumer(kafka, {
      groupId: `f13-verify-${runId}`,
      topics: [topic],
      fromBeginning: true,
      deadLetter: { publisher, topic: deadLetterTopic },
      logger: quiet,
      handle,
    });
    await waitFor('the whole topic read back', 120_000, async () =>
      [...high].every(([partition, h]) => (next.get(partition) ?? 0n) >= h) ? true : undefined,
    );

    const lostIds = [...acknowledged].filter((id) => !seen.has(id));
    const duplicated = [...seen.values()].reduce((sum, copies) => sum + copies - 1, 0);
    const refusedButPresent = [...refusedIds].filter((id) => seen.has(id)).length;
    const duplicates = [...seen]
      .filter(([, copies]) => copies > 1)
      .slice(0, 10)
      .map(([id]) => ({ id, acknowledged: acknowledged.has(id), at: where.get(id) ?? [] }));
    const reasons: string[] = [];
    if (lostIds.length > 0) reasons.push(`${lostIds.length} acknowledged ids missing (first: ${lostIds.slice(0, 5).join(', ')})`);
    if (orderViolations > 0) reasons.push(`${orderViolations} acknowledged messages out of their key's order`);
    if (killedNode < 0 || killedAtMs < 0) reasons.push('no broker was killed');
    if (restartedAtMs < 0) reasons.push('the killed broker was not restarted');
    if (acknowledged.size === 0) reasons.push('nothing was acknowledged');
    if (acknowledged.size + refusedIds.size !== published.length) reasons.push('some publishes never settled');
    const verdict = reasons.length === 0 ? 'PASS' : 'FAIL';
    const details: BrokerLossDetails = {
      brokers,
      topic,
      killedNode,
      partitionsLedByKilled,
      killedAtMs,
      restartedAtMs,
      published: published.length,
      refusedBy,
      acknowledgedWhileDown,
      refusedButPresent,
      duplicates,
      consumed,
      orderViolations,
      isrRestored,
      reasons,
    };
    const line =
      `F13 broker SIGKILL (3-node KRaft, RF3, minISR2)  load=${o.rate}/s for ${o.seconds}s faults=1 ` +
      `acknowledged=${acknowledged.size} refused=${refusedIds.size} lost=${lostIds.length} duplicated=${duplicated} verdict=${verdict}`;
    failed = false;
    return { acknowledged: acknowledged.size, refused: refusedIds.size, lost: lostIds.length, duplicated, verdict, details, line };
  } finally {
    await consumer?.stop().catch(() => undefined);
    await publisher?.close().catch(() => undefined);
    await admin?.disconnect().catch(() => undefined);
    if (failed || !o.keepCluster) {
      log('F13: stopping the cluster ...');
      await cluster.clean().catch((err: unknown) => log(`F13: cluster clean failed: ${String(err)}`));
    }
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
}

function argOf(argv: readonly string[], name: string): string | undefined {
  const i = argv.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  if (i < 0) return undefined;
  const a = argv[i]!;
  return a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[i + 1];
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const num = (name: string, fallback: number) => {
    const raw = argOf(argv, name);
    const n = raw === undefined ? fallback : Number(raw);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number, got ${raw}`);
    return n;
  };
  const result = await runBrokerLossScenario({
    seconds: num('seconds', 20),
    rate: num('rate', 200),
    seed: argOf(argv, 'seed') ?? 'f13',
    keepCluster: argv.includes('--keep-cluster'),
    log: (line) => process.stderr.write(`${line}\n`),
  });
  process.stderr.write(`${JSON.stringify(result.details)}\n`);
  process.stdout.write(`${result.line}\n`);
  process.exitCode = result.verdict === 'PASS' ? 0 : 1;
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`F13: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 2;
  });
}
