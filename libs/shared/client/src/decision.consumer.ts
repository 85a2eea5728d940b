import { Kafka, logLevel, type Consumer, type IHeaders } from 'kafkajs';
import { hubNames } from '@hub/contracts';
import type { NbaDecisionMessage, NbaDecisionMessageV2 } from '@hub/customer';
import { BoundedSeenSet } from './seen-set';

/** Where one decision was read from. */
export interface DecisionContext {
  topic: string;
  partition: number;
  offset: string;
  /** The customer id (the topic's key). */
  key: string | undefined;
  headers: Record<string, string>;
}

export type DecisionHandler = (decision: NbaDecisionMessage, context: DecisionContext) => Promise<void> | void;
/** A handler of every decision (`includeNoAction: true`): `decision.kind` is `action` or `no-action`. */
export type DecisionV2Handler = (decision: NbaDecisionMessageV2, context: DecisionContext) => Promise<void> | void;

interface DecisionConsumerCommonOptions {
  /** A kafkajs client of your own, or the brokers to make one from. */
  kafka: Kafka | { brokers: string[]; clientId?: string };
  /** Your consumer group: its committed offsets say where a restart resumes. */
  groupId: string;
  /** The hub's `HUB_NAMESPACE` (the topic is `<namespace>.hub.nba-decisions.v1`, or `.v2`); none: `hub.nba-decisions.v1` (`.v2`). */
  namespace?: string;
  /** The topic itself, when it is not the namespace's. */
  topic?: string;
  /** A new group starts at the topic's beginning (default false: only decisions from now on). */
  fromBeginning?: boolean;
  /** The de-duplication window: decision ids remembered (default 100,000) and for how long since last seen (default 10 min). */
  dedup?: { maxEntries?: number; ttlMs?: number };
  /** Dotted events for your logs: `client.decisions.duplicate_skipped`, `client.decisions.invalid_skipped`. */
  log?: (event: string, fields: Record<string, unknown>) => void;
  /** The clock of the de-duplication window (default `Date.now`). */
  now?: () => number;
}

/**
 * Decisions to act on (`hub.nba-decisions.v1`, the default), or every decision
 * (`includeNoAction: true`: `hub.nba-decisions.v2`, where "decided nothing" is a message of its own,
 * `kind: 'no-action'`, with its reason).
 */
export type DecisionConsumerOptions =
  | (DecisionConsumerCommonOptions & { includeNoAction?: false; handler: DecisionHandler })
  | (DecisionConsumerCommonOptions & { includeNoAction: true; handler: DecisionV2Handler });

export interface DecisionConsumer {
  readonly topic: string;
  /** Decisions handed to the handler, duplicates skipped, messages that were no decision. */
  readonly counts: { handled: number; duplicates: number; invalid: number };
  stop(): Promise<void>;
}

/**
 * Consume the next-best-action decisions the nba-worker publishes (`hub.nba-decisions.v1`; value
 * `NbaDecisionMessage`; with `includeNoAction`, `hub.nba-decisions.v2`, `NbaDecisionMessageV2`),
 * handing each decision to `handler` once: delivery is at least once (a
 * relay that crashed republishes, seconds later; a rebalance re-reads what was not committed), so
 * decisions are de-duplicated by `decisionId` within a bounded window (`BoundedSeenSet`).
 *
 * A decision counts as seen only once its handler resolved: a handler that throws leaves it
 * unseen and uncommitted, and kafkajs delivers it again. The window is this process's: two
 * consumers of one group see disjoint partitions (a decision's key, its customer, pins it to one),
 * so only a rebalance in between can let both act on it; what the handler does should then be
 * idempotent by `decisionId` too.
 */
export async function startDecisionConsumer(options: DecisionConsumerOptions): Promise<DecisionConsumer> {
  const kafka =
    options.kafka instanceof Kafka
      ? options.kafka
      : new Kafka({ clientId: options.kafka.clientId ?? 'hub-client', brokers: options.kafka.brokers, logLevel: logLevel.NOTHING });
  const names = hubNames(options.namespace).topics;
  const topic = options.topic ?? (options.includeNoAction ? names.nbaDecisionsV2 : names.nbaDecisions);
  // Either topic's messages are read alike; which handler gets them follows the topic chosen above.
  const handler = options.handler as (
    decision: NbaDecisionMessage | NbaDecisionMessageV2,
    context: DecisionContext,
  ) => Promise<void> | void;
  const seen = new BoundedSeenSet({ maxEntries: options.dedup?.maxEntries ?? 100_000, ttlMs: options.dedup?.ttlMs ?? 10 * 60_000 });
  const now = options.now ?? Date.now;
  const log = options.log ?? (() => undefined);
  const counts = { handled: 0, duplicates: 0, invalid: 0 };

  const consumer: Consumer = kafka.consumer({ groupId: options.groupId, maxWaitTimeInMs: 250 });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: options.fromBeginning ?? false });
    await consumer.run({
      eachMessage: async ({ topic: from, partition, message }) => {
        const headers = textHeaders(message.headers);
        const context: DecisionContext = { topic: from, partition, offset: message.offset, key: message.key?.toString(), headers };
        const parsed = parseDecisionMessage(message.value);
        if (!parsed.ok) {
          counts.invalid++;
          log('client.decisions.invalid_skipped', { partition, offset: message.offset, reason: parsed.reason });
          return;
        }
        const decision = parsed.decision;
        if (seen.has(decision.decisionId, now())) {
          counts.duplicates++;
          seen.add(decision.decisionId, now());
          log('client.decisions.duplicate_skipped', {
            decisionId: decision.decisionId,
            correlationId: decision.correlationId,
            partition,
            offset: message.offset,
          });
          return;
        }
        await handler(decision, context);
        seen.add(decision.decisionId, now());
        counts.handled++;
      },
    });
  } catch (err) {
    await consumer.disconnect();
    throw err;
  }
  return { topic, counts, stop: () => consumer.disconnect() };
}

/**
 * One message's value as a decision, or why it is none. Checks what a sender acts on (ids, the
 * action, how it reaches the customer); the rest is taken as the relay wrote it.
 */
export function parseDecisionMessage(
  value: Buffer | null | undefined,
): { ok: true; decision: NbaDecisionMessage } | { ok: false; reason: string } {
  if (!value || value.length === 0) return { ok: false, reason: 'empty value' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(value.toString('utf8'));
  } catch (err) {
    return { ok: false, reason: `not JSON: ${(err as Error).message}` };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return { ok: false, reason: 'not a JSON object' };
  const d = parsed as Record<string, unknown>;
  const missing = ['decisionId', 'tenantId', 'customerId', 'contactMode', 'decidedAt'].filter(
    (field) => typeof d[field] !== 'string' || d[field] === '',
  );
  const action = d['action'] as Record<string, unknown> | undefined;
  if (typeof action !== 'object' || action === null || typeof action['kind'] !== 'string' || typeof action['code'] !== 'string')
    missing.push('action');
  if (missing.length > 0) return { ok: false, reason: `not a decision: no ${missing.join(', ')}` };
  return { ok: true, decision: parsed as NbaDecisionMessage };
}

function textHeaders(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value === undefined) continue;
    out[name] = Array.isArray(value) ? value.map(String).join(',') : String(value);
  }
  return out;
}
