import { execFileSync } from 'node:child_process';
import { smsChannel } from '@hub/channels-sms';
import { smsTestSetup } from '@hub/channels-sms/testing';
import { CONFORMANCE_BASE_URL } from '@hub/channels-core/testing';
import { clientQuickstartCommand, signedSmsCurl } from './try-it';

/** The arguments bash would pass to curl for this command line (curl replaced by a function printing them). */
function curlArgs(command: string): string[] {
  const out = execFileSync('bash', ['-c', `curl() { printf '%s\\0' "$@"; }; ${command}`]);
  return out.toString('utf8').split('\0').slice(0, -1);
}

describe('the signed curl the demo prints', () => {
  it('posts a form body whose X-Twilio-Signature the SMS adapter accepts, quoting survived by the shell', () => {
    const command = signedSmsCurl('http://127.0.0.1:40123', '+14155550199', "Hi, it's Maria — is order #1042 on its way? 50% off & more");
    const args = curlArgs(command);
    const headers = Object.fromEntries(
      args
        .flatMap((a, i) => (args[i - 1] === '-H' ? [a.split(/:\s(.*)/s).slice(0, 2) as [string, string]] : []))
        .map(([k, v]) => [k.toLowerCase(), v]),
    );
    const body = args[args.indexOf('--data-binary') + 1]!;
    const url = new URL(args.at(-1)!);
    expect(url.origin).toBe('http://127.0.0.1:40123');
    expect(url.pathname).toBe(smsChannel.manifest.route.path);
    expect(new URLSearchParams(body).get('Body')).toBe("Hi, it's Maria — is order #1042 on its way? 50% off & more");

    const adapter = smsChannel.create(smsTestSetup.config);
    const request = {
      method: 'POST',
      url: `${CONFORMANCE_BASE_URL}${url.pathname}`,
      headers,
      rawBody: Buffer.from(body, 'utf8'),
      body: Object.fromEntries(new URLSearchParams(body)),
    };
    expect(adapter.verify(request, { nowMs: Date.now() })).toEqual({ ok: true });
    expect(
      adapter.verify({ ...request, rawBody: Buffer.from(`${body}x`), body: { ...request.body, Body: 'changed' } }, { nowMs: Date.now() }),
    ).not.toEqual({ ok: true });
  });
});

describe('the @hub/client quickstart command the demo prints', () => {
  it('runs the quickstart with the generic API, its source key and the run’s namespace, quoting survived by the shell', () => {
    const command = clientQuickstartCommand({
      ingestApiUrl: 'http://127.0.0.1:40124',
      sourceKey: "k'ey-1",
      kafkaBrokers: '127.0.0.1:9092',
      namespace: 'demo-abc',
    });
    const out = execFileSync('bash', [
      '-c',
      `npm() { printf '%s\\0' "$HUB_INGEST_URL" "$HUB_SOURCE_KEY" "$KAFKA_BROKERS" "$HUB_NAMESPACE" "$@"; }; ${command}`,
    ]);
    expect(out.toString('utf8').split('\0').slice(0, -1)).toEqual([
      'http://127.0.0.1:40124',
      "k'ey-1",
      '127.0.0.1:9092',
      'demo-abc',
      'run',
      'client-quickstart',
      '--',
      '--listen',
      '20',
    ]);
  });
});
