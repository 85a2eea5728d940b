// A real OpenID Connect provider (the `oidc-provider` package) on loopback, for the query API's
// OIDC specs: a process of its own (the package is an ES module, which Jest's CommonJS runtime does
// not load), started by startLocalOidcProvider() (local-oidc-provider.ts). It issues JWT access
// tokens by the client credentials grant, with the client's tenant and roles as custom claims.
//
// HUB_OIDC_FIXTURE (JSON): { jwk: the private signing JWK (with kid), audience: the default
// resource, clients: [{ clientId, clientSecret, tenant, roles }] }. Prints {"issuer": "..."} when listening.
import { createServer } from 'node:http';
import { Provider } from 'oidc-provider';

const fixture = JSON.parse(process.env.HUB_OIDC_FIXTURE ?? '{}');
const clients = new Map(fixture.clients.map((c) => [c.clientId, c]));

const server = createServer();
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

const provider = new Provider(issuer, {
  clients: fixture.clients.map((c) => ({
    client_id: c.clientId,
    client_secret: c.clientSecret,
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    token_endpoint_auth_method: 'client_secret_post',
  })),
  jwks: { keys: [fixture.jwk] },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => fixture.audience,
      useGrantedResource: () => true,
      // Any resource asked for is this token's audience (a spec asks for another to get a token not meant for the API).
      getResourceServerInfo: (_ctx, resource) => ({
        scope: 'api',
        audience: resource,
        accessTokenTTL: 300,
        accessTokenFormat: 'jwt',
        jwt: { sign: { alg: 'RS256' } },
      }),
    },
  },
  extraTokenClaims: (_ctx, token) => {
    const client = clients.get(token.clientId);
    return client ? { hub_tenant: client.tenant, hub_roles: client.roles } : undefined;
  },
});
provider.on('server_error', (_ctx, err) => process.stderr.write(`oidc-provider server_error: ${err.stack ?? err}\n`));
server.on('request', provider.callback());
process.stdout.write(`${JSON.stringify({ issuer })}\n`);
process.on('SIGTERM', () => server.close(() => process.exit(0)));
