import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Pool } from 'pg';
import { customerStream, deterministicId, type ChannelId, type IdentityRef, type InteractionReceived } from '@hub/contracts';
import type { CustomerEvent } from '@hub/customer';
import {
  createCustomerStores,
  mergeCustomers,
  recordInteraction,
  SUBJECT_ACCESS_FORMAT,
  toCustomerEvent,
  type CustomerStores,
  type SubjectAccessHead,
  type SubjectEvent,
} from '@hub/customer-records';
import { PostgresTimelineStore, timelineChangeFor, type TimelineChange } from '@hub/timeline';
import { freshId, testInfra, TEST_IDENTITY_NAMING } from '@hub/testing';
import { startQueryApi } from '../main';

/**
 * The subject access export over HTTP against real PostgreSQL: interactions recorded through the
 * record's own stores (sealed as the recorder seals them), merged and erased through the hub's own
 * commands, then the export compared with what the event store holds, stream by stream.
 */
jest.setTimeout(60_000);

const sha = (key: string) => createHash('sha256').update(key).digest('hex');
const newKey = () => randomBytes(24).toString('base64url');
const tenant = freshId('sa');
const otherTenant = freshId('sb');
const readKey = newKey();
const eraseKey = newKey();
const otherKey = newKey();

let app: NestFastifyApplication;
let url = '';
let pool: Pool;
let stores: CustomerStores;
let timeline: PostgresTimelineStore;

beforeAll(async () => {
  pool = new Pool({ connectionString: testInfra().databaseUrl, max: 4 });
  stores = await createCustomerStores(pool, { identityNaming: TEST_IDENTITY_NAMING });
  timeline = new PostgresTimelineStore(pool);
  ({ app, url } = await startQueryApi({
    DATABASE_URL: testInfra().databaseUrl,
    PORT: '0',
    LOG_LEVEL: 'silent',
    HUB_API_KEYS: [
      `${tenant}:${sha(readKey)}:read+write`,
      `${tenant}:${sha(eraseKey)}:erase`,
      `${otherTenant}:${sha(otherKey)}:read+write+erase`,
    ].join(','),
  }));
});

afterAll(async () => {
  await app?.close();
  await stores?.store.close();
  await pool?.end();
});

interface Exported extends SubjectAccessHead {
  events: SubjectEvent[];
  timeline: { eventId: string; customerId: string; text: string | null }[] | null;
  counts: { records: number; events: number; timelineEntries: number | null; decisions: number; outcomes: number };
}

async function exportOf(customerId: string, key = eraseKey): Promise<{ status: number; headers: Headers; body: Exported }> {
  const res = await fetch(`${url}/tenants/${tenant}/customers/${customerId}/access-export`, {
    headers: { authorization: `Bearer ${key}` },
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: JSON.parse(text) as Exported };
}

const at = (minute: number) => new Date(Date.UTC(2026, 11, 7, 10, minute)).toISOString();
let phones = 0;
const newPhone = (): IdentityRef => ({
  kind: 'phone',
  value: `+1415558${String(1000 + ((process.pid + phones++) % 9000)).padStart(4, '0')}`,
});

function interaction(
  label: string,
  identities: IdentityRef[],
  text: string,
  minute: number,
  channel: ChannelId = 'sms',
): InteractionReceived {
  const eventId = deterministicId('subject-access', tenant, label);
  return {
    type: 'InteractionReceived',
    data: { direction: 'inbound', kind: 'message', identities, content: { text, media: [] }, provider: { name: 'test', messageId: label } },
    metadata: {
      eventId,
      correlationId: eventId,
      causationId: eventId,
      occurredAt: at(minute),
      recordedAt: at(minute),
      schemaVersion: 1,
      tenantId: tenant,
      channel,
    },
  };
}

const meta = (label: string, minute: number, channel: ChannelId | 'system' = 'system') => {
  const eventId = deterministicId('subject-access', tenant, label);
  return {
    eventId,
    correlationId: eventId,
    causationId: eventId,
    occurredAt: at(minute),
    recordedAt: at(minute),
    schemaVersion: 1,
    tenantId: tenant,
    channel,
  };
};

/** What the rest of the hub appends beside interactions: a trait, a consent change, a decision and its outcome. */
function facts(customerId: string, label: string, basedOnEventId: string): CustomerEvent[] {
  const decisionId = deterministicId('subject-access', tenant, label, 'decision');
  return [
    { type: 'TraitsUpdated', data: { traits: { name: `Ada ${label}`, tier: 'gold' } }, metadata: meta(`${label}-traits`, 20) },
    {
      type: 'ConsentChanged',
      data: { channel: 'sms', consent: 'opted_out', source: 'keyword' },
      metadata: meta(`${label}-consent`, 21, 'sms'),
    },
    {
      type: 'NextBestActionDecided',
      data: {
        decisionId,
        customerId,
        action: { kind: 'retention', code: 'call_back', channel: 'sms', detail: 'call them back' },
        contactMode: 'proactive',
        explanation: { ruleId: 'churn', reason: 'said "cancel"', inputs: { matched: 'cancel', 'traits.tier': 'gold' } },
        strategyVersion: 'nba-engine-v3',
        catalogVersion: 'catalog-1',
        seed: 7,
        basedOnRevision: '1',
        basedOnEventId,
        segment: 'all',
        outcomes: {},
        menu: [],
      },
      metadata: { ...meta(decisionId, 22), eventId: decisionId, schemaVersion: 3 },
    },
    {
      type: 'NbaOutcomeRecorded',
      data: { decisionId, actionId: 'call_back', outcome: 'accepted', segment: 'all', channel: 'sms', source: 'agent' },
      metadata: meta(`${label}-outcome`, 23),
    },
  ];
}

/** The streams projected into the timeline read model, as the projector does. */
async function project(customerIds: readonly string[]): Promise<void> {
  for (const customerId of customerIds) {
    const changes = (await stores.store.readStream(customerStream(tenant, customerId)))
      .map((e) => ({ e, event: toCustomerEvent(e) }))
      .map(({ e, event }) => event && timelineChangeFor(tenant, customerId, e.revision, event))
      .filter((c): c is TimelineChange => c !== undefined);
    await timeline.apply(changes);
  }
}

/** What the event store holds for these customers, read directly: opened, and as stored (sealed). */
async function held(customerIds: readonly string[]): Promise<{ opened: SubjectEvent[]; sealed: Map<string, unknown> }> {
  const opened: SubjectEvent[] = [];
  const sealed = new Map<string, unknown>();
  for (const customerId of customerIds) {
    const stream = customerStream(tenant, customerId);
    for (const e of await stores.store.readStream(stream))
      opened.push({
        customerId,
        stream,
        revision: e.revision.toString(),
        globalPosition: e.globalPosition.toString(),
        eventId: e.eventId,
        type: e.type,
        storedAt: e.createdAt.toISOString(),
        data: e.data,
        metadata: e.metadata,
      });
    for (const e of await stores.raw.readStream(stream)) sealed.set(e.eventId, e.data);
  }
  opened.sort((a, b) => (BigInt(a.globalPosition) < BigInt(b.globalPosition) ? -1 : 1));
  return { opened, sealed };
}

/** Two customers recorded from their interactions, then merged on a paid order: the survivor's export holds both records. */
async function mergedPerson(label: string) {
  const [phoneA, phoneB] = [newPhone(), newPhone()];
  const a1 = await recordInteraction(stores, interaction(`${label}-a1`, [phoneA], `my order is late ${label}`, 1), at(1));
  await recordInteraction(stores, interaction(`${label}-a2`, [phoneA], `still waiting ${label}`, 2), at(2));
  const b1 = await recordInteraction(stores, interaction(`${label}-b1`, [phoneB], `hello from my work phone ${label}`, 3), at(3));
  await stores.customers.append(tenant, a1.customerId, facts(a1.customerId, `${label}-a`, a1.events[0]!.metadata.eventId));
  await project([a1.customerId, b1.customerId]);
  const merge = await mergeCustomers(stores, {
    tenantId: tenant,
    customerIds: [a1.customerId, b1.customerId],
    evidence: { source: 'paid_order', detail: `order ${label} paid with both numbers`, identities: [phoneA, phoneB] },
    requestId: `${label}-merge`,
    now: at(30),
  });
  expect(merge.outcome).toBe('merged');
  const merged = merge.survivor.find((e) => e.type === 'CustomersMerged');
  if (merged?.type !== 'CustomersMerged') throw new Error('no CustomersMerged');
  await timeline.merge(tenant, merged.data.mergedId, merged.data.survivorId);
  return { survivorId: merged.data.survivorId, mergedId: merged.data.mergedId, firstId: a1.customerId, phones: [phoneA, phoneB], label };
}

describe('the subject access export', () => {
  describe('when the person is two customer records merged into one', () => {
    it('then it holds every event of both streams, opened, exactly as the store holds them, with the state, identities, facts and timeline', async () => {
      const person = await mergedPerson(randomUUID().slice(0, 8));
      const res = await exportOf(person.survivorId);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
      expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="subject-access-.+\.json"$/);
      expect(res.headers.get('cache-control')).toBe('no-store');
      const doc = res.body;
      expect(doc).toMatchObject({ format: SUBJECT_ACCESS_FORMAT, tenantId: tenant, customerId: person.survivorId, status: 'active' });
      expect(doc.erasure).toBeNull();
      expect(doc.records.map((r) => [r.customerId, r.role, r.erasure])).toEqual([
        [person.survivorId, 'subject', null],
        [person.mergedId, 'merged_in', null],
      ]);

      // Every event of both streams, nothing missing, nothing extra, in the store's order, opened.
      const store = await held([person.survivorId, person.mergedId]);
      expect(doc.events).toEqual(store.opened);
      expect(doc.counts).toMatchObject({ records: 2, events: store.opened.length });
      for (const r of doc.records) expect(r.events).toBe(store.opened.filter((e) => e.customerId === r.customerId).length);
      // Opened: the store sealed the personal fields; the export shows them in clear, and no envelope.
      const texts = doc.events
        .filter((e) => e.type === 'InteractionRecorded')
        .map((e) => (e.data as { content: { text: string } }).content.text);
      expect(texts.sort()).toEqual(
        [`hello from my work phone ${person.label}`, `my order is late ${person.label}`, `still waiting ${person.label}`].sort(),
      );
      for (const e of doc.events.filter((x) => x.type === 'InteractionRecorded'))
        expect(JSON.stringify(store.sealed.get(e.eventId))).not.toContain((e.data as { content: { text: string } }).content.text);
      expect(JSON.stringify(doc)).not.toContain('enc:v1:');
      expect(JSON.stringify(doc)).not.toContain('[erased]');

      // The state folded from exactly those events is what every read of the hub folds.
      const loaded = await stores.customers.load(tenant, person.survivorId);
      expect(doc.state).toEqual({ revision: loaded.revision.toString(), value: JSON.parse(JSON.stringify(loaded.state)) });
      expect(doc.identities.map((i) => [i.value, i.heldBy]).sort()).toEqual(person.phones.map((p) => [p.value, person.survivorId]).sort());
      expect(doc.consent.current).toEqual({ sms: 'opted_out' });
      expect(doc.traits.values).toEqual({ name: `Ada ${person.label}-a`, tier: 'gold' });
      expect(doc.decisions).toEqual([
        expect.objectContaining({ data: expect.objectContaining({ explanation: expect.objectContaining({ reason: 'said "cancel"' }) }) }),
      ]);
      expect(doc.outcomes).toEqual([
        expect.objectContaining({ decisionId: doc.decisions[0]!.decisionId, data: expect.objectContaining({ outcome: 'accepted' }) }),
      ]);
      // Recorded merged customer first (CustomerMergedInto), then the survivor (CustomersMerged).
      expect(doc.mergeHistory.map((m) => [m.type, m.customerId])).toEqual([
        ['CustomerMergedInto', person.mergedId],
        ['CustomersMerged', person.survivorId],
      ]);
      expect(doc.mergeHistory[1]!.data).toMatchObject({ evidence: { detail: `order ${person.label} paid with both numbers` } });

      // The timeline read model: every interaction of both records, opened as the projector wrote it.
      const interactions = store.opened.filter((e) => e.type === 'InteractionRecorded');
      expect(doc.timeline!.map((t) => t.eventId).sort()).toEqual(interactions.map((e) => e.eventId).sort());
      expect(doc.counts.timelineEntries).toBe(interactions.length);

      // The record merged away is exported as what it is: merged into the survivor, its own stream only.
      const away = (await exportOf(person.mergedId)).body;
      expect(away).toMatchObject({ status: 'merged', mergedInto: person.survivorId, erasure: null });
      expect(away.records.map((r) => r.customerId)).toEqual([person.mergedId]);
      expect(away.events).toEqual(await held([person.mergedId]).then((h) => h.opened));
    });
  });

  describe('when the person was erased', () => {
    it('then one erasure of the survivor erases the record merged into it too: the export lists every event the store still holds and nothing of the person reads', async () => {
      const person = await mergedPerson(randomUUID().slice(0, 8));
      const before = await held([person.survivorId, person.mergedId]);
      const eraseSurvivor = () =>
        fetch(`${url}/tenants/${tenant}/customers/${person.survivorId}/erase`, {
          method: 'POST',
          headers: { authorization: `Bearer ${eraseKey}`, 'content-type': 'application/json' },
          body: JSON.stringify({ reason: 'gdpr-art17', requestedBy: 'dpo-1' }),
        });
      const erase = await eraseSurvivor();
      expect(erase.status).toBe(200);
      const answer = (await erase.json()) as {
        duplicate: boolean;
        mergedInto: string | null;
        records: { customerId: string; cascadeOf: string | null; keyDestroyed: boolean; duplicate: boolean; purged: { entries: number } }[];
      };
      expect(answer).toMatchObject({ erased: true, keyDestroyed: true, duplicate: false, mergedInto: null });
      expect(answer.records.map((r) => [r.customerId, r.cascadeOf, r.keyDestroyed, r.duplicate])).toEqual([
        [person.survivorId, null, true, false],
        [person.mergedId, person.survivorId, true, false],
      ]);
      // The merged-in record's one interaction was in the read model; the answer says it went.
      expect(answer.records[1]!.purged.entries).toBe(1);

      const res = await exportOf(person.survivorId);
      expect(res.status).toBe(200);
      const doc = res.body;
      expect(doc.status).toBe('erased');
      expect(doc.erasure).toMatchObject({
        customerId: person.survivorId,
        reason: 'gdpr-art17',
        requestedBy: 'dpo-1',
        cascadeOf: null,
        personalFieldsReadable: false,
        marker: '[erased]',
        mergedInNotErased: [],
      });
      expect(doc.erasure!.note).toContain(`(${person.mergedId}) are erased too`);
      expect(doc.records.map((r) => [r.customerId, r.role, r.erasure?.reason, r.erasure?.cascadeOf])).toEqual([
        [person.survivorId, 'subject', 'gdpr-art17', null],
        [person.mergedId, 'merged_in', 'gdpr-art17', person.survivorId],
      ]);

      // Still exactly what the store holds (now one CustomerErased more in each record), nothing dropped.
      const after = await held([person.survivorId, person.mergedId]);
      expect(doc.events).toEqual(after.opened);
      const erasedIds = doc.records.map((r) => r.erasure!.eventId);
      expect(doc.events.map((e) => e.eventId)).toEqual([...before.opened.map((e) => e.eventId), ...erasedIds]);
      expect(doc.events.slice(-2)).toEqual([
        expect.objectContaining({
          customerId: person.survivorId,
          type: 'CustomerErased',
          data: { customerId: person.survivorId, reason: 'gdpr-art17', requestedBy: 'dpo-1' },
        }),
        expect.objectContaining({
          customerId: person.mergedId,
          type: 'CustomerErased',
          data: { customerId: person.mergedId, reason: 'gdpr-art17', requestedBy: 'dpo-1', cascadeOf: person.survivorId },
        }),
      ]);
      // Every sealed field of both records reads as [erased]: nothing the person wrote or was known by is left.
      expect(person.survivorId).toBe(person.firstId);
      const texts = doc.events
        .filter((e) => e.type === 'InteractionRecorded')
        .map((e) => (e.data as { content: { text: string } }).content.text);
      expect(texts).toEqual(['[erased]', '[erased]', '[erased]']);
      const text = JSON.stringify(doc);
      for (const words of [
        'my order is late',
        'still waiting',
        'hello from my work phone',
        `Ada ${person.label}`,
        'cancel',
        `order ${person.label} paid`,
        ...person.phones.map((p) => p.value),
      ])
        expect(text).not.toContain(words);
      // An erased customer holds no identity any more (their claims were released), and the read model has no row of either record.
      expect(doc.identities).toEqual([]);
      expect(doc.timeline).toEqual([]);
      // The record merged in, exported by its own id, says the same.
      const away = (await exportOf(person.mergedId)).body;
      expect(away).toMatchObject({ status: 'erased', erasure: { cascadeOf: person.survivorId, mergedInNotErased: [] } });

      // Erasing again writes nothing: every record is a duplicate, and the export is unchanged.
      const again = await eraseSurvivor();
      expect(again.status).toBe(200);
      expect(await again.json()).toMatchObject({
        duplicate: true,
        keyDestroyed: false,
        records: [
          { customerId: person.survivorId, duplicate: true, keyDestroyed: false },
          { customerId: person.mergedId, duplicate: true, keyDestroyed: false },
        ],
      });
      const unchanged = (await exportOf(person.survivorId)).body;
      expect(unchanged.events).toEqual(doc.events);
      expect(unchanged.records).toEqual(doc.records);
    });
  });

  describe('when the key may not read a whole record', () => {
    it('then a read/write key gets 403 erase_scope_required, another tenant 404, and an unknown customer 404', async () => {
      const person = await mergedPerson(randomUUID().slice(0, 8));
      const read = await fetch(`${url}/tenants/${tenant}/customers/${person.survivorId}/access-export`, {
        headers: { authorization: `Bearer ${readKey}` },
      });
      expect(read.status).toBe(403);
      expect(await read.json()).toEqual({ error: 'forbidden', reason: 'erase_scope_required', scope: 'erase' });
      const other = await fetch(`${url}/tenants/${tenant}/customers/${person.survivorId}/access-export`, {
        headers: { authorization: `Bearer ${otherKey}` },
      });
      expect(other.status).toBe(404);
      const unknown = await fetch(`${url}/tenants/${tenant}/customers/${freshId('nobody')}/access-export`, {
        headers: { authorization: `Bearer ${eraseKey}` },
      });
      expect(unknown.status).toBe(404);
    });
  });
});
