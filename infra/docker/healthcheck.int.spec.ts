import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

/**
 * The images' HEALTHCHECK script run as Docker runs it (`node healthcheck.js`, the app's variables in
 * its environment) against a real HTTP server standing in for the app's probe server: healthy only
 * when /health/live answers 200 on the port the app's variable (or its default) names.
 */
const SCRIPT = join(__dirname, 'healthcheck.js');

function runScript(env: NodeJS.ProcessEnv): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SCRIPT], { env: { PATH: process.env['PATH'], ...env }, stdio: 'ignore' });
    child.once('error', reject);
    child.once('exit', (code) => resolve(code));
  });
}

async function probeServer(status: number): Promise<{ server: Server; port: number; paths: string[] }> {
  const paths: string[] = [];
  const server = createServer((req, res) => {
    paths.push(req.url ?? '');
    res.writeHead(req.url === '/health/live' ? status : 404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as AddressInfo).port, paths };
}

const close = (server: Server) => new Promise<void>((r) => server.close(() => r()));

describe('infra/docker/healthcheck.js', () => {
  it('given a projector whose /health/live answers 200 on HEALTH_PORT, then the check passes and asked that path', async () => {
    const { server, port, paths } = await probeServer(200);
    try {
      expect(await runScript({ HUB_APP: 'timeline-projector', HEALTH_PORT: String(port) })).toBe(0);
      expect(paths).toEqual(['/health/live']);
    } finally {
      await close(server);
    }
  });

  it('given a query API whose /health/live answers 503 on PORT, then the check fails', async () => {
    const { server, port } = await probeServer(503);
    try {
      expect(await runScript({ HUB_APP: 'query-api', PORT: String(port) })).toBe(1);
    } finally {
      await close(server);
    }
  });

  it('given nothing listening on the port, then the check fails', async () => {
    const { server, port } = await probeServer(200);
    await close(server);
    expect(await runScript({ HUB_APP: 'ingest-webhooks', PORT: String(port) })).toBe(1);
  });

  it('given HEALTH_PORT=off, then there is nothing to probe and the check passes', async () => {
    expect(await runScript({ HUB_APP: 'nba-worker', HEALTH_PORT: 'off' })).toBe(0);
  });
});
