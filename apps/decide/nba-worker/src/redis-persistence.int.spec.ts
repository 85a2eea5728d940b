import IORedis from 'ioredis';
import { checkRedisPersistence } from './redis-persistence';
import { ThrowawayRedis } from '@hub/testing';

/** The boot check against real redis-servers of the test's own (the shared one is not touched). */
describe('checkRedisPersistence', () => {
  const servers: ThrowawayRedis[] = [];
  const clients: IORedis[] = [];
  afterAll(async () => {
    for (const c of clients) c.disconnect();
    for (const s of servers) await s.stop();
  });
  const client = async (args: string[]): Promise<IORedis> => {
    const server = await ThrowawayRedis.start(args);
    servers.push(server);
    const c = new IORedis(server.url, { maxRetriesPerRequest: 1 });
    clients.push(c);
    return c;
  };

  it('finds a Redis without appendonly not persistent', async () => {
    expect(await checkRedisPersistence(await client(['--save', '', '--appendonly', 'no']))).toEqual({
      kind: 'not_persistent',
      appendonly: 'no',
    });
  });

  it('finds a Redis with appendonly persistent', async () => {
    expect(await checkRedisPersistence(await client(['--save', '', '--appendonly', 'yes']))).toEqual({ kind: 'append_only' });
  });

  it('reports unknown, without failing, when CONFIG is refused (a managed Redis)', async () => {
    expect(await checkRedisPersistence(await client(['--save', '', '--appendonly', 'no', '--rename-command', 'CONFIG', '']))).toEqual({
      kind: 'unknown',
      reason: expect.stringMatching(/unknown command/i),
    });
  });
});
