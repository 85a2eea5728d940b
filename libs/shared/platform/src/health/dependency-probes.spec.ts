import { answers, bounded, postgresProbe, redisProbe } from './dependency-probes';
import { notReadyBody } from './health.controller';

describe('dependency probes', () => {
  describe('when the dependency never answers', () => {
    it('then the probe rejects once its bound has passed, saying which dependency', async () => {
      const redis = { ping: () => new Promise<string>(() => undefined) };
      await expect(redisProbe(redis, 20).check()).rejects.toThrow('redis: no answer within 20 ms');
    });
  });

  describe('when probes arrive while one is under way', () => {
    it('then they share it: one query reaches PostgreSQL', async () => {
      let queries = 0;
      let answer: (() => void) | undefined;
      const pool = {
        query: () => {
          queries++;
          return new Promise<void>((resolve) => (answer = resolve));
        },
      } as unknown as Parameters<typeof postgresProbe>[0];
      const probe = postgresProbe(pool, 1_000);
      const both = Promise.all([probe.check(), probe.check()]);
      answer!();
      await expect(both).resolves.toEqual([{}, {}]);
      expect(queries).toBe(1);
      // once answered, the next probe asks again
      const again = probe.check();
      answer!();
      await again;
      expect(queries).toBe(2);
    });
  });

  describe('when the dependency refuses', () => {
    it('then the probe rejects with its reason, and `answers` says false', async () => {
      const pool = { query: () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:1')) } as unknown as Parameters<
        typeof postgresProbe
      >[0];
      const probe = postgresProbe(pool);
      await expect(probe.check()).rejects.toThrow('ECONNREFUSED');
      await expect(answers([probe], 'postgres')).resolves.toBe(false);
      await expect(answers([probe], 'kafka')).resolves.toBe(true);
    });
  });

  it('bounded resolves with the work when it answers in time', async () => {
    await expect(bounded(Promise.resolve(7), 1_000, 'x')).resolves.toBe(7);
  });
});

describe('the readiness body when a dependency is down', () => {
  it('names each dependency down in the hub error shape, with every detail beside it', () => {
    const body = notReadyBody({
      status: 'error',
      info: { postgres: { status: 'up' } },
      error: { kafka: { status: 'down', message: 'kafka: no answer within 1000 ms' } },
      details: { postgres: { status: 'up' }, kafka: { status: 'down', message: 'kafka: no answer within 1000 ms' } },
    });
    expect(body).toEqual({
      error: 'not_ready',
      message: 'not ready: kafka (kafka: no answer within 1000 ms)',
      problems: [{ path: 'kafka', code: 'dependency_down', message: 'kafka: no answer within 1000 ms' }],
      status: 'error',
      details: { postgres: { status: 'up' }, kafka: { status: 'down', message: 'kafka: no answer within 1000 ms' } },
    });
  });
});
