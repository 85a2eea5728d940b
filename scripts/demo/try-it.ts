/* What the demo prints for a person to try the running hub by hand: copy-paste commands, each ready to run. */
import { randomUUID } from 'node:crypto';
import { smsTestSetup, twilioSmsParams } from '@hub/channels-sms/testing';
import { smsChannel } from '@hub/channels-sms';

const shellQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * A `curl` posting one inbound SMS to the running ingest-sms exactly as Twilio would: the form body
 * and an `X-Twilio-Signature` computed with the demo's auth token for the public URL the app checks
 * signatures against (PUBLIC_BASE_URL), so the hub answers 202 and records it.
 */
export function signedSmsCurl(ingestSmsUrl: string, from: string, text: string): string {
  const params = twilioSmsParams({ from, to: '+14155550100', body: text, seed: randomUUID() });
  const signed = smsTestSetup.sign(params, {});
  const headers = Object.entries(signed.headers)
    .filter(([name]) => name === 'x-twilio-signature' || name === 'content-type')
    .map(([name, value]) => `-H ${shellQuote(`${name}: ${value}`)}`);
  return `curl -i -X POST ${headers.join(' ')} --data-binary ${shellQuote(signed.rawBody.toString('utf8'))} ${shellQuote(`${ingestSmsUrl}${smsChannel.manifest.route.path}`)}`;
}

/**
 * The command that runs @hub/client's quickstart (scripts/client-quickstart.ts) against the demo's
 * generic ingest API, signed in with its source key, and listening on the run's decisions topic.
 */
export function clientQuickstartCommand(o: { ingestApiUrl: string; sourceKey: string; kafkaBrokers: string; namespace: string }): string {
  const vars = [
    `HUB_INGEST_URL=${shellQuote(o.ingestApiUrl)}`,
    `HUB_SOURCE_KEY=${shellQuote(o.sourceKey)}`,
    `KAFKA_BROKERS=${shellQuote(o.kafkaBrokers)}`,
    `HUB_NAMESPACE=${shellQuote(o.namespace)}`,
  ];
  return `${vars.join(' ')} npm run client-quickstart -- --listen 20`;
}
