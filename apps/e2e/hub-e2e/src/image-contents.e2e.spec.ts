import { execFile, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { BUILT_APP_PROJECTS, eventually, freshDatabase, freshId, startAppProcess, testInfra, type AppProcess } from '@hub/testing';
import { signedTwilioRequest, twilioSmsParams } from '@hub/channels-sms/testing';

/**
 * What a container image holds, assembled exactly as infra/docker/Dockerfile assembles it, without
 * Docker: each app's build folder (`dist/apps/<project>`: main.js, its source map, the generated
 * package.json and lock) copied into an empty folder outside the workspace, `npm ci --omit=dev` there,
 * and nothing else. Then the hub runs from those folders against the real Kafka, PostgreSQL and Redis.
 * A dependency the bundle needs but its package.json misses, a dev dependency that leaks into the
 * production install, or a build that only runs beside the workspace's node_modules fails here.
 */
const WORKSPACE = resolve(__dirname, '../../../..');
const run = promisify(execFile);
const infra = testInfra();
const tenant = freshId('e2eimage');
const AUTH_TOKEN = randomBytes(16).toString('hex');
const ACCOUNT_SID = `AC${randomBytes(16).toString('hex')}`;
const API_KEY = randomBytes(24).toString('base64url');
const sha256 = (key: string) => createHash('sha256').update(key).digest('hex');
/** Packages only development needs: none may be in an image. */
const DEV_ONLY = ['jest', 'typescript', '@swc/core', '@swc-node/register', 'nx', 'esbuild', 'eslint', 'prettier', '@nestjs/testing'];

let images = '';
let database: { url: string; drop(): Promise<void> };
let apps: AppProcess[] = [];

/** Up to `limit` at a time. */
async function inBatches<T>(items: readonly T[], limit: number, each: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += limit) await Promise.all(items.slice(i, i + limit).map(each));
}

beforeAll(async () => {
  images = mkdtempSync(join(tmpdir(), 'hub-images-'));
  await inBatches(BUILT_APP_PROJECTS, 3, async (project) => {
    const folder = join(images, project);
    cpSync(join(WORKSPACE, 'dist', 'apps', project), folder, { recursive: true });
    // What the Dockerfile's last stage runs; --prefer-offline reads npm's cache first (the same
    // packages the workspace installed), the registry only for what the cache lacks.
    await run('npm', ['ci', '--omit=dev', '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], {
      cwd: folder,
      env: { ...process.env, npm_config_update_notifier: 'false' },
      timeout: 240_000,
    });
  });
  database = await freshDatabase('e2e_image');
}, 600_000);

afterAll(async () => {
  await Promise.all(apps.map((a) => a.stop()));
  await database?.drop();
  if (images) rmSync(images, { recursive: true, force: true });
});

describe('an image holds the built app and its production dependencies only', () => {
  it.each(BUILT_APP_PROJECTS)(
    '%s: main.js, a package.json of production dependencies at the workspace versions, no dev package',
    (project) => {
      const folder = join(images, project);
      expect(existsSync(join(folder, 'main.js'))).toBe(true);
      const root = JSON.parse(readFileSync(join(WORKSPACE, 'package.json'), 'utf8')) as {
        dependencies: Record<string, string>;
        devDependencies: Record<string, string>;
      };
      const own = JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
      for (const [name, version] of Object.entries(own.dependencies)) {
        expect({ name, version: root.dependencies[name] }).toEqual({ name, version });
      }
      for (const name of DEV_ONLY)
        expect({ name, installed: existsSync(join(folder, 'node_modules', name)) }).toEqual({ name, installed: false });
    },
  );

  it('the hub CLI runs from its folder', () => {
    const r = spawnSync(process.execPath, ['main.js', '--help'], { cwd: join(images, 'hub-cli'), encoding: 'utf8', timeout: 60_000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('usage: hub <command> [options]');
  });

  it('the hub runs from the images: a signed SMS in, recorded, on the timeline, decided', async () => {
    const env = {
      DATABASE_URL: database.url,
      HUB_NAMESPACE: tenant,
      REDIS_URL: infra.redisUrl,
      KAFKA_BROKERS: infra.kafkaBrokers.join(','),
      TENANT_ID: tenant,
      HUB_API_KEYS: `${tenant}:${sha256(API_KEY)}:read`,
      INGEST_API_KEYS: `ccx:${tenant}:${sha256(API_KEY)}`,
      INGEST_RAW_ENABLED: 'false',
      TWILIO_AUTH_TOKEN: AUTH_TOKEN,
      TWILIO_ACCOUNT_SID: ACCOUNT_SID,
      PORT: '0',
      NBA_DEBOUNCE_MS: '100',
    };
    const options = { appsDir: images, logSuffix: `-${tenant}`, timeoutMs: 90_000 };
    apps = await Promise.all([
      startAppProcess('ingest-sms', env, options),
      startAppProcess('timeline-projector', env, options),
      startAppProcess('nba-worker', env, options),
      startAppProcess('query-api', env, options),
      startAppProcess('ingest-api', env, options),
    ]);
    const [ingest, , , query, api] = apps;
    expect((await fetch(`${api!.url!}/health/ready`)).status).toBe(200);

    const url = `${ingest!.url!}/webhooks/twilio`;
    const phone = '+14155550177';
    const params = twilioSmsParams({ from: phone, to: '+14155550000', body: 'Where is my order?', accountSid: ACCOUNT_SID, seed: tenant });
    const signed = signedTwilioRequest({ authToken: AUTH_TOKEN, url, params });
    const res = await fetch(url, { method: 'POST', headers: signed.headers, body: signed.body });
    expect(res.status).toBe(202);
    const [eventId] = ((await res.json()) as { eventIds: string[] }).eventIds;

    const headers = { authorization: `Bearer ${API_KEY}` };
    const customerId = await eventually(
      async () => {
        const r = await fetch(`${query!.url!}/tenants/${tenant}/customers?identity=${encodeURIComponent(`phone:${phone}`)}`, { headers });
        return r.status === 200 ? ((await r.json()) as { customerId: string }).customerId : undefined;
      },
      { what: 'the customer, resolved by phone' },
    );
    await eventually(
      async () => {
        const r = await fetch(`${query!.url!}/tenants/${tenant}/customers/${customerId}/timeline`, { headers });
        const { entries } = (await r.json()) as { entries: { eventId: string }[] };
        return entries.some((e) => e.eventId === eventId) ? true : undefined;
      },
      { what: 'the timeline entry' },
    );
    const decided = await eventually(
      async () => {
        const r = await fetch(`${query!.url!}/tenants/${tenant}/customers/${customerId}/next-best-actions`, { headers });
        const body = (await r.json()) as { current: null | { basedOnEventId: string } };
        return body.current ?? undefined;
      },
      { what: 'a next best action' },
    );
    expect(decided.basedOnEventId).toBe(eventId);
  }, 180_000);
});
