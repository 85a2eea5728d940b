import { messageSchemaValidator, readMessageSchema } from '@hub/testing';
import { readConsent, readConversationStatus, readTraits } from './customer-fact-intake';
import type { IntakeContext } from './interaction-intake';

/**
 * The JSON Schemas of a platform's facts (docs/schemas, generated from the DTOs) against the events
 * the generic API makes of real request bodies: each accepts them, and refuses one that is not
 * what the recorder takes.
 */
const ctx: IntakeContext = {
  origin: { kind: 'api', source: 'genesys', tenantId: 'acme' },
  recordedAt: '2026-12-07T09:00:00.000Z',
  maxEventBytes: 4096,
};
const identities = [{ kind: 'phone', value: '+1 (415) 555-0100' }];
const occurredAt = '2026-12-07T08:59:00.000Z';
const bytes = (body: object) => Buffer.from(JSON.stringify(body));

const facts = [
  {
    schema: 'conversation-status-received.schema.json',
    event: readConversationStatus(
      bytes({ identities, channel: 'chat', threadId: 'chat-7', status: 'resolved', conversationId: 'CCX-42', occurredAt }),
      ctx,
    ),
  },
  {
    schema: 'consent-received.schema.json',
    event: readConsent(bytes({ identities, channel: 'sms', consent: 'opted_out', occurredAt }), ctx),
  },
  { schema: 'traits-received.schema.json', event: readTraits(bytes({ identities, traits: { tier: 'gold', vip: true }, occurredAt }), ctx) },
];

describe.each(facts)('the $schema JSON Schema', ({ schema, event }) => {
  const validate = messageSchemaValidator().compile(readMessageSchema(schema));
  if (!event.ok) throw new Error(`the body was refused: ${JSON.stringify(event.errors)}`);

  it('accepts the event the generic API makes of a platform’s request', () => {
    expect(validate(event.event) ? [] : validate.errors).toEqual([]);
  });

  it('refuses it without identities or with another type', () => {
    expect(validate({ ...event.event, data: { ...event.event.data, identities: [] } })).toBe(false);
    expect(validate({ ...event.event, type: 'InteractionReceived' })).toBe(false);
  });
});
