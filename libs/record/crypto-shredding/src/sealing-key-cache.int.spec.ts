import { Pool } from 'pg';
import { freshId, testInfra } from '@hub/testing';
import { SubjectErasedError } from './crypto-shredding.errors';
import { PostgresKeyStore } from './postgres.key-store';
import { SealingKeyCache } from './sealing-key-cache';

describe('SealingKeyCache in front of the PostgreSQL key store', () => {
  let pool: Pool;
  let stored: PostgresKeyStore;
  let now: number;
  let cache: SealingKeyCache;

  beforeAll(async () => {
    pool = new Pool({ connectionString: testInfra().databaseUrl, max: 4 });
    stored = await PostgresKeyStore.create({ pool });
  });

  beforeEach(() => {
    now = 1_000_000;
    cache = new SealingKeyCache(stored, { ttlMs: 10_000, clock: () => now });
  });

  afterEach(() => jest.restoreAllMocks());

  afterAll(async () => {
    await pool?.end();
  });

  const subject = () => ({ tenantId: freshId('tenant'), subjectId: freshId('c') });

  describe('when a key was just read', () => {
    it('then sealing a write about the same subject uses it without asking the store, and a subject not read yet is fetched in the same call', async () => {
      const [read, fresh] = [subject(), subject()];
      const key = await stored.getOrCreate(read.tenantId, read.subjectId);
      expect(await cache.getMany([read])).toEqual([key]);
      const many = jest.spyOn(stored, 'getOrCreateMany');

      const [sealing, made] = await cache.getOrCreateMany([read, fresh]);

      expect(sealing).toEqual(key);
      expect(made).toHaveLength(32);
      expect(many).toHaveBeenCalledTimes(1);
      expect(many.mock.calls[0]![0]).toEqual([fresh]);
      // The key just made is kept too: the next write about it asks nothing.
      expect(await cache.getOrCreateMany([fresh, read])).toEqual([made, key]);
      expect(many).toHaveBeenCalledTimes(1);
    });

    it('then once the time to live has passed the store is asked again', async () => {
      const s = subject();
      await cache.get(s.tenantId, s.subjectId);
      await cache.getOrCreateMany([s]);
      const many = jest.spyOn(stored, 'getOrCreateMany');
      now += 9_999;
      await cache.getOrCreateMany([s]);
      expect(many).not.toHaveBeenCalled();

      now += 1;
      await cache.getOrCreateMany([s]);
      expect(many).toHaveBeenCalledTimes(1);
    });
  });

  describe('when the key is destroyed', () => {
    it('through the cache: the next write asks the store and learns the subject is erased', async () => {
      const s = subject();
      await cache.getOrCreateMany([s]);

      expect(await cache.destroy(s.tenantId, s.subjectId)).toBe(true);

      expect(await cache.getOrCreateMany([s])).toEqual([undefined]);
      expect(cache.size).toBe(0);
    });

    it('by another process: reads see it at once; only sealing may still use the kept key, until its time to live', async () => {
      const s = subject();
      const key = await cache.getOrCreateMany([s]);
      await stored.destroy(s.tenantId, s.subjectId);

      expect(await cache.get(s.tenantId, s.subjectId)).toBeUndefined();
      expect(await cache.getMany([s])).toEqual([undefined]);
      // The read dropped the kept key as well: nothing seals with it any more.
      expect(await cache.getOrCreateMany([s])).toEqual([undefined]);
      expect(key[0]).toHaveLength(32);
      await expect(cache.getOrCreate(s.tenantId, s.subjectId)).rejects.toBeInstanceOf(SubjectErasedError);
    });
  });

  it('keeps at most maxEntries subjects, dropping the oldest', async () => {
    const small = new SealingKeyCache(stored, { ttlMs: 10_000, maxEntries: 2, clock: () => now });
    const [a, b, c] = [subject(), subject(), subject()];
    await small.getOrCreateMany([a, b, c]);
    expect(small.size).toBe(2);
    const many = jest.spyOn(stored, 'getOrCreateMany');
    await small.getOrCreateMany([b, c]);
    expect(many).not.toHaveBeenCalled();
    await small.getOrCreateMany([a]);
    expect(many).toHaveBeenCalledTimes(1);
  });

  it('with a time to live of 0 keeps nothing', async () => {
    const off = new SealingKeyCache(stored, { ttlMs: 0 });
    const s = subject();
    await off.getOrCreateMany([s]);
    const many = jest.spyOn(stored, 'getOrCreateMany');
    await off.getOrCreateMany([s]);
    expect(many).toHaveBeenCalledTimes(1);
    expect(off.size).toBe(0);
  });
});
