import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { freshId, testInfra } from '@hub/testing';
import { startQueryApi } from '../main';

/** The query API serving a console build (any folder with an index.html), in process against real PostgreSQL. */
const tenant = freshId('qc');
const key = randomBytes(24).toString('base64url');
const env = (dir: string) => ({
  DATABASE_URL: testInfra().databaseUrl,
  PORT: '0',
  LOG_LEVEL: 'silent',
  HUB_API_KEYS: `${tenant}:${createHash('sha256').update(key).digest('hex')}`,
  QUERY_CONSOLE_DIR: dir,
});

describe('the console served by the query API', () => {
  let build = '';
  let app: NestFastifyApplication | undefined;
  let url = '';
  beforeAll(async () => {
    build = mkdtempSync(join(tmpdir(), 'hub-console-build-'));
    mkdirSync(join(build, 'assets'));
    writeFileSync(join(build, 'index.html'), '<!doctype html><title>console</title><script src="/console/assets/app.js"></script>');
    writeFileSync(join(build, 'assets', 'app.js'), 'console.log(1)');
    ({ app, url } = await startQueryApi(env(build)));
  });
  afterAll(async () => {
    await app?.close();
    rmSync(build, { recursive: true, force: true });
  });

  describe('when the folder holds a build', () => {
    it('then /console/ is its index.html and its assets are served, without a key', async () => {
      const page = await fetch(`${url}/console/`);
      expect([page.status, page.headers.get('content-type'), await page.text()]).toEqual([
        200,
        'text/html; charset=utf-8',
        expect.stringContaining('<title>console</title>'),
      ]);
      const asset = await fetch(`${url}/console/assets/app.js`);
      expect([asset.status, asset.headers.get('content-type')]).toEqual([200, 'application/javascript; charset=utf-8']);
    });

    it('then /console redirects to /console/, and nothing outside the folder is reachable', async () => {
      const bare = await fetch(`${url}/console`, { redirect: 'manual' });
      expect([bare.status, bare.headers.get('location')]).toEqual([308, '/console/']);
      expect((await fetch(`${url}/console/..%2f..%2fpackage.json`)).status).toBe(404);
      expect((await fetch(`${url}/console/missing.js`)).status).toBe(404);
    });

    it('then the data still needs the tenant key', async () => {
      expect((await fetch(`${url}/tenants/${tenant}/customers?limit=1`)).status).toBe(401);
      expect((await fetch(`${url}/tenants/${tenant}/customers?limit=1`, { headers: { authorization: `Bearer ${key}` } })).status).toBe(200);
    });
  });

  describe('when the folder holds no build', () => {
    it('then the API runs without a console', async () => {
      const empty = mkdtempSync(join(tmpdir(), 'hub-console-none-'));
      const other = await startQueryApi(env(empty));
      try {
        expect((await fetch(`${other.url}/console/`)).status).toBe(404);
        expect((await fetch(`${other.url}/health`)).status).toBe(200);
      } finally {
        await other.app.close();
        rmSync(empty, { recursive: true, force: true });
      }
    });
  });
});
