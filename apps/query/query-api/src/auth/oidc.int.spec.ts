import { createHash, randomBytes } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { importJWK, SignJWT } from 'jose';
import { ConfigError } from '@hub/config';
import { freshId, testInfra } from '@hub/testing';
import { startQueryApi } from '../main';
import { startLocalOidcProvider, type LocalOidcClient, type LocalOidcProvider } from './testing/local-oidc-provider';

/**
 * OpenID Connect access tokens beside API keys (issue #16, item 8), against a real provider
 * (`oidc-provider`, on loopback, client credentials grant) and real PostgreSQL.
 */
const AUDIENCE = 'https://hub-query-api.test';
const tenant = freshId('oidc');
const otherTenant = freshId('oidc');
const client = (name: string, roles: string[], t: string | string[] = tenant): LocalOidcClient => ({
  clientId: `${name}-${randomBytes(4).toString('hex')}`,
  clientSecret: randomBytes(24).toString('base64url'),
  tenant: t,
  roles,
});
const analyst = client('analyst', ['analyst']);
const supervisor = client('supervisor', ['supervisor', 'unknown-role']);
const privacyOfficer = client('privacy', ['privacy_officer']);
const operator = client('operator', ['operator'], []);
const twoTenants = client('both', ['analyst'], [otherTenant, tenant]);
const auditor = client('auditor', ['auditor']);
const envKey = randomBytes(24).toString('base64url');

let provider: LocalOidcProvider;
let foreign: LocalOidcProvider;
let app: NestFastifyApplication;
let url = '';

beforeAll(async () => {
  [provider, foreign] = await Promise.all([
    startLocalOidcProvider({ audience: AUDIENCE, clients: [analyst, supervisor, privacyOfficer, operator, twoTenants, auditor] }),
    // Another issuer, the same audience and claims: its tokens must not open anything here.
    startLocalOidcProvider({ audience: AUDIENCE, clients: [analyst] }),
  ]);
  ({ app, url } = await startQueryApi({
    DATABASE_URL: testInfra().databaseUrl,
    PORT: '0',
    LOG_LEVEL: 'silent',
    HUB_API_KEYS: `${tenant}:${createHash('sha256').update(envKey).digest('hex')}:read`,
    OIDC_ISSUER_URL: provider.issuer,
    OIDC_AUDIENCE: AUDIENCE,
  }));
});

afterAll(async () => {
  await app?.close();
  await Promise.all([provider?.stop(), foreign?.stop()]);
});

async function call(method: string, path: string, credential: string, body?: unknown) {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${credential}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return {
    status: res.status,
    body: (text ? JSON.parse(text) : {}) as Record<string, unknown>,
    wwwAuthenticate: res.headers.get('www-authenticate'),
  };
}
const readCustomers = (t: string, credential: string) => call('GET', `/tenants/${t}/customers?limit=1`, credential);
/** A write route: a body it refuses (400) says the credential passed the guard. */
const saveQuery = (credential: string) => call('POST', `/tenants/${tenant}/saved-queries`, credential, {});

describe('an OpenID Connect access token', () => {
  describe('when its role grants the scope of the route', () => {
    it('then it reads its tenant, and an API key still reads beside it', async () => {
      expect(await readCustomers(tenant, await provider.token(analyst))).toMatchObject({ status: 200, body: { customers: [] } });
      expect((await readCustomers(tenant, envKey)).status).toBe(200);
    });

    it('then a supervisor writes (the guard lets it through to the body check)', async () => {
      const token = await provider.token(supervisor);
      expect((await saveQuery(token)).status).toBe(400);
      expect((await readCustomers(tenant, token)).status).toBe(200);
    });

    it('then a token naming two tenants opens both', async () => {
      const token = await provider.token(twoTenants);
      expect((await readCustomers(tenant, token)).status).toBe(200);
      expect((await readCustomers(otherTenant, token)).status).toBe(200);
    });

    it('then the operator role opens the operator routes, and no tenant', async () => {
      const token = await provider.token(operator);
      expect((await call('GET', '/replays', token)).status).toBe(200);
      expect(await readCustomers(tenant, token)).toMatchObject({ status: 403, body: { reason: 'tenant_key_required' } });
    });
  });

  describe('when it reads personal data', () => {
    it("then the audit log names the token's subject, and an auditor reads it", async () => {
      expect((await readCustomers(tenant, await provider.token(analyst))).status).toBe(200);
      const actor = `oidc:${analyst.clientId}`;
      const audit = await call(
        'GET',
        `/tenants/${tenant}/audit?actor=${encodeURIComponent(actor)}&action=customers.searched`,
        await provider.token(auditor),
      );
      expect(audit.status).toBe(200);
      const entries = audit.body['entries'] as Record<string, unknown>[];
      expect(entries.length).toBeGreaterThan(0);
      expect(entries.every((e) => e['actor'] === actor && e['tenantId'] === tenant)).toBe(true);
    });
  });

  describe('when its roles lack the scope of the route', () => {
    it('then 403 says which scope, as for a key', async () => {
      const write = await saveQuery(await provider.token(analyst));
      expect(write).toMatchObject({ status: 403, body: { error: 'forbidden', reason: 'write_scope_required', scope: 'write' } });
      expect(write.wwwAuthenticate).toContain('error="insufficient_scope"');
      expect(await readCustomers(tenant, await provider.token(privacyOfficer))).toMatchObject({
        status: 403,
        body: { reason: 'read_scope_required' },
      });
      expect((await call('GET', '/replays', await provider.token(analyst))).status).toBe(403);
    });

    it('then another tenant answers 404, as if it did not exist', async () => {
      expect((await readCustomers(otherTenant, await provider.token(analyst))).status).toBe(404);
    });
  });

  describe('when the token is not one this API takes', () => {
    it('then a token of another issuer is 401', async () => {
      const answer = await readCustomers(tenant, await foreign.token(analyst));
      expect(answer).toMatchObject({ status: 401, body: { error: 'unauthorized', reason: 'token_invalid' } });
      expect(answer.wwwAuthenticate).toContain('error="invalid_token"');
    });

    it('then a token for another audience is 401', async () => {
      const token = await provider.token(analyst, 'https://another-api.test');
      expect(await readCustomers(tenant, token)).toMatchObject({ status: 401, body: { reason: 'token_invalid' } });
    });

    it("then an expired token, signed with the issuer's own key, is 401", async () => {
      const key = await importJWK(provider.signingJwk, 'RS256');
      const now = Math.floor(Date.now() / 1000);
      const expired = await new SignJWT({ hub_tenant: tenant, hub_roles: ['analyst'] })
        .setProtectedHeader({ alg: 'RS256', kid: provider.signingJwk.kid, typ: 'at+jwt' })
        .setIssuer(provider.issuer)
        .setAudience(AUDIENCE)
        .setSubject(analyst.clientId)
        .setIssuedAt(now - 7_200)
        .setExpirationTime(now - 3_600)
        .sign(key);
      expect(await readCustomers(tenant, expired)).toMatchObject({ status: 401, body: { reason: 'token_expired' } });
    });

    it('then a token whose payload was changed is 401', async () => {
      const [header, , signature] = (await provider.token(analyst)).split('.');
      const payload = Buffer.from(
        JSON.stringify({ sub: 'x', hub_tenant: tenant, hub_roles: ['operator'], iss: provider.issuer, aud: AUDIENCE }),
      );
      expect((await readCustomers(tenant, `${header}.${payload.toString('base64url')}.${signature}`)).status).toBe(401);
    });
  });
});

describe('the OpenID Connect settings', () => {
  const base = { DATABASE_URL: testInfra().databaseUrl, PORT: '0', LOG_LEVEL: 'silent' };

  describe('when they are incomplete or unsafe', () => {
    it.each([
      [{ OIDC_ISSUER_URL: 'https://login.example.com' }, /OIDC_AUDIENCE must name the audience/],
      [{ OIDC_ISSUER_URL: 'http://login.example.com', OIDC_AUDIENCE: AUDIENCE }, /OIDC_ISSUER_URL must be https/],
      [{ OIDC_ISSUER_URL: 'login.example.com', OIDC_AUDIENCE: AUDIENCE }, /OIDC_ISSUER_URL must be an absolute URL/],
      [
        { OIDC_ISSUER_URL: 'https://login.example.com', OIDC_AUDIENCE: AUDIENCE, OIDC_ROLE_SCOPES: 'analyst=read,analyst=write' },
        /role analyst is listed twice/,
      ],
      [
        { OIDC_ISSUER_URL: 'https://login.example.com', OIDC_AUDIENCE: AUDIENCE, OIDC_ROLE_SCOPES: 'analyst=admin' },
        /each OIDC_ROLE_SCOPES entry must be/,
      ],
      [{}, /HUB_API_KEYS must list at least one .* or OIDC_ISSUER_URL an identity provider/],
    ])('then the app does not start: %j', async (overrides, message) => {
      const failure = await startQueryApi({ ...base, ...overrides }).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(failure).toBeInstanceOf(ConfigError);
      expect(String((failure as Error).message)).toMatch(message);
    });
  });

  describe('when the identity provider cannot be reached', () => {
    it('then a token is answered 503, never guessed, and keys still read', async () => {
      const away = await startQueryApi({
        ...base,
        HUB_API_KEYS: `${tenant}:${createHash('sha256').update(envKey).digest('hex')}:read`,
        // Port 9 (discard) on loopback: nothing listens there.
        OIDC_ISSUER_URL: 'http://127.0.0.1:9',
        OIDC_AUDIENCE: AUDIENCE,
      });
      try {
        const read = (credential: string) =>
          fetch(`${away.url}/tenants/${tenant}/customers?limit=1`, { headers: { authorization: `Bearer ${credential}` } });
        expect((await read(await provider.token(analyst))).status).toBe(503);
        expect((await read(envKey)).status).toBe(200);
      } finally {
        await away.app.close();
      }
    });
  });

  describe('when an identity provider is the only way in', () => {
    it('then the app starts without any key, and its tokens read', async () => {
      const only = await startQueryApi({ ...base, OIDC_ISSUER_URL: provider.issuer, OIDC_AUDIENCE: AUDIENCE });
      try {
        const res = await fetch(`${only.url}/tenants/${tenant}/customers?limit=1`, {
          headers: { authorization: `Bearer ${await provider.token(analyst)}` },
        });
        expect(res.status).toBe(200);
      } finally {
        await only.app.close();
      }
    });
  });
});
