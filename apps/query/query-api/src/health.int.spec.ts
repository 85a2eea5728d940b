import { FaultProxy, freshDatabase, freshId, probeHealth, probeUntil, testInfra } from '@hub/testing';
import { startQueryApi } from './main';

/**
 * query-api's probes (open, no key) against the real PostgreSQL, reached through a proxy of the
 * spec's that then refuses every connection (the shared server is never touched).
 */
const infra = testInfra();

describe('the query API’s health', () => {
  it('is live and ready with PostgreSQL up; not ready, naming postgres, once it is unreachable; /health stays 200', async () => {
    const db = await freshDatabase('health');
    const real = new URL(db.url);
    const proxy = await FaultProxy.start({ target: { host: real.hostname, port: Number(real.port || 5432) } });
    const { app, url } = await startQueryApi({
      DATABASE_URL: Object.assign(new URL(db.url), { port: String(proxy.port) }).href,
      KAFKA_BROKERS: infra.kafkaBrokers.join(','),
      HUB_NAMESPACE: freshId('hq'),
      PORT: '0',
      HUB_API_KEYS: `${freshId('acme')}:${'0'.repeat(64)}`,
      LOG_LEVEL: 'silent',
      NODE_ENV: 'test',
    });
    try {
      expect((await probeHealth(url, '/health/live')).status).toBe(200);
      // Ready once PostgreSQL answers within the 1 s bound: on a loaded machine the first probes may miss it.
      const up = await probeUntil(url, '/health/ready', (r) => r.status === 200, 'ready');
      expect(up).toEqual({
        status: 200,
        body: expect.objectContaining({ status: 'ok', details: { postgres: { status: 'up' } } }),
      });

      proxy.set({ kind: 'reset' });
      const ready = await probeHealth(url, '/health/ready');
      expect(ready.status).toBe(503);
      expect(ready.body).toEqual(
        expect.objectContaining({
          error: 'not_ready',
          problems: [{ path: 'postgres', code: 'dependency_down', message: expect.any(String) }],
        }),
      );
      expect(await probeHealth(url, '/health/live')).toEqual({ status: 200, body: expect.objectContaining({ status: 'ok' }) });
      expect(await probeHealth(url, '/health')).toEqual({ status: 200, body: { status: 'ok' } });
      proxy.set({ kind: 'pass' });
    } finally {
      proxy.set({ kind: 'pass' }); // whatever failed: the app closes with PostgreSQL reachable
      await app.close();
      await proxy.close();
      await db.drop();
    }
  }, 90_000);
});
