import { randomBytes } from 'node:crypto';
import { Pool } from 'pg';
import { freshId, testInfra } from '@hub/testing';
import { KeyUnwrapError, SubjectErasedError } from './crypto-shredding.errors';
import { PostgresKeyStore } from './postgres.key-store';

describe('PostgresKeyStore', () => {
  let pool: Pool;
  let keys: PostgresKeyStore;

  beforeAll(async () => {
    pool = new Pool({ connectionString: testInfra().databaseUrl, max: 10 });
    keys = await PostgresKeyStore.create({ pool });
  });

  afterAll(async () => {
    await pool?.end();
  });

  async function rawRows(
    tenantId: string,
    subjectId: string,
  ): Promise<{ wrapping: string; data_key: Buffer | null; destroyed_at: Date | null }[]> {
    const r = await pool.query<{ wrapping: string; data_key: Buffer | null; destroyed_at: Date | null }>(
      'select wrapping, data_key, destroyed_at from hub_subject_keys where tenant_id = $1 and subject_id = $2',
      [tenantId, subjectId],
    );
    return r.rows;
  }

  describe('when a subject has no key yet', () => {
    it('then get finds none, and getOrCreate makes a 32-byte key and returns the same one afterwards', async () => {
      const [tenantId, subjectId] = [freshId('tenant'), freshId('c')];
      expect(await keys.get(tenantId, subjectId)).toBeUndefined();

      const key = await keys.getOrCreate(tenantId, subjectId);

      expect(key).toHaveLength(32);
      expect(await keys.getOrCreate(tenantId, subjectId)).toEqual(key);
      expect(await keys.get(tenantId, subjectId)).toEqual(key);
    });

    it('then many concurrent getOrCreate calls all get the one key that is stored', async () => {
      const [tenantId, subjectId] = [freshId('tenant'), freshId('c')];
      const racers = [new PostgresKeyStore(pool), new PostgresKeyStore(pool), keys];

      const got = await Promise.all(Array.from({ length: 24 }, (_, i) => racers[i % racers.length]!.getOrCreate(tenantId, subjectId)));

      const distinct = new Set(got.map((k) => k.toString('hex')));
      expect(distinct.size).toBe(1);
      const rows = await rawRows(tenantId, subjectId);
      expect(rows).toHaveLength(1);
      expect(rows[0]!.data_key).toEqual(got[0]);
    });

    it('then two subjects get different keys', async () => {
      const tenantId = freshId('tenant');
      const [a, b] = await Promise.all([keys.getOrCreate(tenantId, freshId('c')), keys.getOrCreate(tenantId, freshId('c'))]);
      expect(a.equals(b)).toBe(false);
    });
  });

  describe('when the keys of many subjects are asked for at once', () => {
    it('then getOrCreateMany returns stored keys, makes missing ones, gives undefined for an erased subject, in request order', async () => {
      const tenantId = freshId('tenant');
      const [stored, fresh, erased] = [freshId('c'), freshId('c'), freshId('c')];
      const storedKey = await keys.getOrCreate(tenantId, stored);
      await keys.destroy(tenantId, erased);
      const subjects = [fresh, stored, erased, fresh].map((subjectId) => ({ tenantId, subjectId }));

      const got = await keys.getOrCreateMany(subjects);

      expect(got).toHaveLength(4);
      expect(got[1]).toEqual(storedKey);
      expect(got[2]).toBeUndefined();
      expect(got[0]).toHaveLength(32);
      expect(got[3]).toEqual(got[0]);
      expect(await keys.get(tenantId, fresh)).toEqual(got[0]);
      expect(await keys.getMany(subjects)).toEqual(got);
      await expect(keys.getOrCreate(tenantId, erased)).rejects.toBeInstanceOf(SubjectErasedError);
      expect(await keys.getOrCreateMany([])).toEqual([]);
      expect(await keys.getMany([{ tenantId, subjectId: freshId('c') }])).toEqual([undefined]);
    });

    it('then concurrent calls over the same new subjects in opposite orders agree on one key each, without deadlock', async () => {
      const tenantId = freshId('tenant');
      const subjects = Array.from({ length: 20 }, () => ({ tenantId, subjectId: freshId('c') }));
      const racers = Array.from({ length: 3 }, () => new PostgresKeyStore(pool));

      const results = await Promise.all(
        Array.from({ length: 8 }, async (_, i) => {
          const order = i % 2 === 0 ? subjects : [...subjects].reverse();
          const got = await racers[i % racers.length]!.getOrCreateMany(order);
          return i % 2 === 0 ? got : [...got].reverse();
        }),
      );

      for (const got of results) expect(got).toEqual(results[0]);
      expect(new Set(results[0]!.map((k) => k!.toString('hex'))).size).toBe(subjects.length);
      expect(await keys.getMany(subjects)).toEqual(results[0]);
    });

    it('then with a key-encryption key the new keys are stored wrapped and unwrap again', async () => {
      const kek = randomBytes(32);
      const wrapped = new PostgresKeyStore(pool, { kek });
      const tenantId = freshId('tenant');
      const [a, b] = [freshId('c'), freshId('c')];

      const [keyA, keyB] = await wrapped.getOrCreateMany([
        { tenantId, subjectId: a },
        { tenantId, subjectId: b },
      ]);

      const [row] = await rawRows(tenantId, a);
      expect(row!.wrapping).toBe('kek-v1');
      expect(row!.data_key!.includes(keyA!)).toBe(false);
      expect(await wrapped.get(tenantId, a)).toEqual(keyA);
      expect(await wrapped.get(tenantId, b)).toEqual(keyB);
    });
  });

  describe('when the key is destroyed', () => {
    it('then it is gone for good: get finds none, getOrCreate refuses to make another, destroying again is a no-op', async () => {
      const [tenantId, subjectId] = [freshId('tenant'), freshId('c')];
      await keys.getOrCreate(tenantId, subjectId);

      expect(await keys.destroy(tenantId, subjectId)).toBe(true);

      expect(await keys.get(tenantId, subjectId)).toBeUndefined();
      await expect(keys.getOrCreate(tenantId, subjectId)).rejects.toBeInstanceOf(SubjectErasedError);
      await expect(keys.getOrCreate(tenantId, subjectId)).rejects.toMatchObject({ code: 'CRYPTO_SUBJECT_ERASED', retryable: false });
      expect(await keys.destroy(tenantId, subjectId)).toBe(false);
      const [row] = await rawRows(tenantId, subjectId);
      expect(row!.data_key).toBeNull();
      expect(row!.destroyed_at).toBeInstanceOf(Date);
    });

    it('then a subject that never had a key is remembered as erased too', async () => {
      const [tenantId, subjectId] = [freshId('tenant'), freshId('c')];

      expect(await keys.destroy(tenantId, subjectId)).toBe(false);

      await expect(keys.getOrCreate(tenantId, subjectId)).rejects.toBeInstanceOf(SubjectErasedError);
    });

    it('then concurrent getOrCreate and destroy end with the key destroyed and no new key', async () => {
      const [tenantId, subjectId] = [freshId('tenant'), freshId('c')];
      const results = await Promise.allSettled([
        keys.getOrCreate(tenantId, subjectId),
        keys.destroy(tenantId, subjectId),
        keys.getOrCreate(tenantId, subjectId),
      ]);

      expect(results[1]).toMatchObject({ status: 'fulfilled' });
      expect(await keys.get(tenantId, subjectId)).toBeUndefined();
      await expect(keys.getOrCreate(tenantId, subjectId)).rejects.toBeInstanceOf(SubjectErasedError);
    });
  });

  describe('without a key-encryption key (development)', () => {
    it('then the data key is stored in clear', async () => {
      const [tenantId, subjectId] = [freshId('tenant'), freshId('c')];
      const key = await keys.getOrCreate(tenantId, subjectId);
      expect(await rawRows(tenantId, subjectId)).toEqual([expect.objectContaining({ wrapping: 'none', data_key: key })]);
    });
  });

  describe('with a key-encryption key', () => {
    const kek = randomBytes(32);

    it('then the stored row holds the key wrapped, never the key itself, and the store unwraps it', async () => {
      const wrapped = new PostgresKeyStore(pool, { kek });
      const [tenantId, subjectId] = [freshId('tenant'), freshId('c')];

      const key = await wrapped.getOrCreate(tenantId, subjectId);

      const [row] = await rawRows(tenantId, subjectId);
      expect(row!.wrapping).toBe('kek-v1');
      expect(row!.data_key).toHaveLength(12 + 16 + 32);
      expect(row!.data_key!.includes(key)).toBe(false);
      expect(await wrapped.get(tenantId, subjectId)).toEqual(key);
      expect(await new PostgresKeyStore(pool, { kek }).getOrCreate(tenantId, subjectId)).toEqual(key);
    });

    it('then a store without the KEK, or with another one, fails with a typed error instead of a wrong key', async () => {
      const [tenantId, subjectId] = [freshId('tenant'), freshId('c')];
      await new PostgresKeyStore(pool, { kek }).getOrCreate(tenantId, subjectId);

      await expect(keys.get(tenantId, subjectId)).rejects.toMatchObject({ code: 'CRYPTO_KEY_UNWRAP_FAILED', reason: 'no_kek_configured' });
      await expect(new PostgresKeyStore(pool, { kek: randomBytes(32) }).get(tenantId, subjectId)).rejects.toBeInstanceOf(KeyUnwrapError);
      await expect(new PostgresKeyStore(pool, { kek: randomBytes(32) }).getOrCreate(tenantId, subjectId)).rejects.toMatchObject({
        reason: 'wrong_kek_or_tampered',
      });
    });

    it('then a wrapped key copied to another subject does not unwrap there', async () => {
      const wrapped = new PostgresKeyStore(pool, { kek });
      const tenantId = freshId('tenant');
      const [victim, attacker] = [freshId('c'), freshId('c')];
      await wrapped.getOrCreate(tenantId, victim);
      await pool.query(
        `insert into hub_subject_keys (tenant_id, subject_id, wrapping, data_key)
         select tenant_id, $2, wrapping, data_key from hub_subject_keys where tenant_id = $1 and subject_id = $3`,
        [tenantId, attacker, victim],
      );

      await expect(wrapped.get(tenantId, attacker)).rejects.toMatchObject({ reason: 'wrong_kek_or_tampered' });
    });

    it('refuses a KEK that is not 32 bytes', () => {
      expect(() => new PostgresKeyStore(pool, { kek: randomBytes(16) })).toThrow(RangeError);
    });
  });
});
