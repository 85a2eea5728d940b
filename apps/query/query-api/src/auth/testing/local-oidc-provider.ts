import { spawn, type ChildProcess } from 'node:child_process';
import { createPrivateKey, generateKeyPairSync, randomBytes, type JsonWebKey } from 'node:crypto';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export interface LocalOidcClient {
  clientId: string;
  clientSecret: string;
  /** The tenant claim of its tokens (`hub_tenant`): one tenant or several. */
  tenant: string | string[];
  /** The roles claim of its tokens (`hub_roles`). */
  roles: string[];
}

export interface LocalOidcProvider {
  issuer: string;
  /** The provider's private signing key (a spec signs with it what the provider would not issue: an expired token). */
  signingJwk: JsonWebKey & { kid: string };
  /** An access token (a JWT) by the client credentials grant; `resource` asks for another audience than the default. */
  token(client: Pick<LocalOidcClient, 'clientId' | 'clientSecret'>, resource?: string): Promise<string>;
  stop(): Promise<void>;
}

/**
 * A real OpenID Connect provider (`oidc-provider`) on loopback, in a process of its own
 * (oidc-provider.process.mjs), with a fresh RSA signing key and the clients given.
 */
export async function startLocalOidcProvider(options: { audience: string; clients: LocalOidcClient[] }): Promise<LocalOidcProvider> {
  // Generated as PEM and read back: Node 20's JWK export of a key object `generateKeyPairSync` returned can
  // deadlock when a garbage collection during the export frees the key-generation job, whose destructor
  // takes the lock the export holds (seen once: a Jest worker stuck for good in ExportJWK → ~KeyGenJob). A
  // key read from PEM shares nothing with that job.
  const { privateKey: pem } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  const jwk = createPrivateKey(pem).export({ format: 'jwk' });
  const signingJwk = { ...jwk, kid: randomBytes(6).toString('hex'), alg: 'RS256', use: 'sig' };
  const child = spawn(process.execPath, ['--no-warnings', join(__dirname, 'oidc-provider.process.mjs')], {
    env: { ...process.env, HUB_OIDC_FIXTURE: JSON.stringify({ jwk: signingJwk, audience: options.audience, clients: options.clients }) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const issuer = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.once('line', (line) => resolve((JSON.parse(line) as { issuer: string }).issuer));
    child.once('exit', (code) => reject(new Error(`the local OIDC provider exited (${code}): ${stderr}`)));
  });
  return {
    issuer,
    signingJwk,
    async token(client, resource) {
      const res = await fetch(`${issuer}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: client.clientId,
          client_secret: client.clientSecret,
          ...(resource !== undefined ? { resource } : {}),
        }),
      });
      const body = (await res.json()) as { access_token?: string };
      if (!res.ok || body.access_token === undefined) throw new Error(`the local OIDC provider refused a token: ${JSON.stringify(body)}`);
      return body.access_token;
    },
    stop: () => stop(child),
  };
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}
