import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { customerStream, deterministicId, type IdentityRef, type InteractionReceived } from '@hub/contracts';
import {
  eraseCustomerRecord,
  mergeCustomers,
  recordInteraction,
  SUBJECT_ACCESS_FORMAT,
  type SubjectAccessHead,
  type SubjectEvent,
} from '@hub/customer-records';
import { freshId } from '@hub/testing';
import { cliWorld, projectLive, runCli, type CliWorld } from './testing/cli-harness';

jest.setTimeout(60_000);

let world: CliWorld;
let dir: string;
const tenant = freshId('ax').toLowerCase();
const at = (minute: number) => new Date(Date.UTC(2026, 11, 7, 10, minute)).toISOString();
const phone = (n: number): IdentityRef => ({ kind: 'phone', value: `+1415559${String(1000 + n).padStart(4, '0')}` });

function sms(label: string, identity: IdentityRef, text: string, minute: number): InteractionReceived {
  const eventId = deterministicId('cli-access', tenant, label);
  return {
    type: 'InteractionReceived',
    data: {
      direction: 'inbound',
      kind: 'message',
      identities: [identity],
      content: { text, media: [] },
      provider: { name: 'test', messageId: label },
    },
    metadata: {
      eventId,
      correlationId: eventId,
      causationId: eventId,
      occurredAt: at(minute),
      recordedAt: at(minute),
      schemaVersion: 1,
      tenantId: tenant,
      channel: 'sms',
    },
  };
}

interface Exported extends SubjectAccessHead {
  events: SubjectEvent[];
  timeline: { eventId: string }[] | null;
  counts: { events: number; timelineEntries: number | null };
}

let survivor = '';
let mergedIn = '';
let erased = '';

beforeAll(async () => {
  world = await cliWorld('cli_access');
  dir = await mkdtemp(join(tmpdir(), 'hub-access-'));
  const a = await recordInteraction(world.stores, sms('a1', phone(1), 'where is my parcel', 1), at(1));
  await recordInteraction(world.stores, sms('a2', phone(1), 'still nothing', 2), at(2));
  const b = await recordInteraction(world.stores, sms('b1', phone(2), 'this is my other phone', 3), at(3));
  const merge = await mergeCustomers(world.stores, {
    tenantId: tenant,
    customerIds: [a.customerId, b.customerId],
    evidence: { source: 'paid_order', detail: 'order 7 paid with both', identities: [phone(1), phone(2)] },
    requestId: 'order-7',
    now: at(10),
  });
  expect(merge.outcome).toBe('merged');
  [survivor, mergedIn] = [a.customerId, b.customerId];
  const c = await recordInteraction(world.stores, sms('c1', phone(3), 'please forget me', 4), at(4));
  erased = c.customerId;
  await eraseCustomerRecord(world.stores, { tenantId: tenant, customerId: erased, reason: 'gdpr-art17', requestedBy: 'dpo', now: at(20) });
  await projectLive(world);
});

afterAll(async () => {
  await world?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** The customers' streams as the event store holds them, opened, in the store's order. */
async function held(ids: readonly string[]): Promise<SubjectEvent[]> {
  const out: SubjectEvent[] = [];
  for (const id of ids)
    for (const e of await world.stores.store.readStream(customerStream(tenant, id)))
      out.push({
        customerId: id,
        stream: e.streamName,
        revision: e.revision.toString(),
        globalPosition: e.globalPosition.toString(),
        eventId: e.eventId,
        type: e.type,
        storedAt: e.createdAt.toISOString(),
        data: e.data,
        metadata: e.metadata,
      });
  return out.sort((x, y) => (BigInt(x.globalPosition) < BigInt(y.globalPosition) ? -1 : 1));
}

describe('hub customer access-export', () => {
  describe('when the customer has another merged into them', () => {
    it('then stdout is the whole person: every event of both streams opened as the store holds them, and their timeline', async () => {
      const r = await runCli(['customer', 'access-export', tenant, survivor], world.env);
      expect({ code: r.code, stderr: r.stderr }).toEqual({
        code: 0,
        stderr: `access-export: ${tenant}/${survivor} (active): 2 record(s), ${(await held([survivor, mergedIn])).length} events\n`,
      });
      const doc = JSON.parse(r.stdout) as Exported;
      expect(doc).toMatchObject({ format: SUBJECT_ACCESS_FORMAT, tenantId: tenant, customerId: survivor, status: 'active', erasure: null });
      expect(doc.events).toEqual(await held([survivor, mergedIn]));
      const texts = doc.events.flatMap((e) =>
        e.type === 'InteractionRecorded' ? [(e.data as { content: { text: string } }).content.text] : [],
      );
      expect(texts).toEqual(['where is my parcel', 'still nothing', 'this is my other phone']);
      expect(doc.identities.map((i) => [i.value, i.heldBy]).sort()).toEqual([
        [phone(1).value, survivor],
        [phone(2).value, survivor],
      ]);
      expect(doc.timeline!.map((t) => t.eventId).sort()).toEqual(
        doc.events
          .filter((e) => e.type === 'InteractionRecorded')
          .map((e) => e.eventId)
          .sort(),
      );
    });
  });

  describe('when --out names a new file', () => {
    it('then the same document is written there, readable by its owner only, and an existing file is never overwritten', async () => {
      const file = join(dir, 'survivor.json');
      const r = await runCli(['customer', 'access-export', tenant, survivor, '--out', file], world.env);
      expect(r.code).toBe(0);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain(`→ ${file}`);
      expect((await stat(file)).mode & 0o777).toBe(0o600);
      const written = JSON.parse(await readFile(file, 'utf8')) as Exported;
      expect(written.events).toEqual(await held([survivor, mergedIn]));

      const taken = join(dir, 'taken.json');
      await writeFile(taken, 'keep me');
      const again = await runCli(['customer', 'access-export', tenant, survivor, '--out', taken], world.env);
      expect(again.code).toBe(1);
      expect(again.stderr).toMatch(/^hub customer: cannot create .*taken\.json: EEXIST/);
      expect(await readFile(taken, 'utf8')).toBe('keep me');

      // Interrupted (Ctrl-C) before the document is whole: no half file is left to pass for an export.
      const cut = join(dir, 'cut.json');
      const stop = new AbortController();
      stop.abort();
      const interrupted = await runCli(['customer', 'access-export', tenant, survivor, '--out', cut], world.env, stop.signal);
      expect(interrupted.code).toBe(1);
      expect(interrupted.stderr).toContain('interrupted: access export stopped');
      await expect(stat(cut)).rejects.toMatchObject({ code: 'ENOENT' });
    });
  });

  describe('when the customer was erased', () => {
    it('then the export says so instead of failing, and shows every stored event with its personal fields unreadable', async () => {
      const r = await runCli(['customer', 'access-export', tenant, erased], world.env);
      expect(r.code).toBe(0);
      expect(r.stderr).toContain(`(erased, erased ${at(20)})`);
      const doc = JSON.parse(r.stdout) as Exported;
      expect(doc).toMatchObject({
        status: 'erased',
        erasure: { erasedAt: at(20), reason: 'gdpr-art17', requestedBy: 'dpo', personalFieldsReadable: false, mergedInNotErased: [] },
        identities: [],
        timeline: [],
      });
      expect(doc.events).toEqual(await held([erased]));
      expect(doc.events.map((e) => e.type)).toEqual(['CustomerRegistered', 'InteractionRecorded', 'CustomerErased']);
      expect(doc.events[1]!.data).toMatchObject({ content: { text: '[erased]' }, identities: [{ kind: 'phone', value: '[erased]' }] });
      expect(r.stdout).not.toContain('please forget me');
      expect(r.stdout).not.toContain(phone(3).value);
    });
  });

  describe('when the command line or the customer is wrong', () => {
    it('then a missing argument or an unknown subcommand exits 2, an unknown customer or tenant 1', async () => {
      expect((await runCli(['customer', 'access-export', tenant], world.env)).code).toBe(2);
      const sub = await runCli(['customer', 'export', tenant, survivor], world.env);
      expect({ code: sub.code, stderr: sub.stderr.split('\n')[0] }).toEqual({
        code: 2,
        stderr: 'hub customer: unknown subcommand "export": access-export, erase',
      });
      const unknown = await runCli(['customer', 'access-export', tenant, 'nobody'], world.env);
      expect({ code: unknown.code, stdout: unknown.stdout }).toEqual({ code: 1, stdout: '' });
      expect(unknown.stderr).toContain(`unknown customer ${tenant}/nobody`);
      expect((await runCli(['customer', 'access-export', freshId('none').toLowerCase(), survivor], world.env)).code).toBe(1);
      expect((await runCli(['--help'], world.env)).stdout).toMatch(/\n {2}customer +a data subject's requests/);
    });
  });
});

describe('hub customer erase', () => {
  it('then the customer and the record merged into them are erased with their timeline rows, and a repeat is a duplicate', async () => {
    const x = await recordInteraction(world.stores, sms('x1', phone(7), 'delete everything about me', 30), at(30));
    const y = await recordInteraction(world.stores, sms('y1', phone(8), 'my second number', 31), at(31));
    const merged = await mergeCustomers(world.stores, {
      tenantId: tenant,
      customerIds: [x.customerId, y.customerId],
      evidence: { source: 'paid_order', detail: 'order 9 paid with both', identities: [phone(7), phone(8)] },
      requestId: 'order-9',
      now: at(32),
    });
    expect(merged.outcome).toBe('merged');
    await projectLive(world);
    const rows = async () =>
      (
        await world.pool.query<{ n: number }>(
          'select count(*)::int as n from timeline_entries where tenant_id = $1 and customer_id = any($2)',
          [tenant, [x.customerId, y.customerId]],
        )
      ).rows[0]!.n;
    expect(await rows()).toBeGreaterThan(0);

    const r = await runCli(['customer', 'erase', tenant, x.customerId, '--reason', 'gdpr-art17', '--requested-by', 'dpo-2'], world.env);

    expect(r.code).toBe(0);
    const answer = JSON.parse(r.stdout) as {
      duplicate: boolean;
      records: { customerId: string; cascadeOf: string | null; keyDestroyed: boolean }[];
    };
    expect(answer.duplicate).toBe(false);
    expect(answer.records.map((rec) => [rec.customerId, rec.cascadeOf, rec.keyDestroyed])).toEqual([
      [x.customerId, null, true],
      [y.customerId, x.customerId, true],
    ]);
    expect(await rows()).toBe(0);
    const exported = JSON.parse((await runCli(['customer', 'access-export', tenant, x.customerId], world.env)).stdout) as SubjectAccessHead;
    expect(exported.erasure).toMatchObject({ reason: 'gdpr-art17', requestedBy: 'dpo-2' });
    expect(JSON.stringify(exported)).not.toContain('delete everything about me');

    const again = await runCli(['customer', 'erase', tenant, x.customerId, '--reason', 'gdpr-art17', '--requested-by', 'dpo-2'], world.env);
    expect({ code: again.code, duplicate: (JSON.parse(again.stdout) as { duplicate: boolean }).duplicate }).toEqual({
      code: 0,
      duplicate: true,
    });
  });

  it('then a missing reason or requester exits 2 and an unknown customer 1', async () => {
    expect((await runCli(['customer', 'erase', tenant, survivor, '--requested-by', 'dpo'], world.env)).code).toBe(2);
    expect((await runCli(['customer', 'erase', tenant, survivor, '--reason', 'gdpr-art17'], world.env)).code).toBe(2);
    const unknown = await runCli(['customer', 'erase', tenant, 'nobody', '--reason', 'r', '--requested-by', 'w'], world.env);
    expect({ code: unknown.code, stdout: unknown.stdout }).toEqual({ code: 1, stdout: '' });
  });
});
