import { join } from 'node:path';
import { CONFORMANCE_BASE_URL, type ChannelTestSetup } from '@hub/channels-core/testing';
import { sendgridInboundParse } from '../index';
import { SENDGRID_REPLAY_WINDOW_SECONDS } from '../sendgrid/sendgrid-inbound-parse.adapter';
import type { SendGridInboundParseConfig } from '../sendgrid/sendgrid-inbound-parse.config';
import { p256KeyPair, sendGridFixturePayload, sendGridFormBody, signedSendGridRequest } from './sendgrid-inbound-parse.sign';

/**
 * SendGrid signs with its private key; the hub holds the public key. The test key pair is derived
 * from a seed, so the app under test (given `env`) and the signer agree in any process; a forged
 * request (`options.secret`) is signed with the key pair of another seed.
 */
const TEST_KEY_SEED = 'sendgrid-inbound-parse-conformance';
export const TEST_SENDGRID_KEY_PAIR = p256KeyPair(TEST_KEY_SEED);

/** The SendGrid Inbound Parse conformance setup: used by its own spec and by the cross-channel integration test. */
export const sendgridTestSetup: ChannelTestSetup<SendGridInboundParseConfig> = {
  definition: sendgridInboundParse,
  config: { SENDGRID_INBOUND_PARSE_PUBLIC_KEY: TEST_SENDGRID_KEY_PAIR.publicKeyBase64 },
  env: { SENDGRID_INBOUND_PARSE_PUBLIC_KEY: TEST_SENDGRID_KEY_PAIR.publicKeyBase64 },
  fixturesDir: join(__dirname, '..', 'sendgrid', '__fixtures__'),
  replayWindowSeconds: SENDGRID_REPLAY_WINDOW_SECONDS,
  sign: (payload, { secret, ageSeconds }) => {
    const { body, contentType } = sendGridFormBody(sendGridFixturePayload(payload));
    return signedSendGridRequest({
      privateKey: secret === undefined ? TEST_SENDGRID_KEY_PAIR.privateKey : p256KeyPair(secret).privateKey,
      url: `${CONFORMANCE_BASE_URL}${sendgridInboundParse.manifest.route.path}`,
      body,
      contentType,
      timestampSeconds: Math.floor(Date.now() / 1000) - (ageSeconds ?? 0),
    });
  },
};

/** The credentials a deployment puts in its Parse URL (`https://<user>:<password>@host/webhooks/email/sendgrid`). */
export const TEST_SENDGRID_BASIC_AUTH = 'sendgrid-parse:conformance-basic-auth-password';

/** `Authorization: Basic …`, as SendGrid sends the credentials of the Parse URL. */
export function basicAuthorization(credentials: string): string {
  return `Basic ${Buffer.from(credentials, 'utf8').toString('base64')}`;
}

/**
 * The stock, unsigned Inbound Parse setup, protected by basic auth credentials in the Parse URL: the
 * same recorded posts, no signature headers, an `Authorization` header instead. Credentials are a
 * static token over no body and no time, like Telegram's (`signsBody: false`, no replay window).
 * A forged request (`options.secret`) carries other credentials.
 */
export const sendgridBasicAuthTestSetup: ChannelTestSetup<SendGridInboundParseConfig> = {
  definition: sendgridInboundParse,
  config: { SENDGRID_INBOUND_PARSE_BASIC_AUTH: TEST_SENDGRID_BASIC_AUTH },
  env: { SENDGRID_INBOUND_PARSE_BASIC_AUTH: TEST_SENDGRID_BASIC_AUTH },
  fixturesDir: join(__dirname, '..', 'sendgrid', '__fixtures__'),
  signsBody: false,
  sign: (payload, { secret }) => {
    const { body, contentType } = sendGridFormBody(sendGridFixturePayload(payload));
    return {
      method: 'POST',
      url: `${CONFORMANCE_BASE_URL}${sendgridInboundParse.manifest.route.path}`,
      headers: {
        'content-type': contentType,
        'user-agent': 'Sendlib/1.0',
        authorization: basicAuthorization(secret === undefined ? TEST_SENDGRID_BASIC_AUTH : `sendgrid-parse:${secret}`),
      },
      rawBody: body,
      body,
    };
  },
};
