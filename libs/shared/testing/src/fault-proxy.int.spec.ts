import IORedis from 'ioredis';
import { Client } from 'pg';
import { freshId, testInfra } from './env';
import { FaultProxy } from './fault-proxy';

const infra = testInfra();
const redisTarget = (() => {
  const u = new URL(infra.redisUrl);
  return { host: u.hostname, port: Number(u.port || 6379) };
})();

describe('FaultProxy (degraded links on loopback, issue #15 F11)', () => {
  let proxy: FaultProxy;
  let direct: IORedis;
  const clients: IORedis[] = [];
  const through = (): IORedis => {
    const c = new IORedis({
      host: '127.0.0.1',
      port: proxy.port,
      maxRetriesPerRequest: 0,
      commandTimeout: 500,
      retryStrategy: () => null,
      enableOfflineQueue: false,
      lazyConnect: true,
    });
    c.on('error', () => undefined);
    clients.push(c);
    return c;
  };

  beforeEach(async () => {
    proxy = await FaultProxy.start({ target: redisTarget });
    direct = new IORedis(infra.redisUrl);
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.disconnect();
    direct.disconnect();
    await proxy.close();
  });

  it('passes traffic both ways, and keeps its order under latency', async () => {
    const c = through();
    await c.connect();
    const key = freshId('fp');
    expect(await c.set(key, '1', 'EX', 60)).toBe('OK');
    proxy.set({ kind: 'latency', ms: 30 });
    const answers = await Promise.all(Array.from({ length: 20 }, () => c.incr(key)));
    expect(answers).toEqual(Array.from({ length: 20 }, (_, i) => i + 2));
    expect(proxy.connections).toBe(1);
  });

  it('blackhole: nothing comes back, and nothing reaches the server either', async () => {
    const c = through();
    await c.connect();
    const key = freshId('fp');
    proxy.set({ kind: 'blackhole' });
    await expect(c.set(key, 'lost', 'EX', 60)).rejects.toThrow(/timed out/i);
    expect(await direct.get(key)).toBeNull();
  });

  it('half-open: the write reaches the server but its answer never arrives (an ambiguous write)', async () => {
    const c = through();
    await c.connect();
    const key = freshId('fp');
    proxy.set({ kind: 'half-open' });
    await expect(c.set(key, 'written', 'EX', 60)).rejects.toThrow(/timed out/i);
    expect(await direct.get(key)).toBe('written');
  });

  it('reset: open connections are cut and new ones refused, until the link is back', async () => {
    const c = through();
    await c.connect();
    const closed = new Promise<void>((resolve) => c.once('close', () => resolve()));
    proxy.set({ kind: 'reset' });
    await closed;
    expect(proxy.connections).toBe(0);
    await expect(through().connect()).rejects.toThrow();
    proxy.set({ kind: 'pass' });
    const again = through();
    await again.connect();
    expect(await again.ping()).toBe('PONG');
  });

  it('works for PostgreSQL too: a query passes, a reset ends the session with an error', async () => {
    const u = new URL(infra.databaseUrl);
    await proxy.close();
    proxy = await FaultProxy.start({ target: { host: u.hostname, port: Number(u.port || 5432) } });
    const viaProxy = new URL(infra.databaseUrl);
    viaProxy.hostname = '127.0.0.1';
    viaProxy.port = String(proxy.port);
    const pg = new Client({ connectionString: viaProxy.toString() });
    const ended = new Promise<Error>((resolve) => pg.on('error', resolve));
    await pg.connect();
    expect((await pg.query<{ one: number }>('select 1 as one')).rows).toEqual([{ one: 1 }]);
    proxy.set({ kind: 'reset' });
    expect((await ended).message).toMatch(/terminated|ECONNRESET|connection/i);
    await pg.end().catch(() => undefined);
  });
});
