import { eventually, FaultProxy, freshDatabase, freshId, testInfra } from '@hub/testing';
import { startNbaWorker } from './main';

/**
 * The worker's probe server against the real Kafka, PostgreSQL and Redis; Redis reached through a
 * proxy of the spec's that then refuses every connection (the shared server is never touched).
 */
const infra = testInfra();

async function probe(url: string, path: string) {
  const res = await fetch(`${url}${path}`, { signal: AbortSignal.timeout(2_500) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

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
      expect((await probe(healthUrl!, '/health/live')).status).toBe(200);
      // Ready once every dependency answers within its 1 s bound: on a loaded machine the first probes may miss it.
      const up = await eventually(
        async () => {
          const r = await probe(healthUrl!, '/health/ready');
          return r.status === 200 ? r : undefined;
        },
        { what: 'ready', timeoutMs: 30_000, intervalMs: 250 },
      );
      expect(up).toEqual({
        status: 200,
        body: expect.objectContaining({
          status: 'ok',
          details: { kafka: expect.objectContaining({ status: 'up' }), postgres: { status: 'up' }, redis: { status: 'up' } },
        }),
      });

      proxy.set({ kind: 'reset' });
      const ready = await eventually(
        async () => {
          const r = await probe(healthUrl!, '/health/ready');
          const problems = r.body['problems'] as { path: string }[] | undefined;
          // Only redis down (under load another dependency may miss its bound on one probe: probe again).
          return r.status === 503 && problems?.length === 1 && problems[0]!.path === 'redis' ? r : undefined;
        },
        { what: 'not ready, naming redis', timeoutMs: 30_000, intervalMs: 250 },
      );
      expect(ready.status).toBe(503);
      expect(ready.body).toEqual(
        expect.objectContaining({
          error: 'not_ready',
          problems: [{ path: 'redis', code: 'dependency_down', message: expect.any(String) }],
          details: expect.objectContaining({ redis: expect.objectContaining({ status: 'down' }) }),
        }),
      );
      expect((await probe(healthUrl!, '/health/live')).status).toBe(200);
      proxy.set({ kind: 'pass' });
    } finally {
      proxy.set({ kind: 'pass' }); // whatever failed: the app closes with its dependency reachable
      await app.close();
      await proxy.close();
      await db.drop();
    }
  }, 90_000);
});
