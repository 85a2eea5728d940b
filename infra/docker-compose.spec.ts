import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { DEV_IDENTITY_HASH_KEY } from '@hub/contracts';
import { DEPLOYED_APPS, directReadProblems, envValueProblems, ROOT, unknownEnvNames } from './deploy-apps';

/**
 * infra/docker-compose.yml: it parses (merge keys and all), keeps the infrastructure-only services
 * that infra/up.sh's users start by name, and runs every deployed app from the one Dockerfile with
 * an environment its code reads and would boot with: every name a variable of the app's env classes,
 * every value valid (as validated at boot, `${VAR:-default}` taken at its default), the brokers and
 * databases named as services it waits for, and its probe port the one it publishes.
 */

interface ComposeService {
  image?: string;
  build?: { context?: string; dockerfile?: string; args?: Record<string, string> };
  environment?: Record<string, string | number | boolean | null>;
  ports?: string[];
  healthcheck?: { test?: string[] };
  depends_on?: Record<string, { condition?: string }>;
  command?: string[];
  restart?: string;
}
interface Compose {
  services: Record<string, ComposeService>;
}

const INFRASTRUCTURE = ['kafka', 'postgres', 'redis', 'eventstore'];

/** `${NAME:-default}` / `${NAME-default}` as compose resolves it when NAME is unset; a bare `${NAME}` has no value here. */
function interpolate(value: string): { value: string; unset: string[] } {
  const unset: string[] = [];
  const resolved = value.replace(/\$\{([A-Z0-9_]+)(?::?-([^}]*))?\}/g, (_m, name: string, fallback: string | undefined) => {
    if (fallback === undefined) unset.push(name);
    return fallback ?? '';
  });
  return { value: resolved, unset };
}

export function parseCompose(text: string): Compose {
  const doc = parseDocument(text, { merge: true });
  if (doc.errors.length > 0 || doc.warnings.length > 0) throw new Error([...doc.errors, ...doc.warnings].map((e) => e.message).join('; '));
  return doc.toJS({ maxAliasCount: 100 }) as Compose;
}

export function composeProblems(compose: Compose): string[] {
  const problems: string[] = [];
  const services = compose.services;
  for (const name of INFRASTRUCTURE) if (!services[name]) problems.push(`the infrastructure service ${name} is gone`);
  for (const name of INFRASTRUCTURE.filter((n) => n !== 'eventstore'))
    if (!services[name]?.healthcheck?.test) problems.push(`${name} has no healthcheck: the apps cannot wait for it`);
  const advertised = String(services['kafka']?.environment?.['KAFKA_ADVERTISED_LISTENERS'] ?? '')
    .split(',')
    .map((l) => l.replace(/^[A-Z_]+:\/\//, ''));

  const apps = Object.entries(services).filter(([, s]) => s.build?.args?.['APP'] !== undefined);
  for (const project of Object.keys(DEPLOYED_APPS))
    if (!apps.some(([, s]) => s.build?.args?.['APP'] === project)) problems.push(`${project} has no service (build arg APP=${project})`);

  // One-shot jobs from the CLI's image (restart "no"): the schema migration the store's apps wait for.
  const isJob = (s: ComposeService | undefined) => s?.build?.args?.['APP'] === 'hub-cli' && s.restart === 'no';
  const migrations = Object.entries(services).filter(([, s]) => isJob(s) && s.command?.slice(-2).join(' ') === 'migrate up');
  if (migrations.length !== 1) problems.push(`one one-shot service must run \`hub migrate up\` (found ${migrations.length})`);

  for (const [name, service] of apps) {
    const project = service.build!.args!['APP']!;
    if (isJob(service)) continue;
    const app = DEPLOYED_APPS[project];
    if (!app) {
      problems.push(`${name}: APP=${project} is not a deployed app`);
      continue;
    }
    if (service.build?.dockerfile !== 'infra/docker/Dockerfile' || service.build.context !== '..')
      problems.push(`${name}: not built from infra/docker/Dockerfile with the repository as context`);
    if (!service.image?.startsWith(`interaction-hub/${project}:`))
      problems.push(`${name}: image ${service.image} is not interaction-hub/${project}`);

    const env: Record<string, string> = {};
    for (const [key, raw] of Object.entries(service.environment ?? {})) {
      const { value, unset } = interpolate(String(raw ?? ''));
      for (const u of unset) problems.push(`${name}: ${key} uses \${${u}} with no default`);
      env[key] = value;
    }
    for (const unknown of unknownEnvNames(app, env)) problems.push(`${name}: ${unknown} is not a variable ${project} reads`);
    for (const problem of envValueProblems(app, env)) problems.push(`${name}: ${problem}`);

    // Where it connects: services it waits for (healthy), Kafka on a listener advertised to containers.
    const waits = service.depends_on ?? {};
    for (const [dep, { condition }] of Object.entries(waits)) {
      const target = services[dep];
      if (!target) problems.push(`${name}: depends on ${dep}, which is not a service`);
      else if (isJob(target)) {
        if (condition !== 'service_completed_successfully') problems.push(`${name}: waits for the job ${dep} to start, not to succeed`);
      } else if (condition !== 'service_healthy') problems.push(`${name}: waits for ${dep} to start, not to be healthy`);
      else if (!target.healthcheck && target.build === undefined) problems.push(`${name}: waits for ${dep}, which has no healthcheck`);
    }
    const hosts: [string, string][] = [
      ...(env['KAFKA_BROKERS'] ?? '')
        .split(',')
        .filter(Boolean)
        .map((b): [string, string] => ['KAFKA_BROKERS', b]),
      ...(['DATABASE_URL', 'REDIS_URL'] as const).flatMap((v): [string, string][] => (env[v] ? [[v, new URL(env[v]).host]] : [])),
    ];
    for (const [variable, hostPort] of hosts) {
      const host = hostPort.split(':')[0]!;
      if (!services[host]) problems.push(`${name}: ${variable} names ${hostPort}, not a service of this file`);
      if (variable === 'KAFKA_BROKERS' && !advertised.includes(hostPort))
        problems.push(`${name}: KAFKA_BROKERS ${hostPort} is not a listener Kafka advertises`);
    }
    // In the images (NODE_ENV=production) an app that opens the store refuses to boot with a migration pending.
    if (env['HUB_KEK'] !== undefined && !migrations.some(([job]) => waits[job]?.condition === 'service_completed_successfully'))
      problems.push(`${name}: opens the store but does not wait for \`hub migrate up\` to succeed`);
    if (!waits['kafka'] && hosts.some(([v]) => v === 'KAFKA_BROKERS') && project !== 'query-api')
      problems.push(`${name}: reads Kafka but does not wait for it`);

    // The port it publishes is the one it serves (and is probed) on.
    const probePort = env[app.probe.variable] !== undefined ? Number(env[app.probe.variable]) : app.probe.defaultPort;
    const published = (service.ports ?? []).map((p) => Number(p.split(':').pop()));
    if (!published.includes(probePort))
      problems.push(`${name}: publishes ${published.join(', ') || 'nothing'}; ${project} serves on ${probePort}`);
  }
  return problems;
}

const text = readFileSync(join(ROOT, 'infra', 'docker-compose.yml'), 'utf8');

describe('infra/docker-compose.yml', () => {
  it('given the file, then it parses, and runs the infrastructure and every deployed app (not vacuous)', () => {
    const compose = parseCompose(text);
    expect(Object.keys(compose.services)).toEqual(expect.arrayContaining([...INFRASTRUCTURE, 'ingest-sms', 'query-api', 'nba-worker']));
    // The merge keys were applied: an app has the shared variables.
    expect(compose.services['nba-worker']?.environment?.['KAFKA_BROKERS']).toBe('kafka:29092');
  });

  it('given every app service, then its variables are ones its code reads, valid, and its connections and ports line up', () => {
    expect(composeProblems(parseCompose(text))).toEqual([]);
  });

  it('given the identity key, then its default is the published development key (never a real-looking secret)', () => {
    expect(parseCompose(text).services['query-api']?.environment?.['IDENTITY_HASH_KEY']).toBe(
      `\${IDENTITY_HASH_KEY:-${DEV_IDENTITY_HASH_KEY}}`,
    );
  });

  it('given the variables allowed outside the env classes, then the code still reads each', () => {
    expect(directReadProblems()).toEqual([]);
  });

  describe('the checks can fail', () => {
    const broken = (from: string | RegExp, to: string) => {
      const changed = text.replace(from, to);
      expect(changed).not.toBe(text);
      return composeProblems(parseCompose(changed));
    };

    it('given a file that does not parse, then parsing says so', () => {
      expect(() => parseCompose(`${text}\n  bad: [unclosed\n`)).toThrow();
    });

    it('given a misspelt or misplaced variable, an invalid value, or a broker containers cannot reach, then each is named', () => {
      expect(broken('INGEST_CHANNEL: sms', 'INGEST_CHANEL: sms')).toEqual(
        expect.arrayContaining([expect.stringContaining('INGEST_CHANEL is not a variable ingest-webhooks reads')]),
      );
      expect(
        broken('      <<: *record-env\n    depends_on:\n      kafka', '      <<: *hub-env\n      HUB_KEK: x\n    depends_on:\n      kafka'),
      ).toEqual(expect.arrayContaining([expect.stringContaining('HUB_KEK')]));
      expect(broken('TWILIO_AUTH_TOKEN: ${TWILIO_AUTH_TOKEN:-dev-twilio-auth-token}', 'SMS_DEFAULT_REGION: XX')).toEqual(
        expect.arrayContaining([expect.stringContaining('TWILIO_AUTH_TOKEN'), expect.stringContaining('SMS_DEFAULT_REGION')]),
      );
      expect(broken('KAFKA_BROKERS: kafka:29092', 'KAFKA_BROKERS: 127.0.0.1:9092')).toEqual(
        expect.arrayContaining([expect.stringContaining('names 127.0.0.1:9092, not a service')]),
      );
      expect(broken('ports: ["3100:3100"]', 'ports: ["3100:3000"]')).toEqual([expect.stringContaining('query-api serves on 3100')]);
      expect(
        broken('postgres: { condition: service_healthy }\n      # Customer', 'postgres: { condition: service_started }\n      # Customer'),
      ).toEqual([expect.stringContaining('not to be healthy')]);
    });

    it('given an app that opens the store without waiting for the migration, or no migration job, then each is named', () => {
      expect(broken('      migrate: { condition: service_completed_successfully }\n      redis', '      redis')).toEqual([
        'nba-worker: opens the store but does not wait for `hub migrate up` to succeed',
      ]);
      expect(broken('command: ["node", "main.js", "migrate", "up"]', 'command: ["node", "main.js", "migrate", "status"]')).toEqual(
        expect.arrayContaining(['one one-shot service must run `hub migrate up` (found 0)']),
      );
    });

    it('given an app with no service, then it is named', () => {
      expect(broken(/ {2}nba-worker:\n(?: {4}.*\n|\n)*?(?= {2}query-api:)/, '')).toEqual([
        'nba-worker has no service (build arg APP=nba-worker)',
      ]);
    });
  });
});
