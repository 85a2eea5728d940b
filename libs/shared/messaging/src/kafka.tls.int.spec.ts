import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HubEnv, kafkaConnection, loadConfig } from '@hub/config';
import { eventually, freshId, makeTestPki, ThrowawayKafka, type TestPki } from '@hub/testing';
import { createKafka } from './kafka.factory';
import { ensureTopics } from './topics';

/**
 * Kafka over TLS as the apps configure it (docs/operations.md, "TLS"): a broker of the spec's own
 * whose listeners are SSL, requiring client certificates signed by the spec's CA, and SASL_SSL with
 * SCRAM-SHA-512. Each
 * client is made as an app makes it: settings loaded and validated by `loadConfig`, then
 * `createKafka(kafkaConnection(config, clientId))`.
 */
jest.setTimeout(120_000);

let dir: string;
let pki: TestPki;
let broker: ThrowawayKafka | undefined;
const SCRAM_USER = { name: 'hub', password: `pw${randomBytes(12).toString('hex')}` };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hub-kafka-tls-pki-'));
  pki = makeTestPki(dir);
  broker = await ThrowawayKafka.start(pki, { clientAuth: 'required', scramUser: SCRAM_USER });
}, 180_000);

afterAll(async () => {
  await broker?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const kafkaFrom = (env: NodeJS.ProcessEnv) =>
  createKafka({
    ...kafkaConnection(loadConfig('kafka-tls-test', HubEnv, { KAFKA_BROKERS: broker!.brokers, ...env }), freshId('tls')),
    connectionTimeoutMs: 5_000,
  });

const mutualTls = () => ({
  KAFKA_SSL: 'true',
  KAFKA_SSL_CA_FILE: pki.caFile,
  KAFKA_SSL_CERT_FILE: pki.clientCertFile,
  KAFKA_SSL_KEY_FILE: pki.clientKeyFile,
});

/** Whether a client made from these settings gets the cluster's metadata: the error it gets otherwise. */
async function connectError(env: NodeJS.ProcessEnv): Promise<string> {
  const admin = kafkaFrom(env).admin();
  try {
    await admin.connect();
    await admin.listTopics();
    return 'connected';
  } catch (err) {
    return String(err);
  } finally {
    await admin.disconnect();
  }
}

/** A producer publishes one message and a consumer group reads it back, both of a client made from these settings. */
async function roundTrip(env: NodeJS.ProcessEnv): Promise<string[]> {
  const kafka = kafkaFrom(env);
  const topic = freshId('tls-topic');
  await ensureTopics(kafka, [{ topic, numPartitions: 1 }]);
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  await producer.send({ topic, acks: -1, messages: [{ key: 'customer-1', value: 'over TLS' }] });
  await producer.disconnect();

  const consumer = kafka.consumer({ groupId: freshId('tls-group'), maxWaitTimeInMs: 200 });
  const seen: string[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void seen.push(`${message.key!.toString()}=${message.value!.toString()}`) });
    await eventually(async () => (seen.length > 0 ? true : undefined), { what: 'the message back from the TLS broker' });
  } finally {
    await consumer.disconnect();
  }
  return seen;
}

describe('Kafka over TLS, as configured', () => {
  it('with the CA and a client certificate, a producer publishes and a consumer group reads it back over TLS', async () => {
    expect(await roundTrip(mutualTls())).toEqual(['customer-1=over TLS']);
  });

  it('with the CA and SCRAM-SHA-512 credentials, the same over SASL_SSL; a wrong password is refused', async () => {
    const scram = {
      KAFKA_BROKERS: broker!.saslBrokers,
      KAFKA_SSL: 'true',
      KAFKA_SSL_CA_FILE: pki.caFile,
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: SCRAM_USER.name,
    };
    expect(await roundTrip({ ...scram, KAFKA_SASL_PASSWORD: SCRAM_USER.password })).toEqual(['customer-1=over TLS']);
    expect(await connectError({ ...scram, KAFKA_SASL_PASSWORD: 'not-the-password' })).toMatch(/SASL SCRAM SHA512 authentication failed/);
  });

  it('without the CA (the public CAs only), or trusting another CA, the broker is refused', async () => {
    const { KAFKA_SSL_CERT_FILE, KAFKA_SSL_KEY_FILE } = mutualTls();
    expect(await connectError({ KAFKA_SSL: 'true', KAFKA_SSL_CERT_FILE, KAFKA_SSL_KEY_FILE })).toMatch(
      /self[- ]signed certificate in certificate chain/,
    );
    expect(await connectError({ KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: pki.otherCaFile, KAFKA_SSL_CERT_FILE, KAFKA_SSL_KEY_FILE })).toMatch(
      /self[- ]signed certificate in certificate chain|unable to get local issuer certificate/,
    );
  });

  it('without a client certificate, the broker (ssl.client.auth=required) refuses the client', async () => {
    expect(await connectError({ KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: pki.caFile })).toMatch(/alert bad certificate/);
  });

  it('without TLS, a client cannot speak to the SSL listener', async () => {
    // The broker reads the client's plain request as a broken TLS handshake and closes the connection.
    expect(await connectError({})).toMatch(/Closed connection/);
  });
});
