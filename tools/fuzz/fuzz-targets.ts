import { createHash } from 'node:crypto';
import { getExpectedTwilioSignature } from 'twilio/lib/webhooks/webhooks';
import type { IngestChannelId } from '@hub/contracts';
import { hmacHex, type WebhookRequest } from '@hub/channels-core';
import { loadConformanceFixtures, type ChannelTestSetup } from '@hub/channels-core/testing';
import { CHANNEL_TEST_SETUPS } from '@hub/channel-registry/testing';
import { shopifyHmac, SHOPIFY_HEADERS } from '@hub/channels-commerce';
import { typeformSignature, TYPEFORM_SIGNATURE_HEADER } from '@hub/channels-survey';
import { webchatSignature, WEBCHAT_SIGNATURE_HEADER, WEBCHAT_TIMESTAMP_HEADER } from '@hub/channels-webchat';
import {
  mimeFixtureBytes,
  sendGridFixturePayload,
  sendGridFormBody,
  signedMimeRequest,
  signedSendGridRequest,
  TEST_SENDGRID_KEY_PAIR,
  type SendGridFixturePayload,
} from '@hub/channels-email/testing';
import { applyRaw, applyStructural, asFormValue, serializeJson, type Mutation } from './mutations';

/**
 * What the campaign sends to: every provider of every channel (its recorded fixtures, signed with the
 * channel's own test helpers and secrets) and the generic API (one event, and NDJSON batches).
 * A target turns a base payload and a list of mutations into a request that is correctly signed for
 * the bytes actually sent, so every mutation reaches the parser instead of stopping at a 401.
 */

/** The apps the campaign boots: one per channel, and the generic API. */
export type FuzzAppId = IngestChannelId | 'api';

export interface FuzzRequest {
  path: string;
  headers: Record<string, string>;
  body: Buffer;
}

export interface FuzzBase {
  /** The fixture file (or the generic API's sample) the payload comes from. */
  name: string;
  value: unknown;
}

export interface FuzzTarget {
  /** `<channel>/<provider>`, or `api/single` and `api/batch`. */
  name: string;
  app: FuzzAppId;
  bases: readonly FuzzBase[];
  /** The signed request for `base` under `mutations`, at `nowMs`. */
  build(base: unknown, mutations: readonly Mutation[], nowMs: number): FuzzRequest;
}

/** The generic API's key the campaign boots ingest-api with (the app is the campaign's own). */
export const FUZZ_API_KEY = 'fuzz-campaign-ingest-api-key-0123456789';
export const FUZZ_API_SOURCE = 'fuzz';

const pathOf = (url: string): string => {
  const u = new URL(url);
  return `${u.pathname}${u.search}`;
};

// ---------------------------------------------------------------------------------------------
// Signing the bytes actually sent, per provider
// ---------------------------------------------------------------------------------------------

/**
 * How each provider registered before test setups had `signRaw` signs a JSON body, reusing the
 * adapter's own signature function and the test setup's secret; `template` is the fixture signed by the channel's `sign` helper (its other headers
 * are kept). A provider whose credential covers no body (a static token) keeps the template's headers.
 */
type JsonSigner = (template: WebhookRequest, raw: Buffer, env: Record<string, string>, nowMs: number) => Record<string, string | undefined>;

const JSON_SIGNERS: Record<string, JsonSigner> = {
  meta: (t, raw, env) => ({
    ...t.headers,
    'x-hub-signature': `sha1=${hmacHex('sha1', env['META_APP_SECRET']!, raw)}`,
    'x-hub-signature-256': `sha256=${hmacHex('sha256', env['META_APP_SECRET']!, raw)}`,
  }),
  shopify: (t, raw, env) => ({ ...t.headers, [SHOPIFY_HEADERS.hmac]: shopifyHmac(env['SHOPIFY_WEBHOOK_SECRET']!, raw) }),
  typeform: (t, raw, env) => ({ ...t.headers, [TYPEFORM_SIGNATURE_HEADER]: typeformSignature(env['TYPEFORM_SECRET']!, raw) }),
  'hub-webchat': (t, raw, env, nowMs) => {
    const ts = String(Math.floor(nowMs / 1000));
    return {
      ...t.headers,
      [WEBCHAT_TIMESTAMP_HEADER]: ts,
      [WEBCHAT_SIGNATURE_HEADER]: webchatSignature(env['WEBCHAT_SIGNING_SECRET']!, ts, raw),
    };
  },
  telegram: (t) => ({ ...t.headers }),
  'amazon-connect': (t) => ({ ...t.headers }),
};

const definedHeaders = (h: Record<string, string | undefined>): Record<string, string> =>
  Object.fromEntries(Object.entries(h).filter((e): e is [string, string] => e[1] !== undefined));

function fixtureBases(setup: ChannelTestSetup<object>): { file: string; payload: Record<string, unknown> }[] {
  const f = loadConformanceFixtures(setup.fixturesDir);
  return [...f.valid, ...f.malformed, ...f.unmappable].map((x) => ({ file: x.file, payload: x.payload }));
}

/**
 * A Firehose delivery with its records' `data` opened (base64 JSON → object), so mutations reach
 * the contact records inside as well as the envelope; closed again before sending.
 */
const firehoseLens = {
  open(v: unknown): unknown {
    const records = (v as { records?: unknown }).records;
    if (!Array.isArray(records)) return v;
    return {
      ...(v as object),
      records: records.map((r: unknown) => {
        const data = (r as { data?: unknown } | null)?.data;
        if (typeof data !== 'string') return r;
        try {
          return { ...(r as object), data: JSON.parse(Buffer.from(data, 'base64').toString('utf8')) as unknown };
        } catch {
          return r;
        }
      }),
    };
  },
  close(v: unknown): unknown {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return v;
    const records = (v as { records?: unknown }).records;
    if (!Array.isArray(records)) return v;
    const copy = Object.assign(Object.create(null) as object, v) as Record<string, unknown>;
    copy['records'] = records.map((r: unknown) => {
      if (typeof r !== 'object' || r === null || Array.isArray(r)) return r;
      const data = (r as { data?: unknown }).data;
      if (data === undefined || typeof data === 'string') return r;
      return { ...(r as object), data: Buffer.from(serializeJson(data), 'utf8').toString('base64') };
    });
    return copy;
  },
};

/** The setup's own `signRaw` (every generated channel has one), else the provider's entry in JSON_SIGNERS. */
function jsonSignerOf(app: IngestChannelId, setup: ChannelTestSetup<object>): JsonSigner {
  const { signRaw } = setup;
  if (signRaw) return (template, raw, _env, nowMs) => ({ ...template.headers, ...signRaw(raw, { nowMs }) });
  const provider = setup.definition.manifest.provider;
  const signer = JSON_SIGNERS[provider];
  if (!signer)
    throw new Error(
      `the fuzz campaign has no signer for provider ${provider} of channel ${app}: give its test setup signRaw, or add one to JSON_SIGNERS`,
    );
  return signer;
}

function jsonTarget(app: IngestChannelId, setup: ChannelTestSetup<object>): FuzzTarget {
  const provider = setup.definition.manifest.provider;
  const signer = jsonSignerOf(app, setup);
  const lens = provider === 'amazon-connect' ? firehoseLens : undefined;
  const fixtures = fixtureBases(setup);
  // Each fixture signed once by the channel's own helper: the template of its headers and URL.
  const templates = new Map<unknown, WebhookRequest>();
  const bases = fixtures.map(({ file, payload }) => {
    const template = setup.sign(payload, {});
    // What is on the wire (Shopify's `__topic` is a header, not the body).
    const wire: unknown = JSON.parse(template.rawBody.toString('utf8'));
    const value = lens ? lens.open(wire) : wire;
    templates.set(value, template);
    return { name: file, value };
  });
  return {
    name: `${app}/${provider}`,
    app,
    bases,
    build(base, mutations, nowMs) {
      const template = templates.get(base)!;
      const mutated = applyStructural(base, mutations);
      const raw = applyRaw(Buffer.from(serializeJson(lens ? lens.close(mutated) : mutated), 'utf8'), mutations);
      return { path: pathOf(template.url), headers: definedHeaders(signer(template, raw, setup.env, nowMs)), body: raw };
    },
  };
}

/**
 * Twilio posts form fields and signs the URL with the sorted fields (not the bytes): the mutated
 * payload is coerced to fields (a repeated field when a value is an array), encoded, parsed back as
 * the app parses it, and signed with Twilio's own algorithm. Byte mutations are not applied: the
 * signature covers the parsed fields, and a byte-level change decodes differently in each parser.
 */
function twilioFormTarget(app: IngestChannelId, setup: ChannelTestSetup<object>): FuzzTarget {
  const authToken = setup.env['TWILIO_AUTH_TOKEN']!;
  const fixtures = fixtureBases(setup);
  const url = setup.sign(fixtures[0]!.payload, {}).url;
  return {
    name: `${app}/twilio`,
    app,
    bases: fixtures.map(({ file, payload }) => ({ name: file, value: payload })),
    build(base, mutations) {
      const mutated = applyStructural(base, mutations);
      const form = new URLSearchParams();
      if (typeof mutated === 'object' && mutated !== null && !Array.isArray(mutated)) {
        // `__proto__` is dropped by the app's form parser (prototype-pollution guard), so a field of
        // that name cannot be signed as the app reads the form: left out rather than counted as a 401.
        for (const key of Object.keys(mutated).filter((k) => k !== '__proto__')) {
          const v = (mutated as Record<string, unknown>)[key];
          for (const x of Array.isArray(v) ? v : [v]) form.append(key, asFormValue(x));
        }
      } else {
        form.append('Body', asFormValue(mutated));
      }
      const body = form.toString();
      // No prototype: a field named `constructor` or `hasOwnProperty` is a field like any other.
      const params = Object.create(null) as Record<string, string | string[]>;
      for (const [k, v] of new URLSearchParams(body)) {
        const had = params[k];
        params[k] = had === undefined ? v : Array.isArray(had) ? [...had, v] : [had, v];
      }
      return {
        path: pathOf(url),
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'user-agent': 'TwilioProxy/1.1',
          'x-twilio-signature': getExpectedTwilioSignature(authToken, url, params),
        },
        body: Buffer.from(body, 'utf8'),
      };
    },
  };
}

/** A message nested `depth` multiparts deep: what a MIME walker must not recurse into unbounded. */
function deepMultipart(depth: number): string {
  let body = 'Content-Type: text/plain; charset=UTF-8\r\n\r\nhello from the bottom\r\n';
  for (let i = depth; i > 0; i--) body = `Content-Type: multipart/mixed; boundary="b${i}"\r\n\r\n--b${i}\r\n${body}\r\n--b${i}--\r\n`;
  return `From: deep@example.com\r\nTo: support@example.com\r\nSubject: deep\r\nMessage-ID: <deep-${depth}@example.com>\r\nMIME-Version: 1.0\r\n${body}`;
}

/** Raw MIME: the message as its lines (mutations delete, repeat, replace and add lines), then its bytes. */
function mimeTarget(setup: ChannelTestSetup<object>): FuzzTarget {
  const secret = setup.env['EMAIL_MIME_SIGNING_SECRET']!;
  const fixtures = fixtureBases(setup);
  const url = setup.sign(fixtures[0]!.payload, {}).url;
  const bases = [
    ...fixtures.map(({ file, payload }) => ({ name: file, value: mimeFixtureBytes(payload).toString('latin1').split('\r\n') })),
    { name: 'deep-multipart-200', value: deepMultipart(200).split('\r\n') },
    { name: 'deep-multipart-1000', value: deepMultipart(1_000).split('\r\n') },
  ];
  return {
    name: 'email/mime',
    app: 'email',
    bases,
    build(base, mutations, nowMs) {
      const mutated = applyStructural(base, mutations);
      const lines = Array.isArray(mutated) ? mutated.map(asFormValue) : [asFormValue(mutated)];
      const raw = applyRaw(Buffer.from(lines.join('\r\n'), 'latin1'), mutations);
      const signed = signedMimeRequest({ secret, url, raw, timestampSeconds: Math.floor(nowMs / 1000) });
      return { path: pathOf(url), headers: definedHeaders(signed.headers), body: raw };
    },
  };
}

/** SendGrid Inbound Parse: the recorded form fields mutated, then the multipart body and its ECDSA signature. */
function sendgridTarget(setup: ChannelTestSetup<object>): FuzzTarget {
  const fixtures = fixtureBases(setup);
  const url = setup.sign(fixtures[0]!.payload, {}).url;
  return {
    name: 'email/sendgrid',
    app: 'email',
    bases: fixtures.map(({ file, payload }) => ({ name: file, value: sendGridFixturePayload(payload) })),
    build(base, mutations, nowMs) {
      const mutated = applyStructural(base, mutations) as Partial<Record<string, unknown>> | null;
      const rawFields = typeof mutated === 'object' && mutated !== null ? mutated['fields'] : undefined;
      const fields: Record<string, string | string[]> = {};
      if (typeof rawFields === 'object' && rawFields !== null) {
        for (const key of Object.keys(rawFields)) {
          const v = (rawFields as Record<string, unknown>)[key];
          fields[key] = Array.isArray(v) ? v.map(asFormValue) : asFormValue(v);
        }
      }
      const files = (Array.isArray(mutated?.['files']) ? (mutated['files'] as unknown[]) : []).filter(
        (f): f is NonNullable<SendGridFixturePayload['files']>[number] =>
          typeof f === 'object' &&
          f !== null &&
          ['field', 'filename', 'contentType'].every((k) => typeof (f as Record<string, unknown>)[k] === 'string') &&
          Number.isInteger((f as Record<string, unknown>)['sizeBytes']) &&
          ((f as Record<string, number>)['sizeBytes'] ?? 0) >= 0 &&
          ((f as Record<string, number>)['sizeBytes'] ?? 0) <= 2_000_000,
      );
      const { body: form, contentType } = sendGridFormBody({ fields, files });
      const raw = applyRaw(form, mutations);
      const signed = signedSendGridRequest({
        privateKey: TEST_SENDGRID_KEY_PAIR.privateKey,
        url,
        body: raw,
        contentType,
        timestampSeconds: Math.floor(nowMs / 1000),
      });
      return { path: pathOf(url), headers: definedHeaders(signed.headers), body: raw };
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The generic API
// ---------------------------------------------------------------------------------------------

const sha = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 12);

/** Canonical events as a contact-center platform sends them (docs/events.md, "generic API"). */
export function apiSampleEvents(): { name: string; value: Record<string, unknown> }[] {
  const base = (marker: string, identities: unknown[], extra: Record<string, unknown> = {}) => ({
    type: 'InteractionReceived',
    data: {
      direction: 'inbound',
      kind: 'message',
      identities,
      content: { text: `fuzz sample ${marker}`, media: [] },
      provider: { messageId: `msg-${sha(marker)}` },
      ...extra,
    },
    metadata: { occurredAt: '2025-03-01T11:59:58.000Z', channel: 'sms' },
  });
  return [
    { name: 'sms-phone', value: base('sms', [{ kind: 'phone', value: '+14155550100' }]) },
    {
      name: 'email-and-external',
      value: base('email', [
        { kind: 'email', value: 'Ada@Example.com' },
        { kind: 'external', namespace: 'crm', value: 'c-42' },
      ]),
    },
    {
      name: 'client-event-id',
      value: {
        ...base('client', [{ kind: 'phone', value: '+442071838750' }]),
        metadata: { occurredAt: '2025-03-01T12:00:00.000Z', channel: 'webchat', eventId: '2f1c4a52-7d0e-4c1b-9a59-0f8e2b6c1d33' },
      },
    },
  ];
}

function apiTargets(): FuzzTarget[] {
  const headers = (contentType: string) => ({ 'content-type': contentType, authorization: `Bearer ${FUZZ_API_KEY}` });
  const samples = apiSampleEvents();
  const single: FuzzTarget = {
    name: 'api/single',
    app: 'api',
    bases: samples,
    build(base, mutations) {
      const raw = applyRaw(Buffer.from(serializeJson(applyStructural(base, mutations)), 'utf8'), mutations);
      return { path: '/v1/events', headers: headers('application/json'), body: raw };
    },
  };
  const batch: FuzzTarget = {
    name: 'api/batch',
    app: 'api',
    bases: [{ name: 'three-events', value: samples.map((s) => s.value) }],
    build(base, mutations) {
      const mutated = applyStructural(base, mutations);
      const lines = Array.isArray(mutated) ? mutated.map(serializeJson) : [serializeJson(mutated)];
      const raw = applyRaw(Buffer.from(lines.join('\n'), 'utf8'), mutations);
      return { path: '/v1/events/batch', headers: headers('application/x-ndjson'), body: raw };
    },
  };
  return [single, batch];
}

/** Every target, for the channels asked (all by default) and the generic API (`'api'`). */
export function fuzzTargets(apps?: readonly FuzzAppId[]): FuzzTarget[] {
  const wanted = (a: FuzzAppId) => !apps || apps.includes(a);
  const targets: FuzzTarget[] = [];
  for (const [channel, setups] of Object.entries(CHANNEL_TEST_SETUPS) as [IngestChannelId, readonly ChannelTestSetup<object>[]][]) {
    if (!wanted(channel)) continue;
    for (const setup of setups) {
      const provider = setup.definition.manifest.provider;
      if (provider === 'twilio') targets.push(twilioFormTarget(channel, setup));
      else if (provider === 'mime') targets.push(mimeTarget(setup));
      else if (provider === 'sendgrid') targets.push(sendgridTarget(setup));
      else targets.push(jsonTarget(channel, setup));
    }
  }
  if (wanted('api')) targets.push(...apiTargets());
  return targets;
}
