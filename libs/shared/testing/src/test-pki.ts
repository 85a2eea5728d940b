import { execFileSync } from 'node:child_process';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** PEM files a test made with `openssl`: a CA, a server certificate it signed, client certificates it signed. */
export interface TestPki {
  dir: string;
  /** The test CA's certificate. */
  caFile: string;
  /** Another CA, which signed nothing here: trusting only it must refuse the server. */
  otherCaFile: string;
  /** Server certificate for `localhost` and `127.0.0.1` (serverAuth and clientAuth, so a broker may present it to itself). */
  serverCertFile: string;
  serverKeyFile: string;
  /** Server key and certificate chain in one file (Kafka's PEM key store). */
  serverKeyStoreFile: string;
  /** A client certificate for `CN=<clientName>` and its key. */
  clientCertFile: string;
  clientKeyFile: string;
}

const openssl = (dir: string, args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });

function newCa(dir: string, name: string, cn: string): void {
  openssl(dir, [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.pem`, '-days', '2',
    '-subj', `/CN=${cn}`, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  ]); // prettier-ignore
}

function signed(dir: string, name: string, cn: string, extensions: string): void {
  writeFileSync(join(dir, `${name}.ext`), extensions);
  openssl(dir, ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`]);
  openssl(dir, [
    'x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-set_serial', String(Date.now()),
    '-days', '2', '-extfile', `${name}.ext`, '-out', `${name}.pem`,
  ]); // prettier-ignore
  chmodSync(join(dir, `${name}.key`), 0o600);
}

/**
 * Makes a throwaway PKI in `dir` (RSA 2048, valid two days; keys unencrypted PKCS#8, mode 600).
 * `clientName` is the client certificate's CN: PostgreSQL's `cert` authentication takes it as the user name.
 */
export function makeTestPki(dir: string, clientName = 'hub'): TestPki {
  newCa(dir, 'ca', 'hub test CA');
  newCa(dir, 'other-ca', 'hub unrelated CA');
  signed(dir, 'server', 'localhost', 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n');
  signed(dir, 'client', clientName, 'extendedKeyUsage=clientAuth\n');
  const file = (name: string) => join(dir, name);
  const keyStore = file('server-keystore.pem');
  writeFileSync(keyStore, ['server.key', 'server.pem', 'ca.pem'].map((name) => readFileSync(file(name), 'utf8')).join(''), { mode: 0o600 });
  return {
    dir,
    caFile: file('ca.pem'),
    otherCaFile: file('other-ca.pem'),
    serverCertFile: file('server.pem'),
    serverKeyFile: file('server.key'),
    serverKeyStoreFile: keyStore,
    clientCertFile: file('client.pem'),
    clientKeyFile: file('client.key'),
  };
}
