import { FaultProxy, freshDatabase, freshId, onlyDown, probeHealth, probeUntil, testInfra } from '@hub/testing';
import { startNbaWorker } from './main';

/**
 * The worker's probe server against the real Kafka, PostgreSQL and Redis; Redis reached through a
 * proxy of the spec's that then refuses every connection (the shared server is never touched).
 */
const infra = testInfra();

describe('the nba worker’s health', () => {
  it('is live and ready with its dependencies up; not ready, naming redis, once Redis is unreachable', async () => {
    const db = await freshDatabase('health');
    const redis = new URL(infra.redisUrl);
    const proxy = await FaultProxy.start({ target: { host: redis.hostname, port: Number(redis.port || 6379) } });
    const { app, healthUrl } = await startNbaWorker({
      DATABASE_URL: db.url,
      REDIS_URL: Object.assign(new URL(infra.redisUrl), { port: String(proxy.port) }).href,
      KAFKA_BROKERS: infra.kafkaBrokers.join(','),
      HUB_NAMESPACE: freshId('hw'),
      LOG_LEVEL: 'silent',
      NODE_ENV: 'test',
      NBA_RECONCILE_AT_START: 'off',
      HEALTH_PORT: '0',
    });
    try {
      expect((await probeHealth(healthUrl!, '/health/live')).status).toBe(200);
      // Ready once every dependency answers within its 1 s bound: on a loaded machine the first probes may miss it.
      const up = await probeUntil(healthUrl!, '/health/ready', (r) => r.status === 200, 'ready');
      expect(up).toEqual({
        status: 200,
        body: expect.objectContaining({
          status: 'ok',
          details: { kafka: expect.objectContaining({ status: 'up' }), postgres: { status: 'up' }, redis: { status: 'up' } },
        }),
      });

      proxy.set({ kind: 'reset' });
      const ready = await probeUntil(healthUrl!, '/health/ready', onlyDown('redis'), 'not ready, naming redis');
      expect(ready.status).toBe(503);
      expect(ready.body).toEqual(
        expect.objectContaining({
          error: 'not_ready',
          problems: [{ path: 'redis', code: 'dependency_down', message: expect.any(String) }],
          details: expect.objectContaining({ redis: expect.objectContaining({ status: 'down' }) }),
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
