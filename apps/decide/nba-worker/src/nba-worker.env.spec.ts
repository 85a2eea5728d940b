import { ConfigError } from '@hub/config';
import { nbaWorkerConfig } from './nba-worker.module';
import { workItemSlasOf } from './nba-worker.env';

const base = { DATABASE_URL: 'postgres://hub@127.0.0.1:5432/hub', KAFKA_BROKERS: '127.0.0.1:9092', REDIS_URL: 'redis://127.0.0.1:6379' };

describe('WORK_ITEM_SLA_MINUTES', () => {
  it('given none, then every queue has the default SLA of 8 hours', () => {
    expect(workItemSlasOf(nbaWorkerConfig(base).WORK_ITEM_SLA_MINUTES)).toEqual({ defaultMinutes: 480, byQueue: {} });
  });

  it('given queue=minutes pairs and a *, then each named queue has its own and the rest the *', () => {
    const config = nbaWorkerConfig({ ...base, WORK_ITEM_SLA_MINUTES: 'escalate_manager=60, escalate_specialist=240,*=720' });
    expect(workItemSlasOf(config.WORK_ITEM_SLA_MINUTES)).toEqual({
      defaultMinutes: 720,
      byQueue: { escalate_manager: 60, escalate_specialist: 240 },
    });
  });

  it.each(['escalate_manager', 'escalate_manager=0', 'Escalate=10', 'q=1h'])('given %j, then the worker refuses to boot', (value) => {
    expect(() => nbaWorkerConfig({ ...base, WORK_ITEM_SLA_MINUTES: value })).toThrow(ConfigError);
  });
});
