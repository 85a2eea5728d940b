import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  InteractionReceivedDto,
  isIngestChannelId,
  OCCURRED_AT_SOURCES,
  validateAs,
  type FieldError,
  type InteractionReceived,
} from '@hub/contracts';
import {
  ChannelMappingError,
  type ChannelAdapter,
  type MapContext,
  type VerifyContext,
  type VerifyResult,
  type WebhookRequest,
} from '../channel-adapter';
import type { ChannelDefinition } from '../channel-definition';
import { parseJsonBody } from '../json-body';

/**
 * The one suite every channel adapter runs (STYLE.md #13), over the provider payloads recorded in
 * the channel's `__fixtures__/`:
 *
 *   __fixtures__/valid/*.json       { description, payload, config?, expected: { events: [...] } }
 *   __fixtures__/malformed/*.json   { description, payload, config?, expected: { fields: ['MessageSid'] } }
 *   __fixtures__/unmappable/*.json  { description, payload, config?, expected: { field?: 'From', message?: 'substring' } }
 *
 * - `payload` is the provider's body as the ingestion app parses it (form fields or JSON).
 * - `config` (optional) is merged over the suite's config for that fixture only (e.g. a default region).
 * - `expected.events` are the canonical events, exactly, as JSON, mapped with `CONFORMANCE_CONTEXT`.
 * - `expected.fields` are exactly the fields the validation error must name (dotted paths).
 *
 * Every request goes through `runChannelPipeline`, the order the ingestion service uses:
 * verify → parse → map. Signatures are checked with requests built by the channel's `sign`.
 */

/** The tenant and receive time every fixture is mapped with: write `expected.events` against these. */
export const CONFORMANCE_CONTEXT: Readonly<MapContext> = Object.freeze({
  tenantId: 'tenant-conformance',
  receivedAt: '2025-01-15T09:30:00.000Z',
});

/** A secret no channel is configured with: what the kit signs forged requests with. */
export const CONFORMANCE_FORGED_SECRET = 'conformance-kit-forged-secret';

export interface SignOptions {
  /** Sign with this secret instead of the configured one. The kit passes `CONFORMANCE_FORGED_SECRET` to forge. */
  secret?: string;
  /** Only for providers whose signature covers a timestamp: sign as of this many seconds ago (default 0). */
  ageSeconds?: number;
}

/** Builds the request the provider would send for `payload`, correctly signed for the suite's config. */
export type SignWebhook = (payload: Record<string, unknown>, options: SignOptions) => WebhookRequest;

export interface ChannelConformanceOptions<Config extends object> {
  definition: ChannelDefinition<Config>;
  /** A valid config for the channel; its secret is the one `sign` signs with by default. */
  config: Config;
  /** Absolute path of the channel's `__fixtures__` directory. */
  fixturesDir: string;
  sign: SignWebhook;
  /**
   * For providers that sign a timestamp (Slack, Stripe, Meta…): how old a signature may be. Omit it
   * for providers whose signature carries no time (Twilio): the kit then checks instead that the
   * verdict does not depend on the clock.
   */
  replayWindowSeconds?: number;
  /**
   * `false` for providers that authenticate with a static shared token rather than a signature over
   * the body (Telegram's secret-token header): a body changed in transit cannot be detected, so the
   * kit checks instead that the token is compared whole (a near miss is refused). Default `true`.
   */
  signsBody?: boolean;
}

export type PipelineOutcome =
  | { kind: 'accepted'; events: InteractionReceived[] }
  | { kind: 'unauthorized'; reason: Extract<VerifyResult, { ok: false }>['reason']; detail?: string }
  | { kind: 'invalid'; errors: FieldError[] }
  | { kind: 'unmappable'; error: ChannelMappingError };

/** What the ingestion service does with a request, without the publishing: verify → parse → map. */
export async function runChannelPipeline(
  adapter: ChannelAdapter,
  request: WebhookRequest,
  context: MapContext = CONFORMANCE_CONTEXT,
  verifyContext: VerifyContext = { nowMs: Date.now() },
): Promise<PipelineOutcome> {
  const verified = adapter.verify(request, verifyContext);
  if (!verified.ok) return { kind: 'unauthorized', reason: verified.reason, ...(verified.detail ? { detail: verified.detail } : {}) };
  const parsed = await adapter.parse(request.body, request.headers);
  if (!parsed.ok) return { kind: 'invalid', errors: parsed.errors };
  try {
    return { kind: 'accepted', events: adapter.map(parsed.value, context) };
  } catch (err) {
    if (err instanceof ChannelMappingError) return { kind: 'unmappable', error: err };
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------------

/**
 * A JSON body as the ingestion app hands it to `parse` (`parseJsonBody`: integers too large for a
 * double keep their digits): what every `sign` helper sets as `body` beside the raw bytes.
 */
export function jsonBodyAsIngested(raw: Buffer | string): unknown {
  const parsed = parseJsonBody(raw);
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.value;
}

type JsonObject = Record<string, unknown>;

interface FixtureBase {
  file: string;
  description: string;
  payload: JsonObject;
  config: JsonObject;
}
export interface ValidFixture extends FixtureBase {
  expected: { events: unknown[] };
}
export interface MalformedFixture extends FixtureBase {
  expected: { fields: string[] };
}
export interface UnmappableFixture extends FixtureBase {
  expected: { field?: string; message?: string };
}
export interface ConformanceFixtures {
  valid: ValidFixture[];
  malformed: MalformedFixture[];
  unmappable: UnmappableFixture[];
}

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStringArray = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');

function readFixtureFiles(dir: string): { file: string; json: JsonObject }[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => {
      const file = join(dir, f);
      // Read as the ingestion app reads a body: an id too large for a double keeps its digits.
      const json: unknown = jsonBodyAsIngested(readFileSync(file, 'utf8'));
      if (!isObject(json) || typeof json['description'] !== 'string' || !isObject(json['payload']) || !isObject(json['expected'])) {
        throw new Error(`${file}: a fixture is { "description": string, "payload": object, "expected": object, "config"?: object }`);
      }
      if (json['config'] !== undefined && !isObject(json['config'])) throw new Error(`${file}: "config" must be an object`);
      return { file, json };
    });
}

/** Reads and checks the shape of every fixture of a channel; a mistake in a fixture fails loudly. */
export function loadConformanceFixtures(fixturesDir: string): ConformanceFixtures {
  const base = ({ file, json }: { file: string; json: JsonObject }): FixtureBase => ({
    file: file.slice(fixturesDir.length + 1),
    description: json['description'] as string,
    payload: json['payload'] as JsonObject,
    config: (json['config'] as JsonObject | undefined) ?? {},
  });
  return {
    valid: readFixtureFiles(join(fixturesDir, 'valid')).map((f) => {
      const events = (f.json['expected'] as JsonObject)['events'];
      if (!Array.isArray(events) || events.length === 0)
        throw new Error(`${f.file}: a valid fixture needs "expected": { "events": [ ...at least one... ] }`);
      return { ...base(f), expected: { events } };
    }),
    malformed: readFixtureFiles(join(fixturesDir, 'malformed')).map((f) => {
      const fields = (f.json['expected'] as JsonObject)['fields'];
      if (!isStringArray(fields) || fields.length === 0)
        throw new Error(`${f.file}: a malformed fixture needs "expected": { "fields": [ ...field paths... ] }`);
      return { ...base(f), expected: { fields } };
    }),
    unmappable: readFixtureFiles(join(fixturesDir, 'unmappable')).map((f) => {
      const e = f.json['expected'] as JsonObject;
      if (
        (e['field'] !== undefined && typeof e['field'] !== 'string') ||
        (e['message'] !== undefined && typeof e['message'] !== 'string')
      ) {
        throw new Error(`${f.file}: an unmappable fixture has "expected": { "field"?: string, "message"?: string }`);
      }
      return {
        ...base(f),
        expected: {
          ...(typeof e['field'] === 'string' ? { field: e['field'] } : {}),
          ...(typeof e['message'] === 'string' ? { message: e['message'] } : {}),
        },
      };
    }),
  };
}

// ---------------------------------------------------------------------------------------------
// Tampering, generically: the kit knows nothing of a provider's payload or signature headers.
// ---------------------------------------------------------------------------------------------

/** The payload with its longest string value changed (usually the message text): what an attacker edits. */
export function tamperWith(payload: JsonObject): JsonObject {
  const copy = structuredClone(payload);
  let best: { holder: JsonObject | unknown[]; key: string | number; length: number } | undefined;
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach((v, i) => visit(node, i, v));
    else if (isObject(node)) for (const [k, v] of Object.entries(node)) visit(node, k, v);
  };
  const visit = (holder: JsonObject | unknown[], key: string | number, value: unknown): void => {
    if (typeof value === 'string') {
      if (!best || value.length > best.length) best = { holder, key, length: value.length };
    } else walk(value);
  };
  walk(copy);
  if (!best) return { ...copy, tampered: 'yes' };
  const { holder, key } = best;
  if (Array.isArray(holder)) holder[key as number] = `${String(holder[key as number])} [tampered]`;
  else holder[key as string] = `${String(holder[key as string])} [tampered]`;
  return copy;
}

/** The headers that carry the signature: those that change when only the secret changes. */
function signatureHeaderNames(sign: SignWebhook, payload: JsonObject): string[] {
  const genuine = sign(payload, {}).headers;
  const forged = sign(payload, { secret: CONFORMANCE_FORGED_SECRET }).headers;
  const names = [...new Set([...Object.keys(genuine), ...Object.keys(forged)])].filter((h) => genuine[h] !== forged[h]);
  if (names.length === 0) throw new Error('sign() gave the same headers for two different secrets: it must honour options.secret');
  return names;
}

const json = (v: unknown): unknown => JSON.parse(JSON.stringify(v));
const fieldNames = (errors: readonly FieldError[]): string[] => [...new Set(errors.map((e) => e.field))].sort();
const describeOutcome = (o: PipelineOutcome): string =>
  o.kind === 'accepted'
    ? `accepted (${o.events.length} events)`
    : o.kind === 'invalid'
      ? `invalid: ${JSON.stringify(o.errors)}`
      : o.kind === 'unmappable'
        ? `unmappable: ${o.error.message}`
        : `unauthorized: ${o.reason}${o.detail ? ` (${o.detail})` : ''}`;

function expectOutcome<K extends PipelineOutcome['kind']>(outcome: PipelineOutcome, kind: K): Extract<PipelineOutcome, { kind: K }> {
  if (outcome.kind !== kind) throw new Error(`expected the pipeline to answer "${kind}", it answered ${describeOutcome(outcome)}`);
  return outcome as Extract<PipelineOutcome, { kind: K }>;
}

// ---------------------------------------------------------------------------------------------
// The suite
// ---------------------------------------------------------------------------------------------

export function channelConformanceKit<Config extends object>(options: ChannelConformanceOptions<Config>): void {
  const { definition, config, fixturesDir, sign, replayWindowSeconds, signsBody = true } = options;
  const { manifest } = definition;
  const fixtures = loadConformanceFixtures(fixturesDir);
  const adapterFor = (overrides: JsonObject): ChannelAdapter => definition.create({ ...config, ...overrides } as Config);
  const unauthorized = async (adapter: ChannelAdapter, request: WebhookRequest) =>
    expectOutcome(await runChannelPipeline(adapter, request), 'unauthorized');
  const now = () => ({ nowMs: Date.now() });

  /** Forged, tampered, missing and stale signatures: asked of every recorded payload, valid or not. */
  function signatureTests(fixture: FixtureBase): void {
    it('then a signature made with another secret is refused as signature_invalid', async () => {
      const forged = sign(fixture.payload, { secret: CONFORMANCE_FORGED_SECRET });
      expect((await unauthorized(adapterFor(fixture.config), forged)).reason).toBe('signature_invalid');
    });

    if (!signsBody) {
      // A static token signs no body, so a changed body cannot be detected; what can be checked is
      // that the token is compared whole: one that differs only in its last character is refused.
      it(`then a token that differs in its last character is refused as signature_invalid (${manifest.provider} signs no body: the token is all there is)`, async () => {
        const signed = sign(fixture.payload, {});
        const names = new Set(signatureHeaderNames(sign, fixture.payload));
        const flip = (v: string): string => `${v.slice(0, -1)}${v.endsWith('x') ? 'y' : 'x'}`;
        const headers = Object.fromEntries(
          Object.entries(signed.headers).map(([k, v]) => [k, names.has(k) && typeof v === 'string' ? flip(v) : v]),
        );
        expect((await unauthorized(adapterFor(fixture.config), { ...signed, headers })).reason).toBe('signature_invalid');
      });
    } else {
      it('then the payload changed after signing is refused as signature_invalid', async () => {
        const tamperedPayload = tamperWith(fixture.payload);
        expect(tamperedPayload).not.toEqual(fixture.payload);
        const tampered: WebhookRequest = { ...sign(tamperedPayload, {}), headers: sign(fixture.payload, {}).headers };
        expect((await unauthorized(adapterFor(fixture.config), tampered)).reason).toBe('signature_invalid');
      });
    }

    it('then the request without its signature is refused as signature_missing', async () => {
      const signed = sign(fixture.payload, {});
      const dropped = new Set(signatureHeaderNames(sign, fixture.payload));
      const headers = Object.fromEntries(Object.entries(signed.headers).filter(([name]) => !dropped.has(name)));
      expect((await unauthorized(adapterFor(fixture.config), { ...signed, headers })).reason).toBe('signature_missing');
    });

    if (replayWindowSeconds === undefined) {
      // No signed timestamp, so no replay window: the verdict must not depend on the clock (a
      // redelivery hours later is the same request, and maps to the same event ids).
      it(`then the verdict does not depend on the clock (${manifest.provider} signs no timestamp): the request verifies a day later too`, () => {
        const signed = sign(fixture.payload, {});
        const adapter = adapterFor(fixture.config);
        expect(adapter.verify(signed, now())).toEqual({ ok: true });
        expect(adapter.verify(signed, { nowMs: Date.now() + 86_400_000 })).toEqual({ ok: true });
      });
    } else {
      it('then a signature older than the replay window is refused as signature_stale', async () => {
        const stale = sign(fixture.payload, { ageSeconds: replayWindowSeconds + 60 });
        expect((await unauthorized(adapterFor(fixture.config), stale)).reason).toBe('signature_stale');
      });

      it('then a signature inside the replay window is accepted', () => {
        expect(
          adapterFor(fixture.config).verify(sign(fixture.payload, { ageSeconds: Math.floor(replayWindowSeconds / 2) }), now()),
        ).toEqual({ ok: true });
      });
    }
  }

  describe(`${manifest.displayName}: channel conformance`, () => {
    describe('given the channel definition', () => {
      it('then the suite config is valid by the channel’s own config schema', () => {
        expect(validateAs(definition.configSchema, config)).toMatchObject({ ok: true });
      });

      it('then the adapter it creates carries the definition’s manifest', () => {
        expect(definition.create(config).manifest).toEqual(manifest);
      });

      it('then the manifest names a known channel, its provider docs and its webhook route', () => {
        expect(isIngestChannelId(manifest.id)).toBe(true);
        expect(manifest.docsUrl).toMatch(/^https:\/\//);
        expect(manifest.route.path).toMatch(/^\//);
        expect(manifest.maxBodyBytes).toBeGreaterThan(0);
      });

      it('then there are recorded payloads: at least one valid and one malformed', () => {
        expect(fixtures.valid.length).toBeGreaterThan(0);
        expect(fixtures.malformed.length).toBeGreaterThan(0);
      });
    });

    for (const fixture of fixtures.valid) {
      describe(`given the valid payload ${fixture.file} (${fixture.description})`, () => {
        const adapter = () => adapterFor(fixture.config);
        const accepted = async () => expectOutcome(await runChannelPipeline(adapter(), sign(fixture.payload, {})), 'accepted').events;

        it('then its config overrides are valid by the channel’s config schema', () => {
          expect(validateAs(definition.configSchema, { ...config, ...fixture.config })).toMatchObject({ ok: true });
        });

        it('then the correctly signed request verifies', () => {
          expect(adapter().verify(sign(fixture.payload, {}), now())).toEqual({ ok: true });
        });

        it('then the signed request fits in the manifest’s maxBodyBytes', () => {
          expect(sign(fixture.payload, {}).rawBody.length).toBeLessThanOrEqual(manifest.maxBodyBytes);
        });

        it('then it maps to exactly the expected canonical events', async () => {
          expect(json(await accepted())).toStrictEqual(fixture.expected.events);
        });

        it('then every event passes the canonical contract, as JSON off the bus', async () => {
          for (const event of await accepted()) {
            const result = validateAs(InteractionReceivedDto, json(event));
            expect(result.ok ? [] : result.errors).toEqual([]);
          }
        });

        it('then every event is stamped with this channel and the tenant and time it was received with', async () => {
          for (const event of await accepted()) {
            expect(event.metadata).toMatchObject({
              channel: manifest.id,
              tenantId: CONFORMANCE_CONTEXT.tenantId,
              recordedAt: CONFORMANCE_CONTEXT.receivedAt,
            });
          }
        });

        it('then every event says where its occurredAt came from: the provider, or (the receive time) received', async () => {
          for (const event of await accepted()) {
            expect(OCCURRED_AT_SOURCES).toContain(event.metadata.occurredAtSource);
            if (event.metadata.occurredAtSource === 'received') expect(event.metadata.occurredAt).toBe(CONFORMANCE_CONTEXT.receivedAt);
          }
        });

        it('then the same payload always gives the same event ids, even redelivered later', async () => {
          const first = (await accepted()).map((e) => e.metadata.eventId);
          const redelivery = expectOutcome(
            await runChannelPipeline(adapter(), sign(structuredClone(fixture.payload), {}), {
              ...CONFORMANCE_CONTEXT,
              receivedAt: '2025-01-16T18:45:00.000Z',
            }),
            'accepted',
          ).events.map((e) => e.metadata.eventId);
          expect(redelivery).toEqual(first);
        });

        it('then mapping does not change the payload it was given', async () => {
          const signed = sign(fixture.payload, {});
          const parsed = await adapter().parse(signed.body, signed.headers);
          if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
          const before = json(parsed.value);
          adapter().map(parsed.value, CONFORMANCE_CONTEXT);
          expect(json(parsed.value)).toEqual(before);
        });

        signatureTests(fixture);
      });
    }

    if (fixtures.valid.length > 1) {
      describe('given all the valid payloads', () => {
        it('then different provider messages never share an event id', async () => {
          const ids: string[] = [];
          for (const f of fixtures.valid) {
            ids.push(
              ...expectOutcome(await runChannelPipeline(adapterFor(f.config), sign(f.payload, {})), 'accepted').events.map(
                (e) => e.metadata.eventId,
              ),
            );
          }
          expect(new Set(ids).size).toBe(ids.length);
        });
      });
    }

    for (const fixture of fixtures.malformed) {
      describe(`given the malformed payload ${fixture.file} (${fixture.description})`, () => {
        const adapter = () => adapterFor(fixture.config);

        it(`then it is refused with a validation error naming exactly ${fixture.expected.fields.join(', ')}`, async () => {
          const outcome = expectOutcome(await runChannelPipeline(adapter(), sign(fixture.payload, {})), 'invalid');
          expect(fieldNames(outcome.errors)).toEqual([...fixture.expected.fields].sort());
          for (const error of outcome.errors) expect(error.messages.length).toBeGreaterThan(0);
        });

        it('then no event comes out, not even a partial one', async () => {
          const signed = sign(fixture.payload, {});
          const parsed = await adapter().parse(signed.body, signed.headers);
          expect(parsed.ok).toBe(false);
          expect(parsed).not.toHaveProperty('value');
        });

        signatureTests(fixture);
      });
    }

    for (const fixture of fixtures.unmappable) {
      describe(`given the valid but unmappable payload ${fixture.file} (${fixture.description})`, () => {
        const adapter = () => adapterFor(fixture.config);

        it('then it verifies and validates, so it can be dead-lettered rather than refused', async () => {
          const request = sign(fixture.payload, {});
          expect(adapter().verify(request, now())).toEqual({ ok: true });
          expect(await adapter().parse(request.body, request.headers)).toMatchObject({ ok: true });
        });

        it(`then mapping throws a ChannelMappingError${fixture.expected.field ? ` naming ${fixture.expected.field}` : ''}, with no event`, async () => {
          const { error } = expectOutcome(await runChannelPipeline(adapter(), sign(fixture.payload, {})), 'unmappable');
          expect(error).toBeInstanceOf(ChannelMappingError);
          expect(error.code).toBe('CHANNEL_MAPPING_FAILED');
          if (fixture.expected.field !== undefined) expect(error.field).toBe(fixture.expected.field);
          if (fixture.expected.message !== undefined) expect(error.message).toContain(fixture.expected.message);
        });
      });
    }
  });
}

// ---------------------------------------------------------------------------------------------
// What each channel exports for tests beyond its own: the cross-channel integration test boots the
// real ingestion app with `env`, sends every valid fixture signed by `sign`, and follows it through
// Kafka into the event store.
// ---------------------------------------------------------------------------------------------

/** The public base URL every `sign` builds its request URL on (the integration test sets PUBLIC_BASE_URL to it). */
export const CONFORMANCE_BASE_URL = 'https://hub.example.com';

export interface ChannelTestSetup<Config extends object = object> extends ChannelConformanceOptions<Config> {
  /** Environment variables that make the channel's `configSchema` produce `config` (secrets included). */
  env: Record<string, string>;
  /**
   * For a JSON provider: the headers that sign these exact bytes with the setup's secret, as the
   * provider would (a timestamp it signs taken from `nowMs`). The fuzz campaign mutates a signed body
   * and signs the mutation with it, so the channel is fuzzed as soon as it is registered (the
   * generator scaffolds one). Without it, the campaign needs an entry in `JSON_SIGNERS`
   * (tools/fuzz/fuzz-targets.ts).
   */
  signRaw?: (rawBody: Buffer, context: { nowMs: number }) => Record<string, string>;
}
