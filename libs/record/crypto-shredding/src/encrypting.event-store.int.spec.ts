import { randomUUID } from 'node:crypto';
import { customerStream, IdentityHasher, identityStream } from '@hub/contracts';
import { foldCustomer, isCustomerEventType, type CustomerEvent } from '@hub/customer';
import { InvalidEventError, StreamNotFoundError, type NewEvent, type RecordedEvent } from '@hub/event-store';
import { eventually, freshId } from '@hub/testing';
import { DecryptionError, NoDataSubjectError } from './crypto-shredding.errors';
import { EncryptingEventStore } from './encrypting.event-store';
import { ENVELOPE_PREFIX, openValue } from './envelope';
import {
  asAppended,
  customerRegistered,
  CryptoShreddingHarness,
  freshPerson,
  identityClaimed,
  interactionRecorded,
  metadata,
  nextBestActionDecided,
  personalValues,
} from './testing/crypto-shredding.fixtures';

describe('EncryptingEventStore over PostgresEventStore', () => {
  let h: CryptoShreddingHarness;

  beforeAll(async () => {
    h = await CryptoShreddingHarness.start();
  });

  afterAll(async () => {
    await h?.stop();
  });

  function freshCustomer(): { tenantId: string; customerId: string; stream: string } {
    const tenantId = freshId('tenant');
    const customerId = randomUUID();
    return { tenantId, customerId, stream: customerStream(tenantId, customerId) };
  }

  describe('when a customer stream is written and read back', () => {
    it('then what is read is exactly what was appended', async () => {
      const { tenantId, customerId, stream } = freshCustomer();
      const person = freshPerson();
      const events = [customerRegistered(tenantId, customerId, person), interactionRecorded(tenantId, person)];
      const before = JSON.stringify(events);

      await h.store.appendToStream(stream, events, { expectedRevision: 'no_stream' });

      expect(JSON.stringify(events)).toBe(before); // the caller's events are not changed
      const read = await h.store.readStream(stream);
      expect(read.map(asAppended)).toEqual(events.map(asAppended));
      expect((await h.store.readStream(stream, { direction: 'backwards', maxCount: 1 })).map(asAppended)).toEqual([asAppended(events[1]!)]);
    });

    it('then readAll decrypts too', async () => {
      const { tenantId, customerId, stream } = freshCustomer();
      const person = freshPerson();
      const events = [customerRegistered(tenantId, customerId, person), interactionRecorded(tenantId, person)];
      const { position } = await h.store.appendToStream(stream, events);

      // readAll holds back what other tests' open transactions may still precede: wait for it.
      const page = await eventually(async () => {
        const read = await h.store.readAll({ after: position - 2n, maxCount: 2 });
        return read.length === 2 ? read : undefined;
      });

      expect(page.map(asAppended)).toEqual(events.map(asAppended));
    });

    it('then readEvent decrypts the one event it finds', async () => {
      const { tenantId, customerId, stream } = freshCustomer();
      const person = freshPerson();
      const events = [customerRegistered(tenantId, customerId, person), interactionRecorded(tenantId, person)];
      await h.store.appendToStream(stream, events);

      const found = await h.store.readEvent(events[1]!.eventId, { streamPrefixes: [stream] });

      expect(found && asAppended(found)).toEqual(asAppended(events[1]!));
    });

    it('then a subscription delivers decrypted events', async () => {
      const { tenantId, customerId, stream } = freshCustomer();
      const person = freshPerson();
      const events = [customerRegistered(tenantId, customerId, person), interactionRecorded(tenantId, person)];
      const { position } = await h.store.appendToStream(stream, events);
      const delivered: RecordedEvent[] = [];

      const subscription = h.store.subscribeToAll({
        from: position - 2n,
        filter: { streamPrefixes: [stream] },
        onEvents: async (batch) => {
          delivered.push(...batch);
        },
      });
      try {
        await eventually(async () => (delivered.length >= 2 ? true : undefined), { what: 'two events delivered' });
      } finally {
        await subscription.stop();
      }

      expect(delivered.map(asAppended)).toEqual(events.map(asAppended));
    });
  });

  describe('when the rows are read directly from hub_events', () => {
    it('then no personal value appears in them, and the rest of the event is in clear', async () => {
      const { tenantId, customerId, stream } = freshCustomer();
      const person = freshPerson();
      const interaction = interactionRecorded(tenantId, person);
      await h.store.appendToStream(stream, [customerRegistered(tenantId, customerId, person), interaction]);

      const raw = await h.rawText(stream);
      for (const value of personalValues(person)) expect(raw).not.toContain(value);
      expect(raw).not.toContain(person.phone.slice(1)); // nor the number without its +

      const [, row] = await h.rawRows(stream);
      const data = JSON.parse(row!.data) as {
        identities: { kind: string; value: string }[];
        content: { text: string; media: { url: string; contentType: string }[] };
        endpoint: string;
        channel: string;
        direction: string;
        provider: { name: string };
      };
      expect(data.identities.map((i) => i.kind)).toEqual(['phone', 'email']);
      for (const sealed of [...data.identities.map((i) => i.value), data.content.text, data.content.media[0]!.url, data.endpoint]) {
        expect(sealed.startsWith(ENVELOPE_PREFIX)).toBe(true);
      }
      expect(data).toMatchObject({
        channel: 'sms',
        direction: 'inbound',
        provider: { name: 'twilio' },
        content: { media: [{ contentType: 'image/jpeg' }] },
      });
      expect(JSON.parse(row!.metadata)).toMatchObject({
        eventId: interaction.eventId,
        occurredAt: '2025-03-01T09:30:00.000Z',
        encryption: {
          tenantId,
          subject: customerId,
          keyVersion: 1,
          fields: [
            'data.identities[0].value',
            'data.identities[1].value',
            'data.content.text',
            'data.content.media[0].url',
            'data.endpoint',
          ],
        },
      });
    });

    it('then a platform’s own attributes of an interaction are sealed one by one, and read back as sent (issue #16)', async () => {
      const { tenantId, stream } = freshCustomer();
      const caseNumber = `C-${randomUUID()}`;
      const base = interactionRecorded(tenantId, freshPerson());
      const event = { ...base, data: { ...(base.data as Record<string, unknown>), attributes: { caseNumber, priority: 2, vip: true } } };
      await h.store.appendToStream(stream, [event]);

      expect(await h.rawText(stream)).not.toContain(caseNumber);
      const [row] = await h.rawRows(stream);
      const attributes = (JSON.parse(row!.data) as { attributes: Record<string, string> }).attributes;
      expect(Object.values(attributes).every((v) => v.startsWith(ENVELOPE_PREFIX))).toBe(true);
      expect((JSON.parse(row!.metadata) as { encryption: { fields: string[] } }).encryption.fields).toEqual(
        expect.arrayContaining(['data.attributes.caseNumber', 'data.attributes.priority', 'data.attributes.vip']),
      );
      const [read] = await h.store.readStream(stream);
      expect((read!.data as { attributes: unknown }).attributes).toEqual({ caseNumber, priority: 2, vip: true });
    });

    it('then each field is sealed under the customer key with its own IV', async () => {
      const { tenantId, customerId, stream } = freshCustomer();
      const person = freshPerson();
      const event = interactionRecorded(tenantId, { ...person, endpoint: person.phone });
      await h.store.appendToStream(stream, [event]);

      const [row] = await h.rawRows(stream);
      const data = JSON.parse(row!.data) as { identities: { value: string }[]; endpoint: string };
      expect(data.identities[0]!.value).not.toBe(data.endpoint); // same plaintext, different ciphertext
      const key = (await h.keys.get(tenantId, customerId))!;
      const aad = JSON.stringify(['hub-field', 1, tenantId, customerId, event.eventId, 'data.endpoint']);
      expect(openValue(key, data.endpoint, aad)).toBe(person.phone);
    });
  });

  describe('when the same event is appended again', () => {
    it('then the store still sees a duplicate: nothing is written and the stored ciphertext stays', async () => {
      const { tenantId, customerId, stream } = freshCustomer();
      const person = freshPerson();
      const events = [customerRegistered(tenantId, customerId, person), interactionRecorded(tenantId, person)];
      const first = await h.store.appendToStream(stream, events);
      const rowsBefore = await h.rawRows(stream);

      const again = await h.store.appendToStream(stream, events, { expectedRevision: 'no_stream' });

      expect(again).toEqual({ ...first, duplicate: true });
      expect(await h.rawRows(stream)).toEqual(rowsBefore);
      expect((await h.store.readStream(stream)).map(asAppended)).toEqual(events.map(asAppended));
    });
  });

  describe('when two customers are written', () => {
    it('then each has their own key, and one key does not open the other customer fields', async () => {
      const tenantId = freshId('tenant');
      const [a, b] = [randomUUID(), randomUUID()];
      const person = freshPerson();
      await h.store.appendToStream(customerStream(tenantId, a), [customerRegistered(tenantId, a, person)]);
      await h.store.appendToStream(customerStream(tenantId, b), [customerRegistered(tenantId, b, person)]);

      const [keyA, keyB] = [(await h.keys.get(tenantId, a))!, (await h.keys.get(tenantId, b))!];
      expect(keyA).toHaveLength(32);
      expect(keyA.equals(keyB)).toBe(false);
      const [rowA] = await h.rawRows(customerStream(tenantId, a));
      const sealed = (JSON.parse(rowA!.data) as { identity: { value: string } }).identity.value;
      const aad = JSON.stringify([
        'hub-field',
        1,
        tenantId,
        a,
        (JSON.parse(rowA!.metadata) as { eventId: string }).eventId,
        'data.identity.value',
      ]);
      expect(openValue(keyA, sealed, aad)).toBe(person.phone);
      expect(() => openValue(keyB, sealed, aad)).toThrow(DecryptionError);
    });
  });

  describe('when a next-best-action decision is recorded', () => {
    it('then the profile attributes it read and the time zone are sealed wherever they stand, the ranking stays in clear, and erasure hides them', async () => {
      const { tenantId, customerId, stream } = freshCustomer();
      const traits = { tier: `tier-${randomUUID()}`, timeZone: 'Pacific/Chatham' };
      const decision = nextBestActionDecided(tenantId, customerId, traits);
      await h.store.appendToStream(stream, [decision]);

      const raw = await h.rawText(stream);
      expect(raw).not.toContain(traits.tier);
      expect(raw).not.toContain('Chatham');
      expect(raw).not.toContain('21:40');
      const [row] = await h.rawRows(stream);
      const stored = JSON.parse(row!.data) as { arbitration: { chosen: unknown; segment: string; facts: Record<string, unknown> } };
      expect(stored.arbitration.chosen).toEqual((decision.data as { arbitration: { chosen: unknown } }).arbitration.chosen);
      expect(stored.arbitration.facts['satisfaction.lastCsat']).toBe(2);
      expect(stored.arbitration.facts['traits.cleared']).toBeNull();
      expect(JSON.parse(row!.metadata).encryption.fields).toEqual(
        expect.arrayContaining([
          'data.explanation.inputs["traits.tier"]',
          'data.arbitration.facts["traits.tier"]',
          'data.arbitration.facts["traits.doNotContact"]',
          'data.arbitration.defaults[0].rules[0].children[0].facts["traits.tier"]',
          'data.arbitration.candidates[0].policies[0].rules[0].facts["traits.tier"]',
          'data.arbitration.counters.timeZone',
          'data.arbitration.candidates[0].contact.channels[0].quietHours.timeZone',
        ]),
      );

      expect((await h.store.readStream(stream)).map(asAppended)).toEqual([asAppended(decision)]);

      await h.keys.destroy(tenantId, customerId);
      const [erased] = await h.store.readStream(stream);
      const text = JSON.stringify(erased!.data);
      expect(text).not.toContain(traits.tier);
      expect(text).not.toContain('Chatham');
      const a = (erased!.data as { arbitration: { facts: Record<string, unknown>; counters: { timeZone: string }; chosen: unknown } })
        .arbitration;
      expect(a.facts).toEqual({
        'traits.tier': '[erased]',
        'traits.doNotContact': '[erased]',
        'traits.cleared': null,
        'satisfaction.lastCsat': 2,
      });
      expect(a.counters.timeZone).toBe('[erased]');
      expect(a.chosen).toEqual((decision.data as { arbitration: { chosen: unknown } }).arbitration.chosen);
    });
  });

  describe('when an identity is claimed', () => {
    it('then the claim stream is encrypted under the claiming customer key and reads back in clear', async () => {
      const { tenantId, customerId } = freshCustomer();
      const person = freshPerson();
      const stream = identityStream(IdentityHasher.development(), tenantId, 'phone', person.phone);
      const claim = identityClaimed(tenantId, customerId, person);

      await h.store.appendToStream(stream, [claim], { expectedRevision: 'no_stream' });

      const raw = await h.rawText(stream);
      expect(raw).not.toContain(person.phone);
      expect(raw).toContain(customerId); // the claim says whose identity it is: that is its job
      expect(JSON.parse((await h.rawRows(stream))[0]!.metadata)).toMatchObject({
        encryption: { tenantId, subject: customerId, fields: ['data.identity.value'] },
      });
      expect(await h.keys.get(tenantId, customerId)).toBeDefined();
      expect((await h.store.readStream(stream)).map(asAppended)).toEqual([asAppended(claim)]);
    });
  });

  describe('when an event type has no personal fields in the policy', () => {
    it('then it is stored as it is, with no encryption metadata and no key made', async () => {
      const { tenantId, customerId, stream } = freshCustomer();
      const event: NewEvent = {
        eventId: randomUUID(),
        type: 'SomethingElseHappened',
        data: { note: 'plain' },
        metadata: { ...metadata(tenantId) },
      };

      await h.store.appendToStream(stream, [event]);

      const [row] = await h.rawRows(stream);
      expect(JSON.parse(row!.data)).toEqual({ note: 'plain' });
      expect(JSON.parse(row!.metadata)).not.toHaveProperty('encryption');
      expect(await h.keys.get(tenantId, customerId)).toBeUndefined();
      expect((await h.store.readStream(stream)).map(asAppended)).toEqual([asAppended(event)]);
    });

    it('then optional personal fields that are absent are simply not encrypted', async () => {
      const { tenantId, stream } = freshCustomer();
      const person = freshPerson();
      const event = interactionRecorded(tenantId, person);
      const data = event.data as { content: { text?: string; media: unknown[] }; endpoint?: string };
      delete data.content.text;
      delete data.endpoint;
      data.content.media = [];

      await h.store.appendToStream(stream, [event]);

      expect(JSON.parse((await h.rawRows(stream))[0]!.metadata)).toMatchObject({
        encryption: { fields: ['data.identities[0].value', 'data.identities[1].value'] },
      });
      expect((await h.store.readStream(stream)).map(asAppended)).toEqual([asAppended(event)]);
    });
  });

  describe('when personal data cannot be attributed or is malformed', () => {
    it('then personal data in a stream with no data subject is refused and nothing is written', async () => {
      const stream = `other-${freshId('x')}`;
      const event = interactionRecorded(freshId('tenant'), freshPerson());

      await expect(h.store.appendToStream(stream, [event])).rejects.toBeInstanceOf(NoDataSubjectError);
      await expect(h.inner.readStream(stream)).rejects.toBeInstanceOf(StreamNotFoundError);
    });

    it('then an identity claim without customerId is refused', async () => {
      const tenantId = freshId('tenant');
      const person = freshPerson();
      const claim = identityClaimed(tenantId, '', person);

      await expect(
        h.store.appendToStream(identityStream(IdentityHasher.development(), tenantId, 'phone', person.phone), [claim]),
      ).rejects.toMatchObject({ code: 'CRYPTO_NO_DATA_SUBJECT', retryable: false });
    });

    it('then a caller-supplied metadata.encryption or a personal field that is not a leaf is refused as invalid', async () => {
      const { tenantId, stream } = freshCustomer();
      const person = freshPerson();
      const forged = interactionRecorded(tenantId, person);
      forged.metadata = { ...forged.metadata, encryption: { subject: 'someone-else' } };
      const nested = interactionRecorded(tenantId, person);
      (nested.data as { endpoint: unknown }).endpoint = { number: person.endpoint };

      await expect(h.store.appendToStream(stream, [forged])).rejects.toBeInstanceOf(InvalidEventError);
      await expect(h.store.appendToStream(stream, [nested])).rejects.toBeInstanceOf(InvalidEventError);
      await expect(h.inner.readStream(stream)).rejects.toBeInstanceOf(StreamNotFoundError);
    });
  });

  describe('when a stored row was changed', () => {
    /**
     * hub_events refuses UPDATE, so the change is made the way someone with write access to a copy
     * would: the raw row, altered, written to a store in another schema, read with the same keys.
     */
    async function tamperedRead(alter: (data: Record<string, unknown>, meta: Record<string, unknown>) => void): Promise<unknown> {
      const { tenantId, customerId, stream } = freshCustomer();
      await h.store.appendToStream(stream, [customerRegistered(tenantId, customerId, freshPerson())]);
      const [row] = await h.rawRows(stream);
      const data = JSON.parse(row!.data) as Record<string, unknown>;
      const meta = JSON.parse(row!.metadata) as Record<string, unknown>;
      alter(data, meta);
      const copy = await h.isolatedInnerStore();
      await copy.appendToStream(stream, [{ eventId: row!.event_id, type: row!.event_type, data, metadata: meta }]);
      return new EncryptingEventStore(copy, { keys: h.keys }).readStream(stream).then(
        () => 'no error',
        (err: unknown) => err,
      );
    }

    const identity = (data: Record<string, unknown>) => data['identity'] as { value: string };

    it('then a flipped ciphertext byte fails with a typed DecryptionError, not garbage', async () => {
      const error = await tamperedRead((data) => {
        const body = Buffer.from(identity(data).value.slice(ENVELOPE_PREFIX.length), 'base64');
        body[body.length - 1] = body[body.length - 1]! ^ 0xff;
        identity(data).value = ENVELOPE_PREFIX + body.toString('base64');
      });
      expect(error).toBeInstanceOf(DecryptionError);
      expect(error).toMatchObject({
        code: 'CRYPTO_DECRYPTION_FAILED',
        reason: 'authentication_failed',
        retryable: false,
        where: { path: 'data.identity.value' },
      });
    });

    it('then an envelope replaced by plaintext fails as malformed', async () => {
      const error = await tamperedRead((data) => {
        identity(data).value = '+14155550000';
      });
      expect(error).toMatchObject({ reason: 'malformed_envelope', where: { path: 'data.identity.value' } });
    });

    it('then encryption metadata pointing at a field that is not there fails as malformed', async () => {
      const error = await tamperedRead((_, meta) => {
        (meta['encryption'] as { fields: string[] }).fields.push('data.nothing');
      });
      expect(error).toMatchObject({ reason: 'malformed_envelope', where: { path: 'data.nothing' } });
    });
  });

  describe('when the store is not given events it can encrypt', () => {
    it('then the wrapped store validation still answers (empty batch)', async () => {
      await expect(h.store.appendToStream(freshCustomer().stream, [])).rejects.toBeInstanceOf(InvalidEventError);
    });
  });

  describe('when the customer keys are gone (erased)', () => {
    it('then personal fields read as [erased], the rest is intact, and the fold still works', async () => {
      const { tenantId, customerId, stream } = freshCustomer();
      const person = freshPerson();
      const events = [customerRegistered(tenantId, customerId, person), interactionRecorded(tenantId, person)];
      await h.store.appendToStream(stream, events);

      await h.keys.destroy(tenantId, customerId);

      const read = await h.store.readStream(stream);
      expect(read.map((e) => e.type)).toEqual(['CustomerRegistered', 'InteractionRecorded']);
      expect(read[0]!.data).toEqual({ customerId, tenantId, identity: { kind: 'phone', value: '[erased]' } });
      expect(read[1]!.data).toEqual({
        direction: 'inbound',
        kind: 'message',
        identities: [
          { kind: 'phone', value: '[erased]' },
          { kind: 'email', value: '[erased]' },
        ],
        content: { text: '[erased]', media: [{ url: '[erased]', contentType: 'image/jpeg' }] },
        provider: (events[1]!.data as { provider: unknown }).provider,
        endpoint: '[erased]',
        channel: 'sms',
      });
      expect(read[1]!.metadata).toEqual(events[1]!.metadata);
      const state = foldCustomer(
        read
          .filter((e) => isCustomerEventType(e.type))
          .map((e) => ({ type: e.type, data: e.data, metadata: e.metadata }) as unknown as CustomerEvent),
      );
      expect(JSON.stringify(state)).not.toContain(person.phone);
    });

    it('then an event appended later is written (or seen as a duplicate) but unreadable, and no new key is made', async () => {
      const { tenantId, customerId, stream } = freshCustomer();
      const person = freshPerson();
      const stored = interactionRecorded(tenantId, person);
      await h.store.appendToStream(stream, [customerRegistered(tenantId, customerId, person), stored]);
      await h.keys.destroy(tenantId, customerId);

      const redelivered = await h.store.appendToStream(stream, [stored]);
      const late = interactionRecorded(tenantId, person);
      await h.store.appendToStream(stream, [late]);

      expect(redelivered.duplicate).toBe(true);
      expect(await h.keys.get(tenantId, customerId)).toBeUndefined();
      const raw = await h.rawText(stream);
      for (const value of personalValues(person)) expect(raw).not.toContain(value);
      const read = await h.store.readStream(stream);
      expect(read).toHaveLength(3);
      expect((read[2]!.data as { content: { text: string } }).content.text).toBe('[erased]');
    });
  });
  describe('when a batch of many customers is written with appendToStreams', () => {
    it("then each stream's personal fields are sealed under its own customer's key, fetched in one key-store call, and an erased customer's events are unreadable", async () => {
      const tenantId = freshId('tenant');
      const customers = Array.from({ length: 5 }, () => randomUUID());
      const erased = customers[4]!;
      await h.store.appendToStream(customerStream(tenantId, erased), [customerRegistered(tenantId, erased, freshPerson())]);
      await h.keys.destroy(tenantId, erased);
      const people = customers.map(() => freshPerson());
      const batches = customers.map((customerId, i) => ({
        stream: customerStream(tenantId, customerId),
        events: [interactionRecorded(tenantId, people[i]!)],
      }));
      const many = jest.spyOn(h.keys, 'getOrCreateMany');
      const one = jest.spyOn(h.keys, 'getOrCreate');

      let outcomes;
      try {
        outcomes = await h.store.appendToStreams(batches);
        expect(many).toHaveBeenCalledTimes(1);
        expect(many.mock.calls[0]![0]).toHaveLength(customers.length);
        expect(one).not.toHaveBeenCalled();
      } finally {
        many.mockRestore();
        one.mockRestore();
      }

      expect(outcomes.every((o) => o.ok && !o.result.duplicate)).toBe(true);
      const keys = await Promise.all(customers.map((customerId) => h.keys.get(tenantId, customerId)));
      expect(keys[4]).toBeUndefined();
      for (const [i, customerId] of customers.entries()) {
        const stream = customerStream(tenantId, customerId);
        const raw = await h.rawText(stream);
        for (const value of personalValues(people[i]!)) expect(raw).not.toContain(value);
        const row = (await h.rawRows(stream)).at(-1)!;
        const metadataOfRow = JSON.parse(row.metadata) as { encryption: { tenantId: string; subject: string } };
        expect(metadataOfRow.encryption).toMatchObject({ tenantId, subject: customerId });
        const sealed = (JSON.parse(row.data) as { content: { text: string } }).content.text;
        const aad = JSON.stringify(['hub-field', 1, tenantId, customerId, row.event_id, 'data.content.text']);
        if (i === 4) continue; // erased: sealed under a key nobody kept
        expect(openValue(keys[i]!, sealed, aad)).toBe(people[i]!.text);
        const other = keys[(i + 1) % 4]!;
        expect(() => openValue(other, sealed, aad)).toThrow(DecryptionError);
      }
      const read = await Promise.all(batches.map((b) => h.store.readStream(b.stream, { direction: 'backwards', maxCount: 1 })));
      expect(read.slice(0, 4).map(([e]) => (e!.data as { content: { text: string } }).content.text)).toEqual(
        people.slice(0, 4).map((p) => p.text),
      );
      expect((read[4]![0]!.data as { content: { text: string } }).content.text).toBe('[erased]');
    });

    it('then a retried batch is a duplicate for every stream, and readAll opens a page of many customers with one key lookup', async () => {
      const tenantId = freshId('tenant');
      const customers = Array.from({ length: 4 }, () => randomUUID());
      const people = customers.map(() => freshPerson());
      const batches = customers.map((customerId, i) => ({
        stream: customerStream(tenantId, customerId),
        events: [interactionRecorded(tenantId, people[i]!)],
      }));
      const first = await h.store.appendToStreams(batches);
      const again = await h.store.appendToStreams(batches);
      expect(again.map((o) => o.ok && o.result.duplicate)).toEqual(customers.map(() => true));
      const positions = first.map((o) => (o.ok ? o.result.position : -1n));
      const from = positions.reduce((a, b) => (a < b ? a : b)) - 1n;
      const to = positions.reduce((a, b) => (a > b ? a : b));

      const get = jest.spyOn(h.keys, 'get');
      const getMany = jest.spyOn(h.keys, 'getMany');
      let page: RecordedEvent[];
      try {
        page = await eventually(async () => {
          const read = (await h.store.readAll({ after: from, maxCount: Number(to - from) })).filter((e) =>
            batches.some((b) => b.stream === e.streamName),
          );
          return read.length === customers.length ? read : undefined;
        });
        expect(get).not.toHaveBeenCalled();
        expect(getMany.mock.calls.every(([subjects]) => subjects.length > 1)).toBe(true);
      } finally {
        get.mockRestore();
        getMany.mockRestore();
      }
      expect(page.map((e) => (e.data as { content: { text: string } }).content.text).sort()).toEqual(people.map((p) => p.text).sort());
    });
  });
});
