import { createServer } from 'node:net';
import { CHANNEL_TEST_SETUPS } from '@hub/channel-registry/testing';
import { freshId, probeHealth, probeUntil, testInfra } from '@hub/testing';
import { startIngestApp, type RunningIngestApp } from './bootstrap-ingest-app';

/**
 * A channel's ingestion app's probes against the real Kafka, and against a closed local port in
 * its place (the shared broker is never touched).
 */
const infra = testInfra();
const running: RunningIngestApp[] = [];

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function start(brokers: string): Promise<string> {
  const namespace = freshId('hl');
  const env = Object.assign(
    {
      KAFKA_BROKERS: brokers,
      TENANT_ID: namespace,
      HUB_NAMESPACE: namespace,
      PORT: '0',
      LOG_LEVEL: 'silent',
      NODE_ENV: 'test',
      PUBLIC_BASE_URL: 'https://hub.example.com',
    },
    ...CHANNEL_TEST_SETUPS.sms.map((s) => s.env),
  ) as NodeJS.ProcessEnv;
  const app = await startIngestApp('sms', env);
  running.push(app);
  return app.url;
}

/** A probe's answer, given at most 2.5 s (a probe that hangs fails the test). */
afterAll(async () => {
  for (const app of running) await app.close();
});

describe('an ingestion app’s health', () => {
  describe('when Kafka answers', () => {
    it('then it is live and ready, and /health says ok', async () => {
      const url = await start(infra.kafkaBrokers.join(','));
      expect(await probeHealth(url, '/health/live')).toEqual({ status: 200, body: expect.objectContaining({ status: 'ok' }) });
      // Ready once the broker answers within the 1 s bound: on a loaded machine the first probes may miss it.
      const ready = await probeUntil(url, '/health/ready', (r) => r.status === 200, 'ready');
      expect(ready.status).toBe(200);
      expect(ready.body).toEqual(expect.objectContaining({ status: 'ok', details: { kafka: expect.objectContaining({ status: 'up' }) } }));
      expect(await probeHealth(url, '/health')).toEqual({ status: 200, body: { status: 'ok', kafka: true } });
    });
  });

  describe('when the broker refuses connections', () => {
    it('then it is live, not ready (503 naming kafka, answered within the probe bound), and /health says degraded', async () => {
      const url = await start(`127.0.0.1:${await closedPort()}`);
      expect((await probeHealth(url, '/health/live')).status).toBe(200);
      const ready = await probeHealth(url, '/health/ready');
      expect(ready.status).toBe(503);
      expect(ready.body).toEqual(
        expect.objectContaining({
          error: 'not_ready',
          message: expect.stringContaining('kafka'),
          problems: [{ path: 'kafka', code: 'dependency_down', message: expect.any(String) }],
          details: { kafka: expect.objectContaining({ status: 'down' }) },
        }),
      );
      expect(await probeHealth(url, '/health')).toEqual({ status: 200, body: { status: 'degraded', kafka: false } });
    }, 60_000);
  });
});
