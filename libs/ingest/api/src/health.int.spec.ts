import { createServer } from 'node:net';
import { randomBytes } from 'node:crypto';
import { freshId, probeHealth, testInfra } from '@hub/testing';
import { startIngestApiApp, type RunningIngestApi } from './bootstrap-ingest-api';
import { sha256Hex } from './source-keys';

/**
 * ingest-api's probes against the real Kafka, and against a closed local port in its place (the
 * shared broker is never touched): ready only when the broker answers and the raw topic's consumer runs.
 */
const infra = testInfra();
const KEY = randomBytes(24).toString('base64url');
const running: RunningIngestApi[] = [];

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function start(brokers: string): Promise<RunningIngestApi> {
  const namespace = freshId('ha');
  const api = await startIngestApiApp({
    HUB_NAMESPACE: namespace,
    KAFKA_BROKERS: brokers,
    PORT: '0',
    LOG_LEVEL: 'silent',
    NODE_ENV: 'test',
    INGEST_API_KEYS: `genesys:${namespace}:${sha256Hex(KEY)}`,
    INGEST_RAW_ENABLED: 'true',
    INGEST_SEND_TIMEOUT_MS: '10000',
  });
  running.push(api);
  return api;
}

/** A probe's answer, given at most 2.5 s (a probe that hangs fails the test). */
afterAll(async () => {
  for (const api of running) await api.close();
});

describe('ingest-api’s health', () => {
  describe('when Kafka answers', () => {
    it('then it is live, and ready once the raw topic’s consumer runs', async () => {
      const { url } = await start(infra.kafkaBrokers.join(','));
      expect((await probeHealth(url, '/health/live')).status).toBe(200);
      // The consumer joins its group in the background after the server started.
      let ready = await probeHealth(url, '/health/ready');
      for (let i = 0; i < 60 && ready.status !== 200; i++) {
        await new Promise((r) => setTimeout(r, 500));
        ready = await probeHealth(url, '/health/ready');
      }
      expect(ready).toEqual({
        status: 200,
        body: expect.objectContaining({
          status: 'ok',
          details: { kafka: expect.objectContaining({ status: 'up' }), 'raw-consumer': { status: 'up', state: 'running' } },
        }),
      });
      expect(await probeHealth(url, '/health')).toEqual({ status: 200, body: { status: 'ok', kafka: true, rawConsumer: 'running' } });
    }, 60_000);
  });

  describe('when the broker refuses connections', () => {
    it('then it is not ready (503 naming kafka and the consumer), and a publish is refused at once, not after the send timeout', async () => {
      const { url } = await start(`127.0.0.1:${await closedPort()}`);
      expect((await probeHealth(url, '/health/live')).status).toBe(200);
      const ready = await probeHealth(url, '/health/ready');
      expect(ready.status).toBe(503);
      expect(ready.body).toEqual(
        expect.objectContaining({
          error: 'not_ready',
          problems: [
            { path: 'kafka', code: 'dependency_down', message: expect.any(String) },
            { path: 'raw-consumer', code: 'dependency_down', message: expect.stringContaining('consumer') },
          ],
        }),
      );
      expect(await probeHealth(url, '/health')).toEqual({
        status: 200,
        body: expect.objectContaining({ status: 'degraded', kafka: false }),
      });
      // INGEST_SEND_TIMEOUT_MS is 10 s: a 503 within 2.5 s is the refused connection's, not the timeout's.
      const res = await fetch(`${url}/v1/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
        body: JSON.stringify({
          type: 'InteractionReceived',
          data: {
            direction: 'inbound',
            kind: 'message',
            identities: [{ kind: 'phone', value: '+14155550100' }],
            content: { text: 'while the broker refuses', media: [] },
            provider: { messageId: freshId('m') },
          },
          metadata: { occurredAt: '2025-03-01T11:59:58.000Z', channel: 'sms' },
        }),
        signal: AbortSignal.timeout(2_500),
      });
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
    }, 60_000);
  });
});
