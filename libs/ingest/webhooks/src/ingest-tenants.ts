import { readFileSync } from 'node:fs';
import { Type } from 'class-transformer';
import { ArrayNotEmpty, IsArray, IsObject, IsOptional, IsString, Length, Matches, ValidateNested } from 'class-validator';
import { deterministicId, TENANT_ID_PATTERN, validateAs, type InteractionReceived } from '@hub/contracts';
import { ConfigError, loadConfig } from '@hub/config';
import type { ChannelAdapter, ChannelDefinition } from '@hub/channels-core';

/**
 * Who an ingestion app ingests for. Single-tenant (the default, `TENANT_ID`): one tenant, the
 * providers' settings from the environment, each provider on its own path (`/webhooks/twilio`).
 * Multi-tenant (`INGEST_TENANTS` or `INGEST_TENANTS_FILE`): each tenant with its own providers'
 * settings (secrets included) and its own path prefix, `/t/<route>/webhooks/twilio`; the request's
 * path selects the tenant, whose secrets alone verify it.
 */
export type IngestTenancy =
  | { mode: 'single'; adapters: readonly ChannelAdapter[] }
  | { mode: 'multi'; tenants: readonly TenantProviders[] };

/** One tenant's webhooks: its id, the prefix of its paths ('' when single-tenant) and one adapter per provider, built from its own settings. */
export interface TenantProviders {
  tenantId: string;
  routePrefix: string;
  adapters: readonly ChannelAdapter[];
}

/** Where a multi-tenant app's webhook paths start: `/t/<route>` + the provider's path. */
export const TENANT_ROUTE_PREFIX = '/t';

/** A tenant's route segment: URL-safe, so an opaque one (a random token) may stand for the tenant id. */
export const TENANT_ROUTE_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;

/** One tenant of `INGEST_TENANTS`. Unknown keys are refused (a misspelt `setings` is an error, not an empty tenant). */
export class IngestTenantEntry {
  @Length(1, 64)
  @Matches(TENANT_ID_PATTERN, { message: 'id must be lower-case letters, digits, - or _' })
  id!: string;

  /** The path segment that selects this tenant (`/t/<route>/…`); defaults to the id. */
  @IsOptional()
  @Matches(TENANT_ROUTE_PATTERN, { message: 'route must be 1 to 128 letters, digits, - or _' })
  route?: string;

  /** The providers (`manifest.provider`) this tenant uses; defaults to every provider the app serves. */
  @IsOptional()
  @IsArray()
  @ArrayNotEmpty()
  @IsString({ each: true })
  providers?: string[];

  /** The tenant's providers' settings, named as their environment variables (`TWILIO_AUTH_TOKEN`, …); string values. */
  @IsObject()
  settings!: Record<string, unknown>;
}

export class IngestTenantsDocument {
  @IsArray()
  @ArrayNotEmpty()
  @ValidateNested({ each: true })
  @Type(() => IngestTenantEntry)
  tenants!: IngestTenantEntry[];
}

/**
 * Read who the app ingests for from `env` and build every tenant's adapters from its own settings.
 * Every problem is collected into one `ConfigError` (none quotes a setting's value: they are secrets).
 * `definitions` are the providers the app serves (after `INGEST_PROVIDERS`).
 */
export function ingestTenancy(app: string, env: NodeJS.ProcessEnv, definitions: readonly ChannelDefinition<object>[]): IngestTenancy {
  const inline = nonEmpty(env['INGEST_TENANTS']);
  const file = nonEmpty(env['INGEST_TENANTS_FILE']);
  if (inline === undefined && file === undefined) {
    // Single-tenant, as before: every provider's settings from the environment.
    const problems: string[] = [];
    const adapters = definitions.flatMap((d) => {
      const config = collect(problems, '', () => loadConfig(app, d.configSchema, env));
      return config ? [d.create(config)] : [];
    });
    if (problems.length > 0) throw new ConfigError(app, problems);
    return { mode: 'single', adapters };
  }
  if (inline !== undefined && file !== undefined) throw new ConfigError(app, ['INGEST_TENANTS and INGEST_TENANTS_FILE: set one, not both']);
  if (nonEmpty(env['TENANT_ID']) !== undefined) {
    throw new ConfigError(app, [
      'TENANT_ID: not with INGEST_TENANTS or INGEST_TENANTS_FILE (each tenant is named there; the request path selects it)',
    ]);
  }
  const source = inline !== undefined ? 'INGEST_TENANTS' : 'INGEST_TENANTS_FILE';
  let text: string;
  try {
    text = inline ?? readFileSync(file!, 'utf8');
  } catch (err) {
    throw new ConfigError(app, [`INGEST_TENANTS_FILE: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`]);
  }
  return { mode: 'multi', tenants: multiTenants(app, source, parseJson(app, source, text), definitions) };
}

function multiTenants(
  app: string,
  source: string,
  document: unknown,
  definitions: readonly ChannelDefinition<object>[],
): TenantProviders[] {
  const validated = validateAs(IngestTenantsDocument, document);
  if (!validated.ok)
    throw new ConfigError(
      app,
      validated.errors.map((e) => `${source}: ${e.field}: ${e.messages.join('; ')}`),
    );
  const entries = validated.value.tenants;
  const problems: string[] = [];
  for (const [what, of] of [
    ['id', (e: IngestTenantEntry) => e.id],
    ['route', (e: IngestTenantEntry) => e.route ?? e.id],
  ] as const) {
    const seen = new Set<string>();
    for (const e of entries) {
      if (seen.has(of(e))) problems.push(`${source}: two tenants have the ${what} ${of(e)}`);
      seen.add(of(e));
    }
  }
  const known = definitions.map((d) => d.manifest.provider);
  const tenants = entries.map((entry) => {
    const where = `${source}: tenant ${entry.id}`;
    const unknown = (entry.providers ?? []).filter((p) => !known.includes(p));
    if (unknown.length > 0) problems.push(`${where}: providers names ${unknown.join(', ')}; this app serves ${known.join(', ')}`);
    const notStrings = Object.entries(entry.settings)
      .filter(([, v]) => typeof v !== 'string')
      .map(([k]) => k);
    if (notStrings.length > 0) problems.push(`${where}: settings ${notStrings.join(', ')} must be strings`);
    const settings = Object.fromEntries(Object.entries(entry.settings).filter((kv): kv is [string, string] => typeof kv[1] === 'string'));
    const adapters = definitions
      .filter((d) => (entry.providers ?? known).includes(d.manifest.provider))
      .flatMap((d) => {
        // Only the tenant's own settings: nothing falls back to the process environment, so one
        // tenant's missing secret is an error rather than another's (or the deployment's) secret.
        const config = collect(problems, `${where}: `, () => loadConfig(app, d.configSchema, settings));
        return config ? [d.create(config)] : [];
      });
    return { tenantId: entry.id, routePrefix: `${TENANT_ROUTE_PREFIX}/${entry.route ?? entry.id}`, adapters };
  });
  if (problems.length > 0) throw new ConfigError(app, problems);
  return tenants;
}

function parseJson(app: string, source: string, text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    // Not the parser's message: it quotes the text, which holds secrets.
    throw new ConfigError(app, [`${source}: is not valid JSON`]);
  }
}

function collect<T>(problems: string[], prefix: string, load: () => T): T | undefined {
  try {
    return load();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    problems.push(...err.problems.map((p) => `${prefix}${p}`));
    return undefined;
  }
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}

/** The id part that scopes a webhook event's id to its tenant in a multi-tenant app. Never change: it changes every such id. */
const TENANT_SCOPE_ID_PART = 'tenant-scoped';

/**
 * The event as a multi-tenant app publishes it: its id derived from (tenant, the adapter's id), so
 * that the same provider message sent to two tenants (two shops of one Shopify partner, a shared
 * Twilio account) is two events, and a provider retry to one tenant is still the same event. A
 * causation or correlation that was the event itself follows it; a correlation of its own (a call,
 * a thread, a chat session) is left as it is, so events of one conversation stay together.
 */
export function tenantScopedEvent(event: InteractionReceived): InteractionReceived {
  const { eventId, correlationId, causationId, tenantId } = event.metadata;
  const scoped = deterministicId(TENANT_SCOPE_ID_PART, tenantId, eventId);
  return {
    ...event,
    metadata: {
      ...event.metadata,
      eventId: scoped,
      correlationId: correlationId === eventId ? scoped : correlationId,
      causationId: causationId === eventId ? scoped : causationId,
    },
  };
}
