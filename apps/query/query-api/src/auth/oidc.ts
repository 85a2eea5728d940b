import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { HubError } from '@hub/contracts';
import { KEY_SCOPES, type KeyScope } from '@hub/platform';

export const OIDC_VERIFIER = Symbol('OIDC_VERIFIER');

/** What a role grants: tenant scopes, or operating the hub (`operator`: the routes an operator key opens). */
export type RoleGrant = KeyScope | 'operator';
const ROLE_GRANTS: readonly RoleGrant[] = [...KEY_SCOPES, 'operator'];

/** One entry of `OIDC_ROLE_SCOPES`: `<role>:<grant>[+<grant>…]`, grants among the scopes and `operator`. */
export const ROLE_SCOPE_ENTRY =
  /^([A-Za-z0-9][A-Za-z0-9._:/-]{0,127})=((?:read|write|erase|audit|operator)(?:\+(?:read|write|erase|audit|operator))*)$/;

export const DEFAULT_ROLE_SCOPES = [
  'analyst=read',
  'supervisor=read+write',
  'privacy_officer=erase+audit',
  'auditor=audit',
  'operator=operator',
];

/** The roles a deployment names, each with what it grants; a role listed twice is refused (which was meant is not ours to guess). */
export function parseRoleScopes(entries: readonly string[]): { roles: Map<string, ReadonlySet<RoleGrant>>; problems: string[] } {
  const roles = new Map<string, ReadonlySet<RoleGrant>>();
  const problems: string[] = [];
  entries.forEach((entry, n) => {
    const m = ROLE_SCOPE_ENTRY.exec(entry);
    if (!m) {
      problems.push(`entry ${n + 1} must be <role>=<grant>[+<grant>…], grants among ${ROLE_GRANTS.join(', ')}`);
      return;
    }
    if (roles.has(m[1]!)) {
      problems.push(`entry ${n + 1}: role ${m[1]!} is listed twice; list it once`);
      return;
    }
    roles.set(m[1]!, new Set(m[2]!.split('+') as RoleGrant[]));
  });
  return { roles, problems };
}

export interface OidcSettings {
  /** The issuer exactly as its tokens' `iss` says it. */
  issuer: string;
  /** The `aud` this API's tokens carry. */
  audience: string;
  /** The claim naming the tenant (a string) or tenants (an array) the token opens; a dotted path reaches into an object. */
  tenantClaim: string;
  /** The claim naming the roles (an array, or a space-separated string); a dotted path reaches into an object (`realm_access.roles`). */
  rolesClaim: string;
  roles: ReadonlyMap<string, ReadonlySet<RoleGrant>>;
  /** The issuer's keys; without it, the `jwks_uri` of its discovery document. */
  jwksUrl?: string;
  clockToleranceSeconds: number;
}

/** Who a valid token names: its subject, the tenants it opens, and what its roles grant there. */
export interface OidcPrincipal {
  subject: string;
  tenants: readonly string[];
  scopes: ReadonlySet<KeyScope>;
  operator: boolean;
  roles: readonly string[];
}

export type OidcVerification =
  | { ok: true; principal: OidcPrincipal }
  | { ok: false; reason: 'token_invalid' | 'token_expired'; detail: string };

/** The issuer's keys cannot be had (discovery or JWKS unreachable, or malformed): retryable, the caller answers 503. */
export class OidcUnavailableError extends HubError {
  readonly code = 'oidc_unavailable';
  readonly retryable = true;
}

/** Asymmetric algorithms only: never `none`, never an HMAC whose secret would have to be shared. */
const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'];

/**
 * OpenID Connect access tokens (JWTs) checked beside API keys: the signature by a key of the
 * issuer's JWKS (found through its discovery document unless configured, fetched again when a token
 * names a key it has not seen: rotation), `iss`, `aud`, `exp` and `nbf` (with the clock tolerance).
 * The tenant and roles claims then say where the token opens and what it may do there.
 */
export class OidcVerifier {
  private keys: Promise<JWTVerifyGetKey> | undefined;

  constructor(
    private readonly settings: OidcSettings,
    private readonly fetchTimeoutMs = 5_000,
  ) {}

  get issuer(): string {
    return this.settings.issuer;
  }

  async verify(token: string): Promise<OidcVerification> {
    const keys = await this.jwks();
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, keys, {
        issuer: this.settings.issuer,
        audience: this.settings.audience,
        algorithms: ALGORITHMS,
        clockTolerance: this.settings.clockToleranceSeconds,
        requiredClaims: ['exp'],
      }));
    } catch (err) {
      if (err instanceof errors.JWTExpired) return { ok: false, reason: 'token_expired', detail: err.message };
      if (err instanceof errors.JWKSTimeout || err instanceof errors.JWKSInvalid || !(err instanceof errors.JOSEError))
        throw new OidcUnavailableError(`the issuer's keys cannot be read: ${String(err)}`);
      return { ok: false, reason: 'token_invalid', detail: `${err.code}: ${err.message}` };
    }
    const subject = typeof payload.sub === 'string' && payload.sub !== '' ? payload.sub : undefined;
    if (subject === undefined) return { ok: false, reason: 'token_invalid', detail: 'the token names no subject (sub)' };
    const tenants = strings(claim(payload, this.settings.tenantClaim), false);
    const roles = strings(claim(payload, this.settings.rolesClaim), true);
    const grants = new Set(roles.flatMap((role) => [...(this.settings.roles.get(role) ?? [])]));
    const scopes = new Set([...grants].filter((g): g is KeyScope => g !== 'operator'));
    return { ok: true, principal: { subject, tenants, scopes, operator: grants.has('operator'), roles } };
  }

  /** The issuer's key set, resolved once (a failed discovery is tried again on the next token). */
  private jwks(): Promise<JWTVerifyGetKey> {
    this.keys ??= this.discoverKeys().catch((err: unknown) => {
      this.keys = undefined;
      throw err instanceof OidcUnavailableError ? err : new OidcUnavailableError(`OpenID discovery failed: ${String(err)}`);
    });
    return this.keys;
  }

  private async discoverKeys(): Promise<JWTVerifyGetKey> {
    let jwksUrl = this.settings.jwksUrl;
    if (jwksUrl === undefined) {
      const discovery = `${this.settings.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
      const res = await fetch(discovery, { signal: AbortSignal.timeout(this.fetchTimeoutMs), headers: { accept: 'application/json' } });
      if (!res.ok) throw new OidcUnavailableError(`${discovery} answered ${res.status}`);
      const document = (await res.json()) as { issuer?: unknown; jwks_uri?: unknown };
      // OpenID Connect Discovery 1.0, 4.3: the document's issuer must be the one asked about.
      if (document.issuer !== this.settings.issuer)
        throw new OidcUnavailableError(`${discovery} names issuer ${String(document.issuer)}, not ${this.settings.issuer}`);
      if (typeof document.jwks_uri !== 'string') throw new OidcUnavailableError(`${discovery} has no jwks_uri`);
      jwksUrl = document.jwks_uri;
    }
    return createRemoteJWKSet(new URL(jwksUrl), { timeoutDuration: this.fetchTimeoutMs });
  }
}

/** A claim by its name, or, when no claim has that name, by its dotted path (`realm_access.roles`). */
function claim(payload: JWTPayload, name: string): unknown {
  if (name in payload) return payload[name];
  let at: unknown = payload;
  for (const part of name.split('.')) {
    if (typeof at !== 'object' || at === null || !(part in at)) return undefined;
    at = (at as Record<string, unknown>)[part];
  }
  return at;
}

/** The strings of a claim: one string, or an array of them (others ignored); a role string may list several, space-separated. */
function strings(value: unknown, spaceSeparated: boolean): string[] {
  if (typeof value === 'string') return spaceSeparated ? value.split(' ').filter(Boolean) : [value];
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string' && v !== '');
  return [];
}
