import { jsonBodyAsIngested } from '@hub/channels-core/testing';
import type { WebhookRequest } from '@hub/channels-core';
import { WEBCHAT_SIGNATURE_HEADER, WEBCHAT_TIMESTAMP_HEADER, webchatSignature } from '../webchat.adapter';

/**
 * Test and demo helpers that build web chat requests the way the web-chat gateway sends them: the
 * JSON body, `x-webchat-timestamp` (unix seconds) and `x-webchat-signature` (`v1=` + hex HMAC-SHA256
 * of `${timestamp}.${rawBody}`). Never imported by production code.
 */
export function webchatWebhookRequest({
  secret,
  url,
  payload,
  timestamp,
}: {
  secret: string;
  url: string;
  payload: Record<string, unknown>;
  timestamp: number;
}): WebhookRequest {
  const rawBody = Buffer.from(JSON.stringify(payload), 'utf8');
  const ts = String(timestamp);
  return {
    method: 'POST',
    url,
    headers: {
      'content-type': 'application/json',
      [WEBCHAT_TIMESTAMP_HEADER]: ts,
      [WEBCHAT_SIGNATURE_HEADER]: webchatSignature(secret, ts, rawBody),
    },
    rawBody,
    body: jsonBodyAsIngested(rawBody),
  };
}
