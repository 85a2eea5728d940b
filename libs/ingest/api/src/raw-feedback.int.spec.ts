import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel, type Consumer, type Producer } from 'kafkajs';
import { HeaderNames, rawRejectionsTopic } from '@hub/contracts';
import { redriveDeadLetters } from '@hub/messaging';
import { eventually, freshId, startAppProcess, testInfra } from '@hub/testing';
import { startIngestApiApp, type RunningIngestApi } from './bootstrap-ingest-api';
import { clientScopedEventId } from './interaction-intake';
import type { RawRejectionFeedback } from './raw-rejection-feedback';

/**
 * The raw topic's refusals against the real Kafka (issue #16 item 5): each allowed tenant reads its
 * own on its feedback topic, the shared dead-letter topic references the message instead of copying
 * it, a dead letter is re-driven once its cause is fixed, and a raw consumer with no tenant allowed
 * says so at boot. Topics and groups of its own (a fresh HUB_NAMESPACE).
 */
const infra = testInfra();
const namespace = freshId('rf');
const tenantA = freshId('acme');
const tenantB = freshId('globex');
/** Not allowed at first; allowed once the operator fixed INGEST_RAW_TENANTS (the re-drive). */
const tenantC = freshId('initech');
const PHONE = '+14155550142';

const kafka = new Kafka({ clientId: freshId('rf-test'), brokers: infra.kafkaBrokers, logLevel: logLevel.NOTHING });
type Read = { topic: string; partition: number; offset: string; key: string | undefined; headers: Record<string, string>; value: string };
const seen: Read[] = [];
let api: RunningIngestApi;
let reader: Consumer;
let producer: Producer;

const env = (tenants: string[]) => ({
  HUB_NAMESPACE: namespace,
  KAFKA_BROKERS: infra.kafkaBrokers.join(','),
  HOST: '127.0.0.1',
  PORT: '0',
  LOG_LEVEL: 'silent',
  INGEST_RAW_TENANTS: tenants.join(','),
});

function platformEvent(marker: string, tenantId: string, { phone = PHONE, eventId }: { phone?: string; eventId?: string } = {}) {
  return {
    type: 'InteractionReceived',
    data: {
      direction: 'inbound',
      kind: 'message',
      identities: [{ kind: 'phone', value: phone }],
      content: { text: marker, media: [] },
      provider: { name: 'genesys', messageId: `msg-${marker}` },
    },
    metadata: { occurredAt: '2025-03-01T11:59:58.000Z', channel: 'sms', tenantId, ...(eventId ? { eventId } : {}) },
  };
}

/** Produce one raw message; where it landed. */
async function produceRaw(value: unknown, key = PHONE): Promise<{ partition: number; offset: string }> {
  const [meta] = await producer.send({
    topic: api.names.topics.rawInteractions,
    acks: -1,
    messages: [{ key, value: JSON.stringify(value), headers: { 'x-agent-email': 'agent@example.com' } }],
  });
  return { partition: meta!.partition, offset: meta!.baseOffset! };
}

const on = (topic: string) => seen.filter((m) => m.topic === topic);
const deadLetterOf = (at: { partition: number; offset: string }) =>
  on(api.names.topics.deadLetter).find(
    (m) => m.headers[HeaderNames.dlqSourcePartition] === String(at.partition) && m.headers[HeaderNames.dlqSourceOffset] === at.offset,
  );

beforeAll(async () => {
  api = await startIngestApiApp(env([tenantA, tenantB]));
  producer = kafka.producer();
  await producer.connect();
  reader = kafka.consumer({ groupId: freshId('rf-reader'), maxWaitTimeInMs: 100 });
  await reader.connect();
  await reader.subscribe({
    topics: [
      api.names.topics.interactions,
      api.names.topics.deadLetter,
      rawRejectionsTopic(tenantA, namespace),
      rawRejectionsTopic(tenantB, namespace),
    ],
    fromBeginning: true,
  });
  await reader.run({
    eachMessage: async ({ topic, partition, message }) => {
      const headers = Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]));
      seen.push({
        topic,
        partition,
        offset: message.offset,
        key: message.key?.toString(),
        headers,
        value: message.value?.toString() ?? '',
      });
    },
  });
}, 60_000);

afterAll(async () => {
  await reader?.disconnect();
  await producer?.disconnect();
  await api?.close();
});

describe('a message of tenant A refused on the raw topic', () => {
  it('is reported on A’s feedback topic in the API’s error shape, with its coordinates and no payload; B’s sees nothing', async () => {
    const marker = freshId('bad');
    const sent = platformEvent(marker, tenantA, { phone: '+1415', eventId: `CCX-${marker}` });
    const at = await produceRaw(sent);
    const feedbackA = rawRejectionsTopic(tenantA, namespace);
    const [record] = await eventually(async () => (on(feedbackA).length > 0 ? on(feedbackA) : undefined), { what: 'A’s feedback' });
    expect(record!.key).toBe(`CCX-${marker}`);
    expect(record!.headers[HeaderNames.tenantId]).toBe(tenantA);
    expect(JSON.parse(record!.value) as RawRejectionFeedback).toEqual({
      error: 'invalid_event',
      message: 'the event is not valid: see problems (every one found)',
      problems: [{ path: 'data.identities.0.value', code: 'invalid_identity', message: expect.any(String) }],
      tenantId: tenantA,
      clientEventId: `CCX-${marker}`,
      coordinates: { topic: api.names.topics.rawInteractions, ...at },
      payload: { bytes: Buffer.byteLength(JSON.stringify(sent)), sha256: expect.stringMatching(/^[0-9a-f]{64}$/) },
      rejectedAt: expect.any(String),
    });
    // Not the payload: neither its text nor its provider ids.
    expect(record!.value).not.toContain(`"text"`);
    expect(record!.value).not.toContain(`msg-${marker}`);

    // The dead letter is written after the feedback: once it is there, B's topic has had its chance.
    const dead = await eventually(async () => deadLetterOf(at), { what: 'the dead letter' });
    const feedbackB = rawRejectionsTopic(tenantB, namespace);
    const admin = kafka.admin();
    await admin.connect();
    try {
      expect((await admin.fetchTopicOffsets(feedbackB)).map((p) => p.high)).toEqual(['0']);
    } finally {
      await admin.disconnect();
    }
    expect(on(feedbackB)).toEqual([]);

    // The shared dead letter references the message: no value, key or sender header of it.
    expect(dead.key).toBe(`${api.names.topics.rawInteractions}:${at.partition}:${at.offset}`);
    expect(JSON.parse(dead.value)).toEqual({
      reference: { topic: api.names.topics.rawInteractions, ...at },
      rawBytes: expect.any(Number),
      rawSha256: (JSON.parse(record!.value) as RawRejectionFeedback).payload.sha256,
    });
    expect(dead.headers[HeaderNames.dlqCode]).toBe('INVALID_EVENT');
    expect(dead.headers[HeaderNames.dlqReason]).toBe('data.identities.0.value: invalid_identity');
    expect(dead.headers[HeaderNames.tenantId]).toBe(tenantA);
    expect(dead.headers['x-agent-email']).toBeUndefined();
    const whole = JSON.stringify(dead);
    for (const clear of [marker, '+1415', PHONE, 'agent@example.com']) expect(whole).not.toContain(clear);
  });
});

describe('a dead letter of the raw topic', () => {
  it('is re-driven once the operator allowed its tenant: the message is read back at its coordinates and recorded', async () => {
    const marker = freshId('redrive');
    const at = await produceRaw(platformEvent(marker, tenantC, { eventId: `CCX-${marker}` }));
    const dead = await eventually(async () => deadLetterOf(at), { what: 'the dead letter of a tenant not allowed' });
    expect(dead.headers[HeaderNames.dlqCode]).toBe('TENANT_NOT_ALLOWED');
    expect(dead.headers[HeaderNames.tenantId]).toBe(tenantC);
    expect(on(rawRejectionsTopic(tenantA, namespace)).filter((m) => m.value.includes(tenantC))).toEqual([]);

    // The operator adds the tenant (a restart with INGEST_RAW_TENANTS), then re-drives its dead letters.
    await api.close();
    api = await startIngestApiApp(env([tenantA, tenantB, tenantC]));
    const options = {
      deadLetterTopic: api.names.topics.deadLetter,
      sourceTopic: api.names.topics.rawInteractions,
      select: (headers: Readonly<Record<string, string>>) => headers[HeaderNames.tenantId] === tenantC,
    };
    const dry = await redriveDeadLetters(kafka, { ...options, dryRun: true });
    expect(dry).toEqual(
      expect.objectContaining({ selected: 1, redriven: [{ topic: api.names.topics.rawInteractions, ...at }], gone: [], changed: [] }),
    );
    const report = await redriveDeadLetters(kafka, options);
    expect(report.redriven).toEqual([{ topic: api.names.topics.rawInteractions, ...at }]);

    const expectedId = clientScopedEventId(tenantC, 'genesys', `CCX-${marker}`);
    const recorded = await eventually(
      async () => on(api.names.topics.interactions).find((m) => m.headers[HeaderNames.eventId] === expectedId),
      { what: 'the re-driven event on interactions' },
    );
    expect(recorded.headers[HeaderNames.tenantId]).toBe(tenantC);
    expect(JSON.parse(recorded.value)).toEqual(
      expect.objectContaining({ data: expect.objectContaining({ content: { text: marker, media: [] } }) }),
    );

    // A run from the offset the last one reported finds nothing more to do.
    const next = await redriveDeadLetters(kafka, { ...options, fromOffset: report.nextOffsets[0] });
    expect(next.selected).toBe(0);
  }, 90_000);
});

describe('ingest-api with the raw consumer on and INGEST_RAW_TENANTS empty', () => {
  it('says at boot that every raw message will be refused, and how to fix it', async () => {
    const logDir = mkdtempSync(join(tmpdir(), 'rf-boot-'));
    const app = await startAppProcess('ingest-api', { ...env([]), LOG_LEVEL: 'info', HUB_NAMESPACE: freshId('rfboot') }, { logDir });
    try {
      // The process's output reaches its log file a moment after the harness saw the ready line.
      const lines = await eventually(
        async () => {
          const read = readFileSync(app.logFile, 'utf8')
            .split('\n')
            .filter((l) => l.startsWith('{'))
            .map((l) => JSON.parse(l) as { msg: string; level: number; hint?: string });
          return read.some((l) => l.msg === 'ingest.app.started') ? read : undefined;
        },
        { what: 'the boot log' },
      );
      const warning = lines.find((l) => l.msg === 'ingest.api.raw.no_tenants');
      expect(warning).toEqual(expect.objectContaining({ level: 40, hint: expect.stringContaining('INGEST_RAW_TENANTS is empty') }));
      expect(lines.findIndex((l) => l.msg === 'ingest.api.raw.no_tenants')).toBeLessThan(
        lines.findIndex((l) => l.msg === 'ingest.app.started'),
      );
    } finally {
      await app.stop();
      rmSync(logDir, { recursive: true, force: true });
    }
  }, 90_000);
});
