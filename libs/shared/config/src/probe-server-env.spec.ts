import { loadConfig, ProbeServerEnv } from './index';

class WorkerEnv extends ProbeServerEnv {
  override HEALTH_PORT: number | 'off' = 3101;
}

describe('the probe server settings (HEALTH_HOST, HEALTH_PORT)', () => {
  it('take the app’s default port on loopback when unset', () => {
    const config = loadConfig('worker', WorkerEnv, { NODE_ENV: 'test' });
    expect([config.HEALTH_HOST, config.HEALTH_PORT]).toEqual(['127.0.0.1', 3101]);
  });

  it('take a port (0: a free one) or off', () => {
    expect(loadConfig('worker', WorkerEnv, { NODE_ENV: 'test', HEALTH_PORT: '0' }).HEALTH_PORT).toBe(0);
    expect(loadConfig('worker', WorkerEnv, { NODE_ENV: 'test', HEALTH_PORT: '8081' }).HEALTH_PORT).toBe(8081);
    expect(loadConfig('worker', WorkerEnv, { NODE_ENV: 'test', HEALTH_PORT: 'off' }).HEALTH_PORT).toBe('off');
  });

  it.each(['on', '70000', '-1', '80a'])('refuse HEALTH_PORT=%s at boot, saying what it takes', (value) => {
    expect(() => loadConfig('worker', WorkerEnv, { NODE_ENV: 'test', HEALTH_PORT: value })).toThrow(/HEALTH_PORT/);
  });
});
