import { customerStream, HeaderNames, type EventMetadata } from '@hub/contracts';
import { customerEventMessage } from './customer-event.message';

const metadata = {
  eventId: '0190a4c2-0000-7000-8000-000000000001',
  correlationId: 'corr-1',
  causationId: 'cause-1',
  occurredAt: '2026-01-02T10:00:00.000Z',
  recordedAt: '2026-01-02T10:00:01.000Z',
  schemaVersion: 2,
  tenantId: 'acme',
  channel: 'sms',
} as unknown as EventMetadata;

describe('customerEventMessage', () => {
  it('is the hub.customer-events.v1 message of a stored customer event: keyed by customer, positions as strings, hub-* headers', () => {
    const data = { text: 'hi' };
    const message = customerEventMessage({
      streamName: customerStream('acme', 'c-1'),
      type: 'InteractionRecorded',
      data,
      metadata,
      revision: 4n,
      globalPosition: 1234n,
    });
    expect(message).toEqual({
      key: 'c-1',
      value: {
        type: 'InteractionRecorded',
        tenantId: 'acme',
        customerId: 'c-1',
        streamRevision: '4',
        globalPosition: '1234',
        data,
        metadata,
      },
      headers: expect.objectContaining({
        [HeaderNames.eventId]: metadata.eventId,
        [HeaderNames.eventType]: 'InteractionRecorded',
        [HeaderNames.tenantId]: 'acme',
      }),
    });
  });

  it('is undefined for an event outside customer streams, or of a type customer streams do not hold', () => {
    expect(
      customerEventMessage({
        streamName: 'identity-acme.x',
        type: 'InteractionRecorded',
        data: {},
        metadata,
        revision: 0n,
        globalPosition: 1n,
      }),
    ).toBeUndefined();
    expect(
      customerEventMessage({
        streamName: customerStream('acme', 'c-1'),
        type: 'SomethingElse',
        data: {},
        metadata,
        revision: 0n,
        globalPosition: 1n,
      }),
    ).toBeUndefined();
  });
});
