import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HubEnv } from './hub.env';
import { loadConfig } from './load-config';
import { kafkaConnection, libpqConnectionString } from './tls.env';

let dir: string;
let ca: string;
let cert: string;
let key: string;
const missing = '/nonexistent/hub-tls/ca.pem';

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'hub-tls-env-'));
  [ca, cert, key] = ['ca.pem', 'client.pem', 'client.key'].map((name) => {
    const path = join(dir, name);
    writeFileSync(path, `-----BEGIN ${name}-----\n`);
    return path;
  }) as [string, string, string];
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const load = (env: NodeJS.ProcessEnv) => loadConfig('test', HubEnv, env);
const query = (url: string) => Object.fromEntries(new URL(url).searchParams);

describe('PostgreSQL TLS settings', () => {
  it('when none is given, DATABASE_URL is used as it is (plain, as before)', () => {
    expect(load({}).DATABASE_URL).toBe('postgres://postgres@127.0.0.1:5432/hub');
    expect(load({ DATABASE_URL: 'postgres://u@db:5432/x' }).DATABASE_URL).toBe('postgres://u@db:5432/x');
  });

  it('when a CA is given, every connection verifies the server in full against it (even with DATABASE_URL unset)', () => {
    expect(query(load({ DATABASE_SSL_CA_FILE: ca }).DATABASE_URL)).toEqual({
      sslrootcert: ca,
      sslmode: 'verify-full',
      uselibpqcompat: 'true',
    });
  });

  it('when a client certificate is given, it goes in with its key', () => {
    const url = load({
      DATABASE_URL: 'postgres://u@db/x',
      DATABASE_SSL_CA_FILE: ca,
      DATABASE_SSL_CERT_FILE: cert,
      DATABASE_SSL_KEY_FILE: key,
    }).DATABASE_URL;
    expect(query(url)).toMatchObject({ sslrootcert: ca, sslcert: cert, sslkey: key, sslmode: 'verify-full' });
  });

  it('when the URL names its sslmode, that mode wins over PGSSLMODE; PGSSLMODE applies when the URL names none', () => {
    expect(
      query(load({ DATABASE_URL: 'postgres://u@db/x?sslmode=verify-ca', PGSSLMODE: 'require', DATABASE_SSL_CA_FILE: ca }).DATABASE_URL),
    ).toMatchObject({
      sslmode: 'verify-ca',
    });
    expect(query(load({ DATABASE_URL: 'postgres://u@db/x', PGSSLMODE: 'require' }).DATABASE_URL)).toEqual({
      sslmode: 'require',
      uselibpqcompat: 'true',
    });
  });

  it('refuses at boot a CA, certificate or key that does not exist, naming the variable', () => {
    expect(() => load({ DATABASE_SSL_CA_FILE: missing })).toThrow(`DATABASE_SSL_CA_FILE: ${missing} does not exist`);
    expect(() => load({ DATABASE_SSL_CA_FILE: dir })).toThrow(`DATABASE_SSL_CA_FILE: ${dir} is not a file`);
    expect(() => load({ DATABASE_URL: `postgres://u@db/x?sslmode=verify-full&sslrootcert=${missing}` })).toThrow(
      `sslrootcert: ${missing} does not exist`,
    );
  });

  it('refuses modes that fall back to plain text, unknown modes, verify-ca without a CA, and a certificate without its key', () => {
    expect(() => load({ DATABASE_URL: 'postgres://u@db/x?sslmode=prefer' })).toThrow(
      /DATABASE_URL.*sslmode=prefer .* is not one of disable, require, verify-ca, verify-full/,
    );
    expect(() => load({ PGSSLMODE: 'allow' })).toThrow(/sslmode=allow/);
    expect(() => load({ PGSSLMODE: 'verify-ca' })).toThrow('sslmode=verify-ca needs the CA: set DATABASE_SSL_CA_FILE');
    expect(() => load({ DATABASE_SSL_CERT_FILE: cert })).toThrow(/set both DATABASE_SSL_CERT_FILE and DATABASE_SSL_KEY_FILE/);
    expect(() => load({ PGSSLMODE: 'disable', DATABASE_SSL_CA_FILE: ca })).toThrow(/sslmode=disable, yet sslrootcert is given/);
  });

  it("hands libpq's tools the same settings without node-postgres's own parameter", () => {
    const url = load({ DATABASE_URL: 'postgres://u@db/x', DATABASE_SSL_CA_FILE: ca }).DATABASE_URL;
    expect(query(libpqConnectionString(url))).toEqual({ sslrootcert: ca, sslmode: 'verify-full' });
    expect(libpqConnectionString('postgres://u@db/x')).toBe('postgres://u@db/x');
  });
});

describe('Kafka TLS and SASL settings', () => {
  it('when none is given, a client has neither', () => {
    expect(kafkaConnection(load({}), 'app')).toEqual({ brokers: ['127.0.0.1:9092'], clientId: 'app' });
  });

  it('when KAFKA_SSL is true, the client checks the brokers against the CA and presents its certificate', () => {
    const env = load({ KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: ca, KAFKA_SSL_CERT_FILE: cert, KAFKA_SSL_KEY_FILE: key });
    expect(kafkaConnection(env, 'app').ssl).toEqual({
      rejectUnauthorized: true,
      ca: '-----BEGIN ca.pem-----\n',
      cert: '-----BEGIN client.pem-----\n',
      key: '-----BEGIN client.key-----\n',
    });
    expect(kafkaConnection(load({ KAFKA_SSL: 'true', KAFKA_SSL_REJECT_UNAUTHORIZED: 'false' }), 'app').ssl).toEqual({
      rejectUnauthorized: false,
    });
  });

  it('takes SASL with its username and password', () => {
    const env = load({
      KAFKA_SSL: 'true',
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: 'hub',
      KAFKA_SASL_PASSWORD: 'secret',
    });
    expect(kafkaConnection(env, 'app').sasl).toEqual({ mechanism: 'scram-sha-512', username: 'hub', password: 'secret' });
  });

  it('refuses at boot a missing file naming the variable, files without KAFKA_SSL, half a client identity, and SASL without credentials', () => {
    expect(() => load({ KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: missing })).toThrow(`KAFKA_SSL_CA_FILE: ${missing} does not exist`);
    expect(() => load({ KAFKA_SSL_CA_FILE: ca })).toThrow('KAFKA_SSL_CA_FILE is set but KAFKA_SSL is not true');
    expect(() => load({ KAFKA_SSL: 'true', KAFKA_SSL_KEY_FILE: key })).toThrow('KAFKA_SSL_CERT_FILE: a client key needs its certificate');
    expect(() => load({ KAFKA_SASL_MECHANISM: 'scram-sha-512' })).toThrow(
      /KAFKA_SASL_USERNAME is required[\s\S]*KAFKA_SASL_PASSWORD is required/,
    );
    expect(() => load({ KAFKA_SASL_MECHANISM: 'gssapi' })).toThrow(
      /KAFKA_SASL_MECHANISM must be one of plain, scram-sha-256, scram-sha-512/,
    );
  });
});
