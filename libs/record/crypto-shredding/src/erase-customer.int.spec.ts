import { randomUUID } from 'node:crypto';
import { customerStream, IdentityHasher, identityStream } from '@hub/contracts';
import { StreamNotFoundError } from '@hub/event-store';
import { freshId } from '@hub/testing';
import { SubjectErasedError } from './crypto-shredding.errors';
import { customerErasedEventId, eraseCustomer } from './erase-customer';
import { ERASED_MARKER } from './personal-data.policy';
import {
  customerRegistered,
  CryptoShreddingHarness,
  freshPerson,
  identityClaimed,
  interactionRecorded,
  personalValues,
  type Person,
} from './testing/crypto-shredding.fixtures';

const NOW = '2025-04-02T12:00:00.000Z';

describe('eraseCustomer', () => {
  let h: CryptoShreddingHarness;

  beforeAll(async () => {
    h = await CryptoShreddingHarness.start();
  });

  afterAll(async () => {
    await h?.stop();
  });

  /** A customer as the projector leaves one: identity claim, registration, two interactions. */
  async function givenACustomer(): Promise<{ tenantId: string; customerId: string; stream: string; claimStream: string; person: Person }> {
    const tenantId = freshId('tenant');
    const customerId = randomUUID();
    const person = freshPerson();
    const stream = customerStream(tenantId, customerId);
    const claimStream = identityStream(IdentityHasher.development(), tenantId, 'phone', person.phone);
    await h.store.appendToStream(claimStream, [identityClaimed(tenantId, customerId, person)], { expectedRevision: 'no_stream' });
    await h.store.appendToStream(stream, [customerRegistered(tenantId, customerId, person), interactionRecorded(tenantId, person)]);
    await h.store.appendToStream(stream, [
      interactionRecorded(tenantId, person, { channel: 'sms', occurredAt: '2025-03-02T08:00:00.000Z' }),
    ]);
    return { tenantId, customerId, stream, claimStream, person };
  }

  function erase(tenantId: string, customerId: string, overrides: { reason?: string; now?: string } = {}) {
    return eraseCustomer({
      store: h.store,
      keys: h.keys,
      tenantId,
      customerId,
      reason: 'gdpr-art17:TICKET-42',
      requestedBy: 'operator:dpo-1',
      now: NOW,
      ...overrides,
    });
  }

  describe('when a customer is erased', () => {
    it('then the raw rows still hold no readable personal data and the key is gone', async () => {
      const { tenantId, customerId, stream, claimStream, person } = await givenACustomer();

      const erasure = await erase(tenantId, customerId);

      expect(erasure).toMatchObject({ keyDestroyed: true, duplicate: false, revision: 3n });
      for (const s of [stream, claimStream]) {
        const raw = await h.rawText(s);
        for (const value of personalValues(person)) expect(raw).not.toContain(value);
      }
      expect(await h.keys.get(tenantId, customerId)).toBeUndefined();
      await expect(h.keys.getOrCreate(tenantId, customerId)).rejects.toBeInstanceOf(SubjectErasedError);
    });

    it('then reading through the store gives [erased] for personal fields and keeps the rest', async () => {
      const { tenantId, customerId, stream, claimStream } = await givenACustomer();
      const before = await h.store.readStream(stream);

      await erase(tenantId, customerId);

      const after = await h.store.readStream(stream);
      expect(after.map((e) => e.type)).toEqual(['CustomerRegistered', 'InteractionRecorded', 'InteractionRecorded', 'CustomerErased']);
      for (const [i, event] of after.slice(1, 3).entries()) {
        const data = event.data as {
          channel: string;
          direction: string;
          kind: string;
          identities: { kind: string; value: string }[];
          content: { text: string; media: { url: string }[] };
          endpoint: string;
          provider: unknown;
        };
        const original = before[i + 1]!;
        expect(data.identities).toEqual([
          { kind: 'phone', value: ERASED_MARKER },
          { kind: 'email', value: ERASED_MARKER },
        ]);
        expect(data.content.text).toBe(ERASED_MARKER);
        expect(data.content.media.map((m) => m.url)).toEqual([ERASED_MARKER]);
        expect(data.endpoint).toBe(ERASED_MARKER);
        expect(data).toMatchObject({
          channel: 'sms',
          direction: 'inbound',
          kind: 'message',
          provider: (original.data as { provider: unknown }).provider,
        });
        expect(event.metadata).toEqual(original.metadata); // occurredAt, ids, tenant, channel …
        expect({ eventId: event.eventId, revision: event.revision, globalPosition: event.globalPosition }).toEqual({
          eventId: original.eventId,
          revision: original.revision,
          globalPosition: original.globalPosition,
        });
      }
      expect(after[0]!.data).toEqual({ customerId, tenantId, identity: { kind: 'phone', value: ERASED_MARKER } });
      const [claim] = await h.store.readStream(claimStream);
      expect(claim!.data).toEqual({ customerId, identity: { kind: 'phone', value: ERASED_MARKER } });
    });

    it('then CustomerErased is the last event of the stream, with no personal data, under a deterministic id', async () => {
      const { tenantId, customerId, stream } = await givenACustomer();

      await erase(tenantId, customerId);

      const [last] = await h.store.readStream(stream, { direction: 'backwards', maxCount: 1 });
      expect(last).toMatchObject({
        eventId: customerErasedEventId(tenantId, customerId),
        type: 'CustomerErased',
        data: { customerId, reason: 'gdpr-art17:TICKET-42', requestedBy: 'operator:dpo-1' },
        metadata: { occurredAt: NOW, recordedAt: NOW, tenantId, channel: 'system', schemaVersion: 1 },
      });
      expect(last!.metadata).not.toHaveProperty('encryption');
    });
  });

  describe('when the customer was already erased', () => {
    it('then erasing again destroys nothing, appends nothing, and reports the stored record', async () => {
      const { tenantId, customerId, stream } = await givenACustomer();
      const first = await erase(tenantId, customerId);

      const second = await erase(tenantId, customerId, { reason: 'asked twice', now: '2025-05-01T00:00:00.000Z' });

      expect(second).toMatchObject({ keyDestroyed: false, duplicate: true, revision: first.revision, position: first.position });
      const events = await h.store.readStream(stream);
      expect(events.filter((e) => e.type === 'CustomerErased')).toHaveLength(1);
      expect(events.at(-1)!.data).toMatchObject({ reason: 'gdpr-art17:TICKET-42' });
    });

    it('then a retry after a crash between the two steps (key gone, no record yet) completes the record', async () => {
      const { tenantId, customerId, stream } = await givenACustomer();
      await h.keys.destroy(tenantId, customerId);

      const erasure = await erase(tenantId, customerId);

      expect(erasure).toMatchObject({ keyDestroyed: false, duplicate: false });
      expect((await h.store.readStream(stream)).at(-1)!.type).toBe('CustomerErased');
    });
  });

  describe('when the customer does not exist', () => {
    it('then it fails with StreamNotFoundError and changes nothing', async () => {
      const tenantId = freshId('tenant');
      const customerId = randomUUID();

      await expect(erase(tenantId, customerId)).rejects.toBeInstanceOf(StreamNotFoundError);

      await expect(h.inner.readStream(customerStream(tenantId, customerId))).rejects.toBeInstanceOf(StreamNotFoundError);
      expect(await h.keys.getOrCreate(tenantId, customerId)).toHaveLength(32);
    });
  });
});
