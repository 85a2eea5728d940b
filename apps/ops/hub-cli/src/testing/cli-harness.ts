import { Writable } from 'node:stream';
import { Pool } from 'pg';
import { deterministicId, type ChannelId, type EventMetadata } from '@hub/contracts';
import type { CustomerEvent, InteractionRecorded } from '@hub/customer';
import { createCustomerStores, type CustomerStores } from '@hub/customer-records';
import { PostgresCheckpointStore } from '@hub/event-store';
import { PostgresTimelineStore, TimelineProjector } from '@hub/timeline';
import { freshDatabase, testInfra, TEST_IDENTITY_NAMING } from '@hub/testing';
import { run } from '../cli';
import type { CliIo } from '../cli-io';

/** A fixed key-encryption key: the tests write sealed events and the CLI must open them with it. */
export const TEST_KEK = Buffer.alloc(32, 7).toString('base64');

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer | string, _enc: BufferEncoding, done: (err?: Error | null) => void): void {
    this.text += chunk.toString();
    done();
  }
}

/** Runs the CLI in-process, as `main.ts` would, with stdout and stderr captured. */
export async function runCli(argv: readonly string[], env: NodeJS.ProcessEnv, signal?: AbortSignal): Promise<CliRun> {
  const stdout = new Capture();
  const stderr = new Capture();
  const io: CliIo = { stdout, stderr, env, ...(signal ? { signal } : {}) };
  const code = await run(argv, io);
  return { code, stdout: stdout.text, stderr: stderr.text };
}

/** A database of its own with the record's stores (sealed with `TEST_KEK`) and the CLI's environment. */
export interface CliWorld {
  pool: Pool;
  stores: CustomerStores;
  env: NodeJS.ProcessEnv;
  close(): Promise<void>;
}

export async function cliWorld(prefix: string): Promise<CliWorld> {
  const db = await freshDatabase(prefix);
  const pool = new Pool({ connectionString: db.url, max: 8 });
  // The database is dropped WITH (FORCE) at the end: an idle client terminated then must not crash the run.
  pool.on('error', () => undefined);
  const stores = await createCustomerStores(pool, { identityNaming: TEST_IDENTITY_NAMING, kek: TEST_KEK });
  const env = { DATABASE_URL: db.url, KAFKA_BROKERS: testInfra().kafkaBrokers.join(','), HUB_KEK: TEST_KEK, LOG_LEVEL: 'error' };
  return {
    pool,
    stores,
    env,
    close: async () => {
      await stores.store.close();
      await pool.end();
      await db.drop();
    },
  };
}

/** `2025-03-<day>T<hour>:00:00.000Z` */
export const at = (day: number, hour = 9): string => new Date(Date.UTC(2025, 2, day, hour)).toISOString();

function meta(tenantId: string, eventId: string, occurredAt: string, recordedAt: string, channel: EventMetadata['channel']): EventMetadata {
  return { eventId, correlationId: eventId, causationId: eventId, occurredAt, recordedAt, schemaVersion: 1, tenantId, channel };
}

export function interaction(
  tenantId: string,
  customerId: string,
  n: number,
  o: {
    text?: string | null;
    occurredAt?: string;
    recordedAt?: string;
    direction?: 'inbound' | 'outbound';
    threadId?: string;
    channel?: ChannelId;
  } = {},
): InteractionRecorded {
  const eventId = deterministicId('hub-cli-test', tenantId, customerId, String(n));
  const occurredAt = o.occurredAt ?? at(1 + (n % 27), n % 24);
  const channel = o.channel ?? 'sms';
  const text = o.text === undefined ? `message ${n} of ${customerId}` : o.text;
  return {
    type: 'InteractionRecorded',
    data: {
      channel,
      direction: o.direction ?? (n % 3 ? 'inbound' : 'outbound'),
      kind: 'message',
      identities: [{ kind: 'phone', value: `+1415555${String(1000 + ((customerId.length * 97 + n) % 9000)).padStart(4, '0')}` }],
      content:
        text === null
          ? { media: [] }
          : { text, media: n % 4 === 0 ? [{ url: `https://media.example/${customerId}/${n}.jpg`, contentType: 'image/jpeg' }] : [] },
      provider: { name: 'twilio', messageId: `SM${eventId.replace(/-/g, '')}` },
      ...(o.threadId ? { threadId: o.threadId } : {}),
    },
    metadata: meta(tenantId, eventId, occurredAt, o.recordedAt ?? occurredAt, channel),
  };
}

export function registered(tenantId: string, customerId: string, occurredAt = at(1, 0)): CustomerEvent {
  const eventId = deterministicId('hub-cli-test', tenantId, customerId, 'registered');
  return {
    type: 'CustomerRegistered',
    data: { customerId, tenantId, identity: { kind: 'phone', value: `+1415555${String(customerId.length).padStart(4, '0')}` } },
    metadata: meta(tenantId, eventId, occurredAt, occurredAt, 'sms'),
  };
}

export function traits(tenantId: string, customerId: string, n: number, values: Record<string, string>, recordedAt: string): CustomerEvent {
  const eventId = deterministicId('hub-cli-test', tenantId, customerId, 'traits', String(n));
  return { type: 'TraitsUpdated', data: { traits: values }, metadata: meta(tenantId, eventId, recordedAt, recordedAt, 'system') };
}

/** A customer registered, then `count` interactions: what the recorder writes. */
export function history(tenantId: string, customerId: string, count: number): CustomerEvent[] {
  return [registered(tenantId, customerId), ...Array.from({ length: count }, (_, n) => interaction(tenantId, customerId, n))];
}

/** Projects the live read model (public tables, checkpoint 'timeline.v1'), as the projector app does, until caught up. */
export async function projectLive(world: CliWorld): Promise<void> {
  const projector = await liveProjector(world);
  await (
    await projector.start()
  ).caughtUp;
  await projector.stop();
}

export async function liveProjector(world: CliWorld): Promise<TimelineProjector> {
  const timeline = new PostgresTimelineStore(world.pool);
  await timeline.ensureSchema();
  const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
  return new TimelineProjector({
    store: world.stores.store,
    timeline,
    checkpoints: await PostgresCheckpointStore.create({ pool: world.pool }),
    subscriptionId: 'timeline.v1',
    logger: quiet,
  });
}

/** Parses RFC 4180 CSV (quoted cells, doubled quotes, CRLF rows) back into rows of cells. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(cell);
      cell = '';
    } else if (ch === '\r' && text[i + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      i++;
    } else cell += ch;
  }
  if (cell !== '' || row.length) throw new Error(`CSV does not end with CRLF: ${JSON.stringify(text.slice(-40))}`);
  return rows;
}
