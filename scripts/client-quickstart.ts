/* @hub/client, end to end, as a contact-center platform would use it (libs/shared/client/README.md):
 * one event, an NDJSON batch (gzip) with a line the API refuses, a consent change and profile traits
 * through the generic ingest API — and, with --listen, the next best actions the hub decides for the
 * customer, each decision once.
 *
 *   HUB_INGEST_URL=http://127.0.0.1:3000 HUB_SOURCE_KEY=<source key> \
 *     [KAFKA_BROKERS=127.0.0.1:9092 HUB_NAMESPACE=<namespace>] \
 *     node -r @swc-node/register scripts/client-quickstart.ts [--phone +14155550123] [--listen 20]
 *
 * Without --phone, a new fictional number each run.
 *
 * (`npm run client-quickstart -- …` is the same.) `npm run demo` prints this command for its running hub.
 */
import { randomUUID } from 'node:crypto';
import {
  HubApiError,
  HubIngestClient,
  startDecisionConsumer,
  type DecisionConsumer,
  type InteractionReceivedInput,
  type NbaDecisionMessage,
} from '@hub/client';

const argv = process.argv.slice(2);
const arg = (name: string): string | undefined => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
};
const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required (see the comment at the top of scripts/client-quickstart.ts)`);
  return value;
};

async function main(): Promise<void> {
  const client = new HubIngestClient({
    baseUrl: env('HUB_INGEST_URL'),
    apiKey: env('HUB_SOURCE_KEY'),
    // Told before each wait: a 429 or 503 with Retry-After, or no answer.
    onRetry: (r) => console.log(`  retrying ${r.path} in ${r.delayMs} ms (attempt ${r.attempt} got ${r.status || 'no answer'})`),
  });
  // A fictional number (555-01xx), a different one each run: a new customer, whom the hub has not decided for yet.
  const phone = arg('phone') ?? `+1415555${String(100 + Math.floor(Math.random() * 100)).padStart(4, '0')}`;
  const listenSeconds = Number(arg('listen') ?? 0);
  const run = randomUUID().slice(0, 8);
  const now = new Date().toISOString();

  // Listen first (only decisions from now on), so the decision about the message below is not missed.
  let decisions: DecisionConsumer | undefined;
  const decided: NbaDecisionMessage[] = [];
  if (listenSeconds > 0) {
    decisions = await startDecisionConsumer({
      kafka: { brokers: env('KAFKA_BROKERS').split(','), clientId: 'client-quickstart' },
      groupId: `client-quickstart-${run}`,
      namespace: process.env['HUB_NAMESPACE'] ?? '',
      handler: (d) => {
        decided.push(d);
        console.log(
          `  decision ${d.decisionId}: ${d.action.kind} ${d.action.code} (${d.contactMode}) for ${d.customerId} — ${d.explanation.reason}`,
        );
      },
    });
  }

  const message = (text: string, messageId: string): InteractionReceivedInput => ({
    type: 'InteractionReceived',
    data: {
      direction: 'inbound',
      kind: 'message',
      identities: [{ kind: 'phone', value: phone }],
      content: { text },
      provider: { messageId },
    },
    metadata: { occurredAt: now, channel: 'webchat' },
  });

  const one = await client.sendEvent(message('Hi, where is my order? It is late and I am not happy.', `qs-${run}-1`));
  console.log(`one event from ${phone}: ${one.status}, event id ${one.eventId}`);

  const batch = await client.sendBatch(
    [
      message('Any news?', `qs-${run}-2`),
      { ...message('this line has no time', `qs-${run}-3`), metadata: { occurredAt: 'yesterday', channel: 'webchat' } },
      message('Thanks!', `qs-${run}-4`),
    ],
    { gzip: true },
  );
  console.log(`a batch (gzip): ${batch.accepted} accepted, ${batch.invalid} refused, in ${batch.requests} request(s)`);
  for (const r of batch.results)
    console.log(
      r.status === 'accepted'
        ? `  line ${r.line}: accepted, ${r.eventId}`
        : `  line ${r.line}: ${r.code} — ${r.problems.map((p) => `${p.path} ${p.message}`).join('; ')}`,
    );

  const traits = await client.sendTraits({ identities: [{ kind: 'phone', value: phone }], traits: { tier: 'gold' }, occurredAt: now });
  console.log(`traits: ${traits.status}, event id ${traits.eventId}`);

  // A 4xx other than 429 is not retried: it throws, with the API's {error, message, problems}.
  try {
    await client.sendConsent({
      identities: [{ kind: 'phone', value: phone }],
      channel: 'sms',
      consent: 'opted_in',
      source: 'keyword',
      occurredAt: now,
    });
  } catch (err) {
    if (!(err instanceof HubApiError)) throw err;
    console.log(
      `a consent change the API refuses: ${err.status} ${err.error} — ${err.problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`,
    );
  }

  if (decisions) {
    console.log(`listening ${listenSeconds} s for next best actions (each decision once, however often it is delivered)…`);
    await new Promise((r) => setTimeout(r, listenSeconds * 1000));
    await decisions.stop();
    console.log(`${decided.length} decision(s); ${decisions.counts.duplicates} duplicate(s) skipped`);
    if (decided.length === 0)
      console.log('  (a decision that contacts nobody — do nothing, a cooldown — is recorded in the store but not published)');
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
