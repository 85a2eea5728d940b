import { Pool } from 'pg';
import { customerStream, deterministicId, type ChannelId, type IdentityRef, type InteractionReceived } from '@hub/contracts';
import { prng } from '@hub/customer/testing';
import type {
  AppendResult,
  EventStore,
  ExpectedRevision,
  NewEvent,
  ReadStreamOptions,
  RecordedEvent,
  StreamAppend,
  StreamAppendOutcome,
} from '@hub/event-store';
import { freshId, testInfra, TEST_IDENTITY_NAMING } from '@hub/testing';
import { createCustomerStores, type CustomerStores } from './customer-stores';
import { IdentityResolver } from './identity.resolver';
import { recordInteractions } from './record-interactions';

/*
 * Property: identity resolution gives the same customers whatever the partitioning and the timing.
 * One person's interactions each name all of their identities, in any order (the first one, the
 * Kafka key, decides the partition): recorded one after another they make one customer. Here each partition is a recorder of its own (`recordInteractions`,
 * run after run), all running at once, and a seeded turnstile decides in which order their reads
 * and writes of identity claims reach the store: every seed is another interleaving.
 */

let pool: Pool;
let stores: CustomerStores;
const recordedAt = '2026-12-07T10:00:01.000Z';

beforeAll(async () => {
  pool = new Pool({ connectionString: testInfra().databaseUrl, max: 20 });
  stores = await createCustomerStores(pool, { identityNaming: TEST_IDENTITY_NAMING });
});

afterAll(async () => {
  await stores.store.close();
  await pool.end();
});

/**
 * Lets one claim read or write through at a time, and only when every recorder still running is
 * waiting for its turn: then a seeded pick says whose. Same seed, same order of claim operations.
 */
class Turnstile {
  private readonly waiting: { runner: number; go: () => void }[] = [];
  private readonly running = new Set<number>();
  private busy = false;

  constructor(private readonly rnd: () => number) {}

  async run<T>(runners: number, work: (runner: number) => Promise<T>): Promise<T[]> {
    for (let r = 0; r < runners; r++) this.running.add(r);
    return Promise.all(
      Array.from({ length: runners }, async (_, r) => {
        try {
          return await work(r);
        } finally {
          this.running.delete(r);
          this.pump();
        }
      }),
    );
  }

  async turn<T>(runner: number, op: () => Promise<T>): Promise<T> {
    await new Promise<void>((go) => {
      this.waiting.push({ runner, go });
      this.pump();
    });
    try {
      return await op();
    } finally {
      this.busy = false;
      this.pump();
    }
  }

  private pump(): void {
    if (this.busy || this.waiting.length === 0) return;
    const waitingRunners = new Set(this.waiting.map((w) => w.runner));
    if ([...this.running].some((r) => !waitingRunners.has(r))) return;
    const [next] = this.waiting.splice(Math.floor(this.rnd() * this.waiting.length), 1);
    this.busy = true;
    next!.go();
  }
}

/** The store as one recorder's identity resolver sees it: each claim read or write waits for its turn. */
class TurnstileStore implements EventStore {
  constructor(
    private readonly inner: EventStore,
    private readonly turnstile: Turnstile,
    private readonly runner: number,
  ) {}
  appendToStream(stream: string, events: readonly NewEvent[], options?: { expectedRevision?: ExpectedRevision }): Promise<AppendResult> {
    return this.turnstile.turn(this.runner, () => this.inner.appendToStream(stream, events, options));
  }
  readStream(stream: string, options?: ReadStreamOptions): Promise<RecordedEvent[]> {
    return this.turnstile.turn(this.runner, () => this.inner.readStream(stream, options));
  }
  appendToStreams(appends: readonly StreamAppend[]): Promise<StreamAppendOutcome[]> {
    return this.turnstile.turn(this.runner, () => this.inner.appendToStreams(appends));
  }
  readLastEvents(streams: readonly string[]): Promise<Map<string, RecordedEvent>> {
    return this.turnstile.turn(this.runner, () => this.inner.readLastEvents(streams));
  }
  readAll: EventStore['readAll'] = (o) => this.inner.readAll(o);
  lastMatchingEvents: EventStore['lastMatchingEvents'] = (f) => this.inner.lastMatchingEvents(f);
  readEvent: EventStore['readEvent'] = (id, f) => this.inner.readEvent(id, f);
  headPosition: EventStore['headPosition'] = () => this.inner.headPosition();
  countEvents: EventStore['countEvents'] = (r) => this.inner.countEvents(r);
  readPositions: EventStore['readPositions'] = (r) => this.inner.readPositions(r);
  subscribeToAll: EventStore['subscribeToAll'] = (o) => this.inner.subscribeToAll(o);
  setStreamMetadata: EventStore['setStreamMetadata'] = (s, m) => this.inner.setStreamMetadata(s, m);
  getStreamMetadata: EventStore['getStreamMetadata'] = (s) => this.inner.getStreamMetadata(s);
  close = (): Promise<void> => Promise.resolve();
}

const CHANNELS: Record<IdentityRef['kind'], ChannelId> = { phone: 'voice', email: 'email', handle: 'telegram', external: 'commerce' };

function interaction(tenantId: string, label: string, identities: IdentityRef[]): InteractionReceived {
  const eventId = deterministicId('resolution-property', tenantId, label);
  const channel = CHANNELS[identities[0]!.kind];
  return {
    type: 'InteractionReceived',
    data: {
      direction: 'inbound',
      kind: 'message',
      identities,
      content: { text: label, media: [] },
      provider: { name: 'test', messageId: label },
    },
    metadata: {
      eventId,
      correlationId: eventId,
      causationId: eventId,
      occurredAt: '2026-12-07T10:00:00.000Z',
      recordedAt: '2026-12-07T10:00:00.100Z',
      schemaVersion: 1,
      tenantId,
      channel,
    },
  };
}

interface Person {
  identities: IdentityRef[];
  labels: string[];
}

/**
 * A seeded day: a few people, each with one to three identities; each interaction names all of one
 * person's identities, shuffled; some are delivered twice (in the same run or a later one). Partitioned as Kafka
 * keys them (by the first identity), each partition cut into runs of random length.
 */
function generate(seed: number, tenantId: string): { people: Person[]; partitions: InteractionReceived[][][] } {
  const rnd = prng(seed);
  const int = (n: number) => Math.floor(rnd() * n);
  const shuffle = <T>(xs: T[]): T[] => {
    for (let i = xs.length - 1; i > 0; i--) {
      const j = int(i + 1);
      [xs[i], xs[j]] = [xs[j]!, xs[i]!];
    }
    return xs;
  };
  const people: Person[] = Array.from({ length: 1 + int(3) }, (_, p) => {
    const all: IdentityRef[] = [
      { kind: 'phone', value: `+1415555${String(seed % 100).padStart(2, '0')}${p}${int(10)}` },
      { kind: 'email', value: `person${p}.${seed}@example.com` },
      { kind: 'handle', namespace: 'telegram', value: `${seed}${p}${int(1000)}` },
    ];
    return { identities: shuffle(all).slice(0, 1 + int(3)), labels: [] };
  });
  const day: InteractionReceived[] = [];
  for (let n = 0; n < 4 + int(8); n++) {
    const person = people[int(people.length)]!;
    const named = shuffle([...person.identities]);
    const label = `${tenantId}-${n}`;
    person.labels.push(label);
    day.push(interaction(tenantId, label, named));
  }
  // Redeliveries: some interactions again, later in the day.
  for (const i of [...day]) if (rnd() < 0.2) day.splice(day.indexOf(i) + 1 + int(day.length - day.indexOf(i)), 0, i);

  const count = 2 + int(2);
  const partitions: InteractionReceived[][] = Array.from({ length: count }, () => []);
  const key = (i: InteractionReceived) => {
    const id = i.data.identities[0]!;
    return [...`${tenantId}|${id.kind}|${id.namespace ?? ''}|${id.value}`].reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 7);
  };
  for (const i of day) partitions[key(i) % count]!.push(i);
  return {
    people,
    partitions: partitions.map((events) => {
      const runs: InteractionReceived[][] = [];
      for (let at = 0; at < events.length; ) {
        const length = 1 + int(3);
        runs.push(events.slice(at, at + length));
        at += length;
      }
      return runs;
    }),
  };
}

describe('identity resolution under concurrency', () => {
  describe('when one person’s interactions, each naming all of their identities in any order, are recorded by several partitions at once', () => {
    it.each(Array.from({ length: 40 }, (_, i) => i + 1))(
      'makes one customer per person, whatever the interleaving (seed %i)',
      async (seed) => {
        const tenantId = freshId('prop');
        const { people, partitions } = generate(seed, tenantId);
        const turnstile = new Turnstile(prng(seed * 7919));
        const recorded = await turnstile.run(partitions.length, async (p) => {
          const deps = {
            customers: stores.customers,
            identities: new IdentityResolver(new TurnstileStore(stores.store, turnstile, p), TEST_IDENTITY_NAMING),
          };
          const out: { label: string; customerId: string }[] = [];
          for (const run of partitions[p]!) {
            const results = await recordInteractions(deps, run, recordedAt);
            results.forEach((r, n) => out.push({ label: run[n]!.data.provider.messageId, customerId: r.customerId }));
          }
          return out;
        });

        const customers = new Set<string>();
        for (const person of people.filter((p) => p.labels.length > 0)) {
          const owners = new Set(await Promise.all(person.identities.map((i) => stores.identities.ownerOf(tenantId, i))));
          owners.delete(undefined);
          expect(owners.size).toBe(1);
          const [customerId] = [...owners] as string[];
          customers.add(customerId!);
          expect(
            recorded
              .flat()
              .filter((r) => person.labels.includes(r.label))
              .map((r) => r.customerId),
          ).toEqual(
            recorded
              .flat()
              .filter((r) => person.labels.includes(r.label))
              .map(() => customerId),
          );
          const stream = await stores.store.readStream(customerStream(tenantId, customerId!));
          const types = stream.map((e) => e.type);
          expect(types.filter((t) => t === 'CustomerRegistered')).toHaveLength(1);
          expect(types.filter((t) => t === 'MergeProposed')).toEqual([]);
          expect(
            stream
              .filter((e) => e.type === 'InteractionRecorded')
              .map((e) => (e.data as { provider: { messageId: string } }).provider.messageId)
              .sort(),
          ).toEqual([...person.labels].sort());
        }
        expect(customers.size).toBe(people.filter((p) => p.labels.length > 0).length);
      },
    );
  });
});
