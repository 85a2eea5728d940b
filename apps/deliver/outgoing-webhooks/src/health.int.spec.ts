import { freshDatabase, freshId, probeHealth, probeUntil, testInfra } from '@hub/testing';
import { startOutgoingWebhooks } from './main';

/** The app's probe server against the real Kafka, PostgreSQL and Redis. */
const infra = testInfra();

describe('the outgoing-webhooks app’s health', () => {
  it('is live, and ready once Kafka, PostgreSQL and Redis answer', async () => {
    const db = await freshDatabase('webhooks_health');
    const { app, healthUrl } = await startOutgoingWebhooks({
      DATABASE_URL: db.url,
      REDIS_URL: infra.redisUrl,
      KAFKA_BROKERS: infra.kafkaBrokers.join(','),
      HUB_NAMESPACE: freshId('hw'),
      LOG_LEVEL: 'silent',
      NODE_ENV: 'test',
      HEALTH_PORT: '0',
    });
    try {
      expect((await probeHealth(healthUrl!, '/health/live')).status).toBe(200);
      const up = await probeUntil(healthUrl!, '/health/ready', (r) => r.status === 200, 'ready');
      expect(up.body).toEqual(
        expect.objectContaining({
          status: 'ok',
          details: { kafka: expect.objectContaining({ status: 'up' }), postgres: { status: 'up' }, redis: { status: 'up' } },
        }),
      );
    } finally {
      await app.close();
      await db.drop();
    }
  }, 90_000);
});
