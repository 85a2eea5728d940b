import { jsonBodyAsIngested } from '@hub/channels-core/testing';
import type { WebhookRequest } from '@hub/channels-core';
import { TELEGRAM_SECRET_TOKEN_HEADER } from '../telegram.adapter';

/**
 * Test and demo helpers that build Telegram webhook requests the way Telegram sends them: a JSON
 * `Update` POSTed with the `secret_token` given to setWebhook in `X-Telegram-Bot-Api-Secret-Token`
 * (https://core.telegram.org/bots/api#setwebhook). Never imported by production code.
 */

/**
 * The request as the ingestion app hands it to the adapter: the exact JSON bytes, and the body
 * parsed back from those bytes (so the test goes through the same encoding the wire does).
 */
export function telegramWebhookRequest({
  secretToken,
  url,
  update,
}: {
  secretToken: string;
  url: string;
  update: Record<string, unknown>;
}): WebhookRequest {
  const rawBody = Buffer.from(JSON.stringify(update), 'utf8');
  return {
    method: 'POST',
    url,
    headers: { 'content-type': 'application/json', [TELEGRAM_SECRET_TOKEN_HEADER]: secretToken },
    rawBody,
    body: jsonBodyAsIngested(rawBody),
  };
}
