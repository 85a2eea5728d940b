import { deterministicId, type ChannelId, type EventMetadata } from '@hub/contracts';
import type { CustomerEvent } from '@hub/customer';

/**
 * Events of one customer for the worker's integration specs: fresh tenant and customer ids give
 * fresh streams; event ids are UUIDs derived from the customer and a name, so a spec can refer to
 * them.
 */
export class CustomerStream {
  constructor(
    readonly tenantId: string,
    readonly customerId: string,
  ) {}

  id(name: string): string {
    return deterministicId('nba-worker-spec', this.tenantId, this.customerId, name);
  }

  meta(name: string, at: string, channel: EventMetadata['channel'] = 'system'): EventMetadata {
    const eventId = this.id(name);
    return {
      eventId,
      correlationId: eventId,
      causationId: eventId,
      occurredAt: at,
      recordedAt: at,
      schemaVersion: 1,
      tenantId: this.tenantId,
      channel,
    };
  }

  registered(at: string, phone = '+14155550100'): CustomerEvent {
    return {
      type: 'CustomerRegistered',
      data: { customerId: this.customerId, tenantId: this.tenantId, identity: { kind: 'phone', value: phone } },
      metadata: this.meta('registered', at, 'sms'),
    };
  }

  message(
    name: string,
    at: string,
    text: string,
    direction: 'inbound' | 'outbound' = 'inbound',
    channel: ChannelId = 'sms',
  ): CustomerEvent {
    return {
      type: 'InteractionRecorded',
      data: {
        channel,
        direction,
        kind: 'message',
        identities: [{ kind: 'phone', value: '+14155550100' }],
        content: { text, media: [] },
        provider: { name: 'twilio', messageId: this.id(name) },
      },
      metadata: this.meta(name, at, channel),
    };
  }

  resolved(name: string, at: string, channel: ChannelId = 'sms'): CustomerEvent {
    return { type: 'ConversationResolved', data: { channel }, metadata: this.meta(name, at) };
  }

  csat(name: string, at: string, score: number): CustomerEvent {
    return { type: 'SurveyAnswered', data: { survey: 'csat', score }, metadata: this.meta(name, at) };
  }

  traits(name: string, at: string, traits: Record<string, string | number | boolean | null>): CustomerEvent {
    return { type: 'TraitsUpdated', data: { traits }, metadata: this.meta(name, at) };
  }

  optedIn(name: string, at: string, channel: ChannelId = 'sms'): CustomerEvent {
    return { type: 'ConsentChanged', data: { channel, consent: 'opted_in', source: 'web_form' }, metadata: this.meta(name, at) };
  }
}
