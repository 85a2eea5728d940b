import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DEV_IDENTITY_HASH_KEY } from '@hub/contracts';
import {
  BUILT_APP_PROJECTS,
  eventually,
  freshDatabase,
  freshId,
  hubCliArgs,
  startAppProcess,
  testInfra,
  type HubAppName,
} from '@hub/testing';

/**
 * What each production build loads (issue #18: idle RSS within 1.5× a bare NestJS hello; every
 * package loaded at boot is resident for good). Packages that only some calls need are loaded on
 * first use and must not be loaded by a process that has not made such a call: a top-level import of
 * one in a shared library puts it in every app (bench/processes measured +12 MiB idle for the query
 * API when the Redis providers imported ioredis at the top). Checked two ways, with a preloaded hook
 * that lists the packages in `require.cache`:
 * - every build run with no configuration, so it stops at its config check (exit 1, after every
 *   top-level `require` of the bundle ran);
 * - the hub's five main apps started for real (the real Kafka, PostgreSQL and Redis) as production
 *   runs them — the database migrated first by `hub migrate up`, the apps only checking it
 *   (HUB_MIGRATE=check) — and asked, once ready and before any request, what they hold: this also
 *   sees what the app's start-up loads.
 */
const WORKSPACE = resolve(__dirname, '../../../..');

/** Loaded on first use only, in every app. */
const LAZY_EVERYWHERE = [
  'umzug', // migrations: `hub migrate`, or an app booting with HUB_MIGRATE=up
  '@nestjs/swagger', // the OpenAPI document: the first GET /docs
  'swagger-ui-dist',
  '@opentelemetry/sdk-trace-base', // tracing: only with OTEL_EXPORTER_OTLP_ENDPOINT
  'cli-progress', // a progress line: only on a terminal
  'csv-stringify', // CSV exports: the first CSV row
  '@eventstore/db-client', // only with HUB_STORE=eventstoredb
];
/** Apps whose own work needs BullMQ on Redis at boot; every other app loads neither. */
const QUEUE_APPS = new Set(['nba-worker', 'outgoing-webhooks']);
const QUEUES = ['bullmq', 'ioredis'];

let dir = '';
let probe = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'hub-boot-weight-'));
  probe = join(dir, 'probe.cjs');
  writeFileSync(
    probe,
    `function loaded() {
  const names = new Set();
  for (const file of Object.keys(require.cache)) {
    const i = file.lastIndexOf('/node_modules/');
    if (i < 0) continue;
    const [scope, name] = file.slice(i + 14).split('/');
    names.add(scope.startsWith('@') ? scope + '/' + name : scope);
  }
  return [...names].sort();
}
process.on('exit', () => process.stdout.write('\\nLOADED ' + JSON.stringify(loaded()) + '\\n'));
process.on('SIGUSR2', () => {
  const fs = require('node:fs');
  const out = process.env.BOOT_WEIGHT_OUT + '/' + process.pid + '.json';
  fs.writeFileSync(out + '.tmp', JSON.stringify(loaded()));
  fs.renameSync(out + '.tmp', out);
});
`,
  );
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** What must not be loaded in `project` until a call needs it. */
const lazyIn = (project: string): string[] => [...LAZY_EVERYWHERE, ...(QUEUE_APPS.has(project) ? [] : QUEUES)];

/** The packages `main.js` loaded before its config check stopped it. */
function loadedAtBoot(project: string): { packages: string[]; stderr: string } {
  const r = spawnSync(process.execPath, ['--require', probe, join(WORKSPACE, 'dist/apps', project, 'main.js')], {
    cwd: WORKSPACE,
    env: { PATH: process.env['PATH'] ?? '', NODE_ENV: 'production' },
    encoding: 'utf8',
    timeout: 60_000,
  });
  const line = r.stdout.split('\n').find((l) => l.startsWith('LOADED '));
  if (!line) throw new Error(`${project}: no package list (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
  return { packages: JSON.parse(line.slice('LOADED '.length)) as string[], stderr: r.stderr };
}

describe('what each app loads at boot (dist/apps/<project>/main.js)', () => {
  it('has apps to check', () => {
    expect(BUILT_APP_PROJECTS).toEqual(expect.arrayContaining(['ingest-webhooks', 'query-api', 'nba-worker', 'timeline-projector']));
  });

  it.each(BUILT_APP_PROJECTS.map((p) => [p]))('%s loads at boot only what every start needs', (project) => {
    const { packages, stderr } = loadedAtBoot(project);
    // It did boot as far as its config check (the hub's frameworks loaded), and stopped there.
    expect(packages).toEqual(expect.arrayContaining(['kafkajs', 'pg']));
    expect(stderr).toMatch(/must be set|is not set|invalid|required/i);
    expect(packages.filter((p) => lazyIn(project).includes(p))).toEqual([]);
  });

  it('the five main apps, started and ready, hold only what every start needs', async () => {
    const tenant = freshId('e2eboot');
    const apiKey = randomBytes(24).toString('base64url');
    const keyHash = createHash('sha256').update(apiKey).digest('hex');
    const infra = testInfra();
    const database = await freshDatabase('e2e_boot');
    const migrated = spawnSync(process.execPath, [...hubCliArgs(), 'migrate', 'up'], {
      cwd: WORKSPACE,
      env: {
        ...process.env,
        IDENTITY_HASH_KEY: DEV_IDENTITY_HASH_KEY,
        DATABASE_URL: database.url,
        HUB_NAMESPACE: tenant,
        TENANT_ID: tenant,
      },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect({ status: migrated.status, stderr: migrated.stderr }).toEqual({ status: 0, stderr: '' });
    const env = {
      HUB_MIGRATE: 'check',
      DATABASE_URL: database.url,
      HUB_NAMESPACE: tenant,
      REDIS_URL: infra.redisUrl,
      KAFKA_BROKERS: infra.kafkaBrokers.join(','),
      TENANT_ID: tenant,
      HUB_API_KEYS: `${tenant}:${keyHash}:read`,
      INGEST_API_KEYS: `ccx:${tenant}:${keyHash}`,
      TWILIO_AUTH_TOKEN: randomBytes(16).toString('hex'),
      PORT: '0',
      NODE_OPTIONS: `--require ${probe}`,
      BOOT_WEIGHT_OUT: dir,
    };
    const projects: [HubAppName, string][] = [
      ['ingest-sms', 'ingest-webhooks'],
      ['ingest-api', 'ingest-api'],
      ['timeline-projector', 'timeline-projector'],
      ['nba-worker', 'nba-worker'],
      ['query-api', 'query-api'],
    ];
    // The query API applies its own component (its saved queries) at its first boot in either mode:
    // booted once first, so that the start checked is a restart on a migrated database.
    await (await startAppProcess('query-api', env, { logSuffix: `-${tenant}-first`, timeoutMs: 90_000 })).stop();
    const apps = await Promise.all(projects.map(([name]) => startAppProcess(name, env, { logSuffix: `-${tenant}`, timeoutMs: 90_000 })));
    try {
      for (const [i, app] of apps.entries()) {
        const [name, project] = projects[i]!;
        const out = join(dir, `${app.child.pid}.json`);
        app.child.kill('SIGUSR2');
        const packages = await eventually(async () => (existsSync(out) ? (JSON.parse(readFileSync(out, 'utf8')) as string[]) : undefined), {
          what: `${name}'s package list`,
        });
        expect({ name, kafkajs: packages.includes('kafkajs') }).toEqual({ name, kafkajs: true });
        expect({ name, lazyLoaded: packages.filter((p) => lazyIn(project).includes(p)) }).toEqual({ name, lazyLoaded: [] });
        if (QUEUE_APPS.has(project)) expect(packages).toEqual(expect.arrayContaining(QUEUES));
      }
    } finally {
      await Promise.all(apps.map((a) => a.stop()));
      await database.drop();
    }
  }, 180_000);
});
