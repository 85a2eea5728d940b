import pino from 'pino';
import { HeaderNames, IdentityHasher, identityKey } from '@hub/contracts';
import {
  PermanentMessageError,
  PublisherSaturatedError,
  PublishUnavailableError,
  type EventPublisher,
  type OutgoingMessage,
} from '@hub/messaging';
import { EventIntakeService } from './event-intake.service';
import type { SourceKey } from './source-keys';

/** The publisher port in memory: what reached the bus, or the bus refusing. */
class InMemoryPublisher implements EventPublisher {
  readonly published: { topic: string; message: OutgoingMessage }[] = [];
  refuseWith: Error | undefined;
  readonly ready = true;
  async publish(topic: string, messages: readonly OutgoingMessage[]): Promise<void> {
    if (this.refuseWith) throw this.refuseWith;
    for (const message of messages) this.published.push({ topic, message });
  }
  async close(): Promise<void> {
    this.refuseWith = new PublishUnavailableError('closed', 1);
  }
}

const caller: SourceKey = { source: 'genesys', tenantId: 'acme', keyId: 'abcd1234', digest: Buffer.alloc(32) };
const now = new Date('2025-03-01T12:00:00.000Z');
const event = (messageId: string, metadata: Record<string, unknown> = {}, provider: Record<string, unknown> = {}) =>
  JSON.stringify({
    type: 'InteractionReceived',
    data: {
      direction: 'inbound',
      kind: 'message',
      identities: [{ kind: 'phone', value: '+14155550100' }],
      content: { text: messageId, media: [] },
      provider: { messageId, ...provider },
    },
    metadata: { occurredAt: '2025-03-01T11:00:00.000Z', channel: 'sms', ...metadata },
  });

function setup(limits = { maxBatchEvents: 10, maxEventBytes: 8_192 }) {
  const publisher = new InMemoryPublisher();
  const intake = new EventIntakeService(
    publisher,
    'interactions',
    IdentityHasher.development(),
    limits,
    pino({ level: 'silent' }),
    () => now,
    undefined,
    new Set(['acme']),
    undefined,
    (tenantId) => `feedback.${tenantId}`,
  );
  return { publisher, intake };
}

describe('the generic API use case', () => {
  describe('when an NDJSON batch mixes valid and invalid lines', () => {
    it('then each line gets its result and only the valid ones are published, keyed by identity', async () => {
      const { publisher, intake } = setup();
      const body = Buffer.from([event('m1'), 'not json', '', event('m2', { tenantId: 'globex' }), event('m3')].join('\n'));
      const outcome = await intake.submitBatch(caller, body);
      expect(outcome.kind).toBe('processed');
      if (outcome.kind !== 'processed') return;
      expect(outcome.results.map((r) => [r.line, r.status, r.status === 'invalid' ? r.code : undefined])).toEqual([
        [1, 'accepted', undefined],
        [2, 'invalid', 'invalid_json'],
        [4, 'invalid', 'tenant_mismatch'],
        [5, 'accepted', undefined],
      ]);
      expect([outcome.accepted, outcome.invalid]).toEqual([2, 2]);
      expect(publisher.published.map((p) => (p.message.value as { data: { content: { text: string } } }).data.content.text)).toEqual([
        'm1',
        'm3',
      ]);
      expect(
        publisher.published.every(
          (p) => p.topic === 'interactions' && p.message.key === identityKey(IdentityHasher.development(), 'acme', 'phone', '+14155550100'),
        ),
      ).toBe(true);
      expect(publisher.published[0]!.message.headers?.[HeaderNames.eventId]).toBe(
        outcome.results[0]!.status === 'accepted' ? outcome.results[0]!.eventId : '',
      );
      expect(intake.counters.toJSON()).toEqual({
        'http.accepted': 2,
        'http.batches': 1,
        'http.rejected.invalid_json': 1,
        'http.rejected.tenant_mismatch': 1,
      });
    });
  });

  describe('when a batch has more events than allowed', () => {
    it('then nothing is parsed or published and the limit is named', async () => {
      const { publisher, intake } = setup({ maxBatchEvents: 2, maxEventBytes: 8_192 });
      expect(await intake.submitBatch(caller, Buffer.from([event('a'), event('b'), event('c')].join('\n')))).toEqual({
        kind: 'too_many_events',
        events: 3,
        limit: 2,
      });
      expect(publisher.published).toEqual([]);
    });
  });

  describe('when the bus is unavailable or saturated', () => {
    it.each([
      ['unavailable', new PublishUnavailableError('kafka did not acknowledge', 5), { kind: 'unavailable', retryAfterSeconds: 5 }],
      ['saturated', new PublisherSaturatedError(1_000, 1), { kind: 'saturated', retryAfterSeconds: 1 }],
    ])('then a %s bus refuses the whole batch: no line is reported accepted', async (_what, error, expected) => {
      const { publisher, intake } = setup();
      publisher.refuseWith = error;
      expect(await intake.submitBatch(caller, Buffer.from(`${event('a')}\n${event('b')}`))).toEqual(expected);
      expect(await intake.submitOne(caller, Buffer.from(event('c')))).toEqual(expected);
      expect(intake.counters.get('http.accepted')).toBe(0);
    });
  });

  describe('when a single event is sent', () => {
    it('then it is accepted with its derived id, or refused with its fields', async () => {
      const { publisher, intake } = setup();
      const accepted = await intake.submitOne(caller, Buffer.from(event('m1')));
      expect(accepted).toEqual({ kind: 'accepted', eventId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
      expect(publisher.published).toHaveLength(1);
      expect(await intake.submitOne(caller, Buffer.from(event('m1', { occurredAt: 'soon' })))).toEqual({
        kind: 'rejected',
        code: 'invalid_event',
        errors: [{ field: 'metadata.occurredAt', messages: [expect.any(String)], codes: ['is_iso8601'] }],
      });
    });
  });

  describe('when a raw-topic message is invalid', () => {
    it('then its allowed tenant gets the refusal on its feedback topic, in the API’s error shape, without the payload', async () => {
      const { publisher, intake } = setup();
      const value = Buffer.from(event('m1', { tenantId: 'acme', eventId: 'CCX-9' }, { name: 'genesys' }).replace('+14155550100', '+1415'));
      const err = await intake
        .ingestRaw({ topic: 'raw', partition: 2, offset: '41', key: 'k', headers: {}, value })
        .catch((e: unknown) => e);
      expect(err).toEqual(expect.objectContaining({ code: 'INVALID_EVENT', message: 'data.identities.0.value: invalid_identity' }));
      expect((err as PermanentMessageError).deadLetterHeaders).toEqual({ [HeaderNames.tenantId]: 'acme' });
      expect(publisher.published).toEqual([
        {
          topic: 'feedback.acme',
          message: {
            key: 'CCX-9',
            headers: { [HeaderNames.tenantId]: 'acme' },
            value: {
              error: 'invalid_event',
              message: expect.any(String),
              problems: [{ path: 'data.identities.0.value', code: 'invalid_identity', message: expect.stringContaining('+1415') }],
              tenantId: 'acme',
              clientEventId: 'CCX-9',
              coordinates: { topic: 'raw', partition: 2, offset: '41' },
              payload: { bytes: value.length, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) },
              rejectedAt: now.toISOString(),
            },
          },
        },
      ]);
      // The payload is referenced, never carried: its phone is only in the problem's words, for its own tenant.
      expect(JSON.stringify(publisher.published[0]!.message.value)).not.toContain('m1');
    });

    it('then a tenant not allowed gets no feedback (it has no topic): only the dead letter', async () => {
      const { publisher, intake } = setup();
      const value = Buffer.from(event('m1', { tenantId: 'globex' }, { name: 'genesys' }));
      const err = await intake
        .ingestRaw({ topic: 'raw', partition: 0, offset: '1', key: undefined, headers: {}, value })
        .catch((e: unknown) => e);
      expect(err).toEqual(expect.objectContaining({ code: 'TENANT_NOT_ALLOWED', deadLetterHeaders: { [HeaderNames.tenantId]: 'globex' } }));
      expect(publisher.published).toEqual([]);
    });

    it('then it fails permanently with the code and the failing fields as the reason', async () => {
      const { intake } = setup();
      const message = {
        topic: 'raw',
        partition: 0,
        offset: '7',
        key: undefined,
        headers: {},
        value: Buffer.from(event('m1', { tenantId: 'globex' })),
      };
      const err = await intake.ingestRaw(message).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PermanentMessageError);
      expect(err).toEqual(
        expect.objectContaining({
          code: 'TENANT_NOT_ALLOWED',
          // With every other problem of the message (here its missing source), by path and code only.
          message: expect.stringContaining('metadata.tenantId: tenant_not_allowed; '),
        }),
      );
      const empty = await intake.ingestRaw({ ...message, value: null }).catch((e: unknown) => e);
      expect(empty).toEqual(expect.objectContaining({ code: 'INVALID_JSON' }));
    });

    it('then a bus failure is thrown as it is, to be retried', async () => {
      const { publisher, intake } = setup();
      publisher.refuseWith = new PublishUnavailableError('down', 5);
      const value = Buffer.from(event('m1', { tenantId: 'acme' }, { name: 'genesys' }));
      const err = await intake
        .ingestRaw({ topic: 'raw', partition: 0, offset: '1', key: undefined, headers: {}, value })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PublishUnavailableError);
      expect(intake.counters.get('raw.retried')).toBe(1);
    });
  });
});
