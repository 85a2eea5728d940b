import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';

/**
 * `startTracing` with an OTLP endpoint exports over OTLP/HTTP: a local HTTP server stands for the
 * collector and receives an app's spans, under its service name, at `<endpoint>/v1/traces`. The app
 * is a Node process of its own, started as the apps are (`node -r @swc-node/register`): the
 * exporter loads its transport with a dynamic `import()`, which Jest's module sandbox refuses.
 */
const APP = `
const { trace } = require('@opentelemetry/api');
const { startTracing } = require(${JSON.stringify(join(__dirname, 'tracing.ts'))});
const tracing = startTracing('otlp-spec-app');
if (!tracing) throw new Error('tracing not started');
trace.getTracer('spec').startSpan('exported work').end();
tracing.shutdown().then(() => process.exit(0), (err) => { console.error(err); process.exit(1); });
`;
let server: Server;
const received: { url: string; contentType: string; body: string }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ url: req.url ?? '', contentType: req.headers['content-type'] ?? '', body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('when OTEL_EXPORTER_OTLP_ENDPOINT names a collector', () => {
  it('exports the spans ended before shutdown to <endpoint>/v1/traces, with the service name', async () => {
    const { port } = server.address() as AddressInfo;
    // Shutting down flushes the batch: the process ends once the collector has answered.
    await promisify(execFile)(process.execPath, ['-r', '@swc-node/register', '-e', APP], {
      env: { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}/` },
      timeout: 60_000,
    });
    expect(received).toHaveLength(1);
    expect(received[0]!.url).toBe('/v1/traces');
    expect(received[0]!.contentType).toContain('application/json');
    expect(received[0]!.body).toContain('otlp-spec-app');
    expect(received[0]!.body).toContain('exported work');
  });
});
