import { createHash, timingSafeEqual } from 'node:crypto';
import {
  deterministicId,
  INTERACTION_RECEIVED_SCHEMA_VERSION,
  type CallFacet,
  type Direction,
  type IdentityRef,
  type InteractionReceived,
} from '@hub/contracts';
import {
  ChannelMappingError,
  type ChannelAdapter,
  type ChannelManifest,
  type MapContext,
  type ParseResult,
  type VerifyContext,
  type VerifyResult,
  type WebhookRequest,
} from '@hub/channels-core';
import { normalizePhone } from '@hub/customer';
import type { AmazonConnectConfig } from './amazon-connect.config';
import { parseFirehoseDelivery, type AmazonConnectDelivery, type ContactRecord } from './amazon-connect.payload';
import {
  attributeDisposition,
  attributeTranscriptUrl,
  contactCallStatus,
  contactDirection,
  contactRecordingUrl,
  contactTimings,
} from './contact-record';

export const AMAZON_CONNECT_MANIFEST: ChannelManifest = {
  id: 'voice',
  displayName: 'Voice calls (Amazon Connect contact records via Kinesis Data Firehose)',
  provider: 'amazon-connect',
  // Request format: https://docs.aws.amazon.com/firehose/latest/dev/httpdeliveryrequestresponse.html
  docsUrl: 'https://docs.aws.amazon.com/connect/latest/adminguide/ctr-data-model.html',
  route: { method: 'POST', path: '/webhooks/amazon-connect' },
  // Firehose buffers 1–64 MiB per request (5 MiB by default for HTTP endpoints); base64 adds a third.
  // 8 MiB takes the default buffer; configure the stream's buffer size at 5 MiB or less.
  maxBodyBytes: 8 * 1024 * 1024,
  // The stream's "Content encoding: GZIP" option; Firehose then sends `Content-Encoding: gzip`.
  requestEncodings: ['gzip'],
};

export const AMAZON_CONNECT_ACCESS_KEY_HEADER = 'x-amz-firehose-access-key';

const DEFAULT_DISPOSITION_ATTRIBUTE = 'disposition';
const DEFAULT_TRANSCRIPT_ATTRIBUTE = 'transcriptUrl';

type CustomerPhone = { ok: true; identity: IdentityRef } | { ok: false; field: string; reason: string };

/**
 * Amazon Connect contact records delivered by Kinesis Data Firehose's HTTP endpoint destination.
 * One request carries several records; each voice contact record becomes one `call` event.
 */
export class AmazonConnectChannelAdapter implements ChannelAdapter<AmazonConnectDelivery> {
  readonly manifest = AMAZON_CONNECT_MANIFEST;
  private readonly skipChannels: ReadonlySet<string>;

  constructor(private readonly config: AmazonConnectConfig) {
    this.skipChannels = new Set((config.AMAZON_CONNECT_SKIP_CHANNELS ?? '').split(',').filter(Boolean));
  }

  /**
   * Firehose authenticates with the access key configured on the stream, copied verbatim into
   * `X-Amz-Firehose-Access-Key`. It signs neither the body nor the request time: TLS protects the
   * body in transit. The body's `timestamp` (ms) is deliberately not used as a replay window: it is
   * not covered by anything secret (whoever holds the key can set it), and Firehose retries a failed
   * request for up to its retry duration (up to 2 h), so a window would only turn an outage into lost
   * records. Redeliveries are harmless: they map to the same event ids.
   */
  verify(request: WebhookRequest, _context?: VerifyContext): VerifyResult {
    const key = request.headers[AMAZON_CONNECT_ACCESS_KEY_HEADER];
    if (key === undefined || key === '') return { ok: false, reason: 'signature_missing' };
    return accessKeyMatches(key, this.config.AMAZON_CONNECT_FIREHOSE_ACCESS_KEY)
      ? { ok: true }
      : { ok: false, reason: 'signature_invalid' };
  }

  /**
   * Firehose counts anything but HTTP 200 with `{ requestId, timestamp }` as a failed delivery and
   * retries it: answer that once the delivery is durably taken (published or dead-lettered).
   * https://docs.aws.amazon.com/firehose/latest/dev/httpdeliveryrequestresponse.html
   */
  acknowledge(
    request: WebhookRequest,
    _taken: { eventIds: string[]; deadLettered: boolean },
    { nowMs }: VerifyContext,
  ): { status: number; body: unknown } {
    const body = request.body as { requestId?: unknown } | null;
    const requestId = typeof body?.requestId === 'string' ? body.requestId : request.headers['x-amz-firehose-request-id'];
    return { status: 200, body: { requestId, timestamp: nowMs } };
  }

  parse(body: unknown): ParseResult<AmazonConnectDelivery> {
    return parseFirehoseDelivery(body);
  }

  /**
   * Every record of the delivery, in order. A record that cannot be represented does not hold the
   * others back: they are published (`ChannelMappingError.mapped`) and the delivery is dead-lettered
   * with the error listing each record that failed (never a silent drop). Records of a Connect
   * channel listed in AMAZON_CONNECT_SKIP_CHANNELS are skipped by that explicit setting.
   */
  map(delivery: AmazonConnectDelivery, { tenantId, receivedAt }: MapContext): InteractionReceived[] {
    const events: InteractionReceived[] = [];
    const problems: { field: string; reason: string }[] = [];
    delivery.records.forEach((ctr, i) => {
      const at = `records.${i}.data`;
      if (ctr.Channel !== 'VOICE') {
        if (!this.skipChannels.has(ctr.Channel)) {
          problems.push({
            field: `${at}.Channel`,
            reason: `contact ${ctr.ContactId} is a ${ctr.Channel} contact, not a call (AMAZON_CONNECT_SKIP_CHANNELS can skip this channel's records)`,
          });
        }
        return;
      }
      const direction = contactDirection(ctr.InitiationMethod);
      if (direction === undefined) {
        problems.push({
          field: `${at}.InitiationMethod`,
          reason: `contact ${ctr.ContactId} was initiated by ${ctr.InitiationMethod}, which is not a customer call leg`,
        });
        return;
      }
      const customer = customerPhone(ctr, at);
      if (!customer.ok) {
        problems.push({ field: customer.field, reason: `contact ${ctr.ContactId}: ${customer.reason}` });
        return;
      }
      events.push(this.callEvent(ctr, direction, customer.identity, tenantId, receivedAt));
    });
    if (problems.length > 0) {
      const count = `${problems.length} of ${delivery.records.length} contact record${delivery.records.length === 1 ? '' : 's'}`;
      throw new ChannelMappingError(
        `${count} cannot be mapped; delivery ${delivery.requestId} is dead-lettered for ${problems.length === 1 ? 'it' : 'them'}${events.length ? ` (its ${events.length} other record${events.length === 1 ? ' is' : 's are'} published)` : ''}: ${problems.map((p) => `${p.field}: ${p.reason}`).join('; ')}`,
        problems[0]!.field,
        events,
      );
    }
    return events;
  }

  private callEvent(
    ctr: ContactRecord,
    direction: Direction,
    customer: IdentityRef,
    tenantId: string,
    receivedAt: string,
  ): InteractionReceived {
    // A record re-sent with new data (an attribute updated after the call, a recording's status)
    // has a later LastUpdateTimestamp: it is a new version of the record, so a new event; the same
    // version delivered again maps to the same id.
    const eventId = deterministicId('voice', 'amazon-connect', ctr.ContactId, new Date(ctr.LastUpdateTimestamp).toISOString());
    const recordingUrl = contactRecordingUrl(ctr);
    const transcriptUrl = attributeTranscriptUrl(ctr, this.config.AMAZON_CONNECT_TRANSCRIPT_ATTRIBUTE ?? DEFAULT_TRANSCRIPT_ATTRIBUTE);
    const disposition = attributeDisposition(ctr, this.config.AMAZON_CONNECT_DISPOSITION_ATTRIBUTE ?? DEFAULT_DISPOSITION_ATTRIBUTE);
    const call: CallFacet = {
      status: contactCallStatus(ctr),
      ...contactTimings(ctr),
      ...(recordingUrl ? { recordingUrl } : {}),
      ...(transcriptUrl ? { transcriptUrl } : {}),
      ...(disposition ? { disposition } : {}),
    };
    const accountId = ctr.InstanceARN ?? ctr.AWSAccountId ?? undefined;
    const endpoint = ctr.SystemEndpoint?.Address ?? undefined;
    return {
      type: 'InteractionReceived',
      data: {
        direction,
        kind: 'call',
        identities: [customer],
        content: { media: [] },
        provider: { name: 'amazon-connect', messageId: ctr.ContactId, ...(accountId ? { accountId } : {}) },
        ...(endpoint ? { endpoint } : {}),
        call,
      },
      metadata: {
        eventId,
        // Every leg of one customer contact (transfers, callbacks) shares the initial contact's id.
        correlationId: ctr.InitialContactId ?? ctr.ContactId,
        causationId: eventId,
        // The record is of an ended call: it happened when the call ended.
        occurredAt: new Date(ctr.DisconnectTimestamp ?? ctr.InitiationTimestamp).toISOString(),
        occurredAtSource: 'provider',
        recordedAt: receivedAt,
        schemaVersion: INTERACTION_RECEIVED_SCHEMA_VERSION,
        tenantId,
        channel: 'voice',
      },
    };
  }
}

/**
 * The customer is CustomerEndpoint in both directions: the caller on an inbound contact, the number
 * dialled on an outbound one. SystemEndpoint is our number (the event's `endpoint`).
 */
function customerPhone(ctr: ContactRecord, at: string): CustomerPhone {
  const endpoint = ctr.CustomerEndpoint;
  if (!endpoint)
    return { ok: false, field: `${at}.CustomerEndpoint`, reason: 'the record has no customer endpoint, so no customer to key the call by' };
  if (endpoint.Type && endpoint.Type !== 'TELEPHONE_NUMBER') {
    return { ok: false, field: `${at}.CustomerEndpoint.Type`, reason: `the customer endpoint is ${endpoint.Type}, not a phone number` };
  }
  if (!endpoint.Address)
    return { ok: false, field: `${at}.CustomerEndpoint.Address`, reason: 'the customer number is missing (withheld caller id)' };
  const phone = normalizePhone(endpoint.Address);
  return phone.ok
    ? phone
    : { ok: false, field: `${at}.CustomerEndpoint.Address`, reason: `${phone.reason} (an anonymous or withheld caller id?)` };
}

/** Constant time whatever the lengths: compares SHA-256 digests of both keys. */
export function accessKeyMatches(received: string, expected: string): boolean {
  const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();
  return timingSafeEqual(digest(received), digest(expected));
}
