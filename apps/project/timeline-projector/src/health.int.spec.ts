import { FaultProxy, freshDatabase, freshId, onlyDown, probeHealth, probeUntil, testInfra } from '@hub/testing';
import { startProjector } from './main';

/**
 * The projector's probe server against the real Kafka and PostgreSQL; PostgreSQL reached through a
 * proxy of the spec's that then refuses every connection (the shared server is never touched).
 */
const infra = testInfra();

describe('the timeline projector’s health', () => {
  it('is live and ready with its dependencies up; not ready, naming postgres, once PostgreSQL is unreachable', async () => {
    const db = await freshDatabase('health');
    const real = new URL(db.url);
    const proxy = await FaultProxy.start({ target: { host: real.hostname, port: Number(real.port || 5432) } });
    const viaProxy = Object.assign(new URL(db.url), { port: String(proxy.port) }).href;
    const { app, healthUrl } = await startProjector({
      DATABASE_URL: viaProxy,
      KAFKA_BROKERS: infra.kafkaBrokers.join(','),
      HUB_NAMESPACE: freshId('hp'),
      LOG_LEVEL: 'silent',
      NODE_ENV: 'test',
      HEALTH_PORT: '0',
    });
    try {
      expect(healthUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect((await probeHealth(healthUrl!, '/health/live')).status).toBe(200);
      // Ready once every dependency answers within its 1 s bound: on a loaded machine the first probes may miss it.
      const up = await probeUntil(healthUrl!, '/health/ready', (r) => r.status === 200, 'ready');
      expect(up).toEqual({
        status: 200,
        body: expect.objectContaining({
          status: 'ok',
          details: { kafka: expect.objectContaining({ status: 'up' }), postgres: { status: 'up' } },
        }),
      });

      proxy.set({ kind: 'reset' });
      const ready = await probeUntil(healthUrl!, '/health/ready', onlyDown('postgres'), 'not ready, naming postgres');
      expect(ready.status).toBe(503);
      expect(ready.body).toEqual(
        expect.objectContaining({
          error: 'not_ready',
          problems: [{ path: 'postgres', code: 'dependency_down', message: expect.any(String) }],
          details: { kafka: expect.objectContaining({ status: 'up' }), postgres: expect.objectContaining({ status: 'down' }) },
        }),
      );
      expect((await probeHealth(healthUrl!, '/health/live')).status).toBe(200);
      proxy.set({ kind: 'pass' });
    } finally {
      proxy.set({ kind: 'pass' }); // whatever failed: the app closes with its dependency reachable
      await app.close();
      await proxy.close();
      await db.drop();
    }
  }, 90_000);
});
