import type { IdentityRef } from '@hub/contracts';
import type { CustomerEvent, InteractionRecorded, NextBestActionDecided } from '../events/customer.events';
import { decideMerge, decideUnmerge, previewMerge } from '../merge/merge.decide';
import { DEFAULT_MERGE_POLICY } from '../merge/merge.policy';
import { foldCustomer } from '../state/customer.evolve';
import type { CustomerState } from '../state/customer.state';
import {
  consentChanged,
  conversationResolved,
  EMAIL_CHANNEL,
  inbound,
  meta,
  orderPlaced,
  orderRefunded,
  outbound,
  prng,
  registered,
  SMS,
  surveyAnswered,
  TENANT,
  traitsUpdated,
  WHATSAPP,
} from '../testing';
import { customersMergedIn, foldWholeHistory, historyMembers, wholeHistory, type HistoryEvent } from './whole-history';

const BASE = Date.parse('2025-03-01T00:00:00.000Z');
const key = (i: IdentityRef) => `${i.kind}:${i.namespace ?? ''}:${i.value}`;

/**
 * A small hub, in memory, made of the domain's own pieces: customer streams in one store-wide log
 * (global positions), identity claims, and merges and unmerges decided by `decideMerge` /
 * `decideUnmerge` on the customers' whole states, moving claims as `mergeCustomers` does. Beside it,
 * `oneHistory`: the same events as one customer's stream would have held them.
 */
class Hub {
  private position = 0n;
  readonly streams = new Map<string, HistoryEvent[]>();
  private readonly claims = new Map<string, string>();
  private customers = 0;
  /** Every event of the person in arrival order, registered once: the fold of all their events as one history. */
  readonly oneHistory: CustomerEvent[] = [];
  readonly merges: { mergeId: string; survivorId: string; mergedId: string }[] = [];

  constructor(private readonly rnd: () => number) {}

  private readonly folded = new Map<string, CustomerState>();

  state(customerId: string): CustomerState {
    const kept = this.folded.get(customerId);
    if (kept) return kept;
    const state = foldWholeHistory(customerId, wholeHistory(customerId, this.streams));
    this.folded.set(customerId, state);
    return state;
  }

  active(): string[] {
    return [...this.streams.keys()].filter((id) => this.state(id).status === 'active');
  }

  private append(customerId: string, events: readonly CustomerEvent[]): void {
    this.folded.clear();
    const stream = this.streams.get(customerId) ?? [];
    for (const event of events) stream.push({ customerId, revision: BigInt(stream.length), position: this.position++, event });
    this.streams.set(customerId, stream);
  }

  /** What the recorder does: resolve the identity to its customer (registering a new one), then append. */
  arrive(identity: IdentityRef, events: CustomerEvent[]): string {
    let customerId = this.claims.get(key(identity));
    if (!customerId) {
      customerId = `c-${++this.customers}`;
      this.claims.set(key(identity), customerId);
      const at = events[0]!.metadata.occurredAt;
      const registration = registered(customerId, at, identity);
      this.append(customerId, [registration]);
      if (!this.oneHistory.some((e) => e.type === 'CustomerRegistered')) this.oneHistory.push(registration);
    }
    this.append(customerId, events);
    this.oneHistory.push(...events);
    return customerId;
  }

  /**
   * What the recorder does with an interaction naming several identities (a contact card, an order's
   * email and phone): the customer of the first one somebody holds (else a new one, claiming the
   * first); the others nobody holds are linked to them; those another customer holds are merge
   * evidence, not theirs — the interaction says so (`identitiesHeldByOthers`).
   */
  arriveNaming(named: IdentityRef[], interaction: InteractionRecorded): string {
    const holder = named.map((i) => this.claims.get(key(i))).find((c) => c !== undefined);
    const customerId = holder ?? `c-${++this.customers}`;
    if (holder === undefined) {
      this.claims.set(key(named[0]!), customerId);
      this.append(customerId, [registered(customerId, interaction.metadata.occurredAt, named[0])]);
    }
    const heldByOthers = named.filter((i) => (this.claims.get(key(i)) ?? customerId) !== customerId);
    for (const i of named) if (!this.claims.has(key(i))) this.claims.set(key(i), customerId);
    const recorded: InteractionRecorded = {
      ...interaction,
      data: { ...interaction.data, identities: named, ...(heldByOthers.length ? { identitiesHeldByOthers: heldByOthers } : {}) },
    };
    this.append(customerId, [recorded]);
    return customerId;
  }

  /** The identities whose claim names the customer, as a sorted list of keys. */
  claimedBy(customerId: string): string[] {
    return [...this.claims]
      .filter(([, owner]) => owner === customerId)
      .map(([k]) => k)
      .sort();
  }

  merge(a: string, b: string, now: string, requestId: string): { mergeId: string; survivorId: string; mergedId: string } {
    const evidence = { source: 'agent_confirmed', detail: requestId, identities: [] };
    const preview = previewMerge(this.state(a), this.state(b), evidence, DEFAULT_MERGE_POLICY);
    const decision = decideMerge(
      {
        tenantId: TENANT,
        survivorId: preview.survivorId,
        mergedId: preview.mergedId,
        evidence,
        causationId: requestId,
        correlationId: requestId,
      },
      this.state(preview.survivorId),
      this.state(preview.mergedId),
      DEFAULT_MERGE_POLICY,
      now,
    );
    expect(decision.outcome).toBe('merged');
    this.append(preview.mergedId, decision.merged);
    this.append(preview.survivorId, decision.survivor);
    const into = decision.merged.find((e) => e.type === 'CustomerMergedInto');
    for (const i of into?.type === 'CustomerMergedInto' ? into.data.identitiesHandedOver : []) this.claims.set(key(i), preview.survivorId);
    const merge = { mergeId: decision.mergeId, survivorId: preview.survivorId, mergedId: preview.mergedId };
    this.merges.push(merge);
    return merge;
  }

  unmerge(survivorId: string, mergeId: string, now: string): string {
    const record = this.state(survivorId).merges.find((m) => m.mergeId === mergeId && m.role === 'survivor')!;
    const decision = decideUnmerge(
      { tenantId: TENANT, mergeId, reason: 'two people', causationId: `undo-${mergeId}`, correlationId: `undo-${mergeId}` },
      this.state(survivorId),
      this.state(record.otherId),
      now,
    );
    expect(decision.outcome).toBe('unmerged');
    this.append(record.otherId, decision.restored);
    this.append(survivorId, decision.survivor);
    for (const i of record.identities) this.claims.set(key(i), record.otherId);
    return record.otherId;
  }

  /** A merge still in force whose survivor is not itself merged (so it may be undone). */
  undoable(): { mergeId: string; survivorId: string } | undefined {
    const open = this.merges.filter((m) => {
      const s = this.state(m.survivorId);
      return s.status === 'active' && s.merges.some((r) => r.mergeId === m.mergeId && r.role === 'survivor' && r.unmergedAt === undefined);
    });
    return open.length ? open[Math.floor(this.rnd() * open.length)] : undefined;
  }
}

/** The events one contact brings: an interaction via `identity`, and sometimes a fact beside it. Times jump (late arrivals). */
function contact(rnd: () => number, n: number, identity: IdentityRef): CustomerEvent[] {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const at = new Date(BASE + Math.floor(rnd() * 20) * 3_600_000 * 6 + Math.floor(rnd() * 4) * 60_000).toISOString();
  const id = `e-${n}`;
  const channel = identity.kind === 'email' ? EMAIL_CHANNEL : pick([SMS, WHATSAPP]);
  const threadId = pick([undefined, 'T1']);
  const events: CustomerEvent[] = [
    rnd() < 0.8
      ? inbound(id, at, {
          channel,
          identities: [identity],
          text: pick(['hi', 'STOP', 'START', 'refund please', 'thanks']),
          ...(threadId ? { threadId } : {}),
        })
      : outbound(id, at, { channel, identities: [identity], text: 'reply' }),
  ];
  const fact = `${id}-fact`;
  switch (Math.floor(rnd() * 9)) {
    case 0:
      events.push(consentChanged(fact, at, pick(['opted_in', 'opted_out'] as const), { channel }));
      break;
    case 1:
      events.push(traitsUpdated(fact, at, { [pick(['tier', 'language'])]: pick(['gold', 'de', null]) }));
      break;
    case 2:
      events.push(surveyAnswered(fact, at, 'csat', 1 + Math.floor(rnd() * 5)));
      break;
    case 3:
      events.push(surveyAnswered(fact, at, 'nps', Math.floor(rnd() * 11)));
      break;
    case 4:
      events.push(orderPlaced(fact, at, `o-${Math.floor(rnd() * 5)}`, 1000 + Math.floor(rnd() * 9000)));
      break;
    case 5:
      events.push(orderRefunded(fact, at, `o-${Math.floor(rnd() * 5)}`, 500));
      break;
    case 6:
      events.push(conversationResolved(fact, at, { channel, ...(threadId ? { threadId } : {}) }));
      break;
    case 7:
      events.push(decided(fact, at));
      break;
    default:
  }
  return events;
}

function decided(id: string, at: string): NextBestActionDecided {
  return {
    type: 'NextBestActionDecided',
    data: {
      decisionId: id,
      customerId: 'any',
      action: { kind: 'service', code: 'reply', detail: '' },
      explanation: { ruleId: 'r', reason: '', inputs: {} },
      strategyVersion: 's',
      catalogVersion: null,
      seed: null,
      basedOnRevision: '0',
      basedOnEventId: id,
      contactMode: 'reply',
      segment: null,
      arbitration: null,
    },
    metadata: meta(id, at),
  };
}

/** What describes the person, not which record holds them: ids and merge bookkeeping left out, identities as a set. */
function personOf(s: CustomerState) {
  const {
    customerId: _c,
    tenantId: _t,
    status: _s,
    mergedFrom: _f,
    merges: _m,
    mergeProposals: _p,
    mergedInto: _i,
    identities,
    ...rest
  } = s;
  return { ...rest, identities: identities.map(key).sort() };
}

const identitiesOf = (rnd: () => number): IdentityRef[] => {
  const all: IdentityRef[] = [
    { kind: 'phone', value: '+14155550101' },
    { kind: 'email', value: 'dana@example.com' },
    { kind: 'phone', value: '+447700900123' },
    { kind: 'email', value: 'd.r@example.org' },
  ];
  return all.slice(0, 2 + Math.floor(rnd() * 3));
};

/** One run of the first property; says what the run went through. */
function oneHistoryProperty(seed: number): { mergedMidway: boolean; unmerged: boolean; nested: boolean } {
  const rnd = prng(seed);
  const hub = new Hub(rnd);
  const identities = identitiesOf(rnd);
  const steps = 5 + Math.floor(rnd() * 30);
  const now = (n: number) => new Date(BASE + 30 * 86_400_000 + n * 60_000).toISOString();
  for (let n = 0; n < steps; n++) {
    const identity = identities[Math.floor(rnd() * identities.length)]!;
    hub.arrive(identity, contact(rnd, n, identity));
    const active = hub.active();
    const r = rnd();
    if (r < 0.2 && active.length >= 2) hub.merge(active[0]!, active[1 + Math.floor(rnd() * (active.length - 1))]!, now(n), `merge-${n}`);
    else if (r < 0.3) {
      const undo = hub.undoable();
      if (undo) hub.unmerge(undo.survivorId, undo.mergeId, now(n));
    }
  }
  const midway = hub.merges.length;
  // In the end they turn out to be one person.
  let active = hub.active();
  for (let n = 0; active.length > 1; n++, active = hub.active()) hub.merge(active[0]!, active[1]!, now(steps + n), `final-${n}`);
  const [survivor] = active;
  const whole = hub.state(survivor!);
  const one = foldCustomer(hub.oneHistory);
  expect({ seed, person: personOf(whole) }).toEqual({ seed, person: personOf(one) });
  expect(whole).toMatchObject({ status: 'active', customerId: survivor });
  // Every customer that existed is in it, once.
  expect(historyMembers(survivor!, hub.streams).sort()).toEqual([...hub.streams.keys()].sort());
  for (const id of hub.streams.keys()) if (id !== survivor) expect(hub.state(id)).toMatchObject({ status: 'merged' });
  return {
    mergedMidway: midway > 0,
    unmerged: [...hub.streams.values()].some((s) => s.some((h) => h.event.type === 'CustomerUnmerged')),
    nested: hub.merges.some((m) => hub.merges.some((n) => n.survivorId === m.mergedId)),
  };
}

/** One run of the second property; true when one of the two held others merged in. */
function mergeThenUnmerge(seed: number): boolean {
  const rnd = prng(seed * 7919);
  const hub = new Hub(rnd);
  const identities = identitiesOf(rnd);
  for (let n = 0; n < 4 + Math.floor(rnd() * 20); n++) {
    const identity = identities[Math.floor(rnd() * identities.length)]!;
    hub.arrive(identity, contact(rnd, n, identity));
    const active = hub.active();
    if (rnd() < 0.15 && active.length >= 3) hub.merge(active[0]!, active[1]!, new Date(BASE + n).toISOString(), `m-${n}`);
  }
  const active = hub.active();
  if (active.length < 2) return false;
  const [a, b] = [active[0]!, active.at(-1)!];
  const before = { [a]: hub.state(a), [b]: hub.state(b) };
  const held = before[a]!.mergedFrom.length + before[b]!.mergedFrom.length > 0;
  const { survivorId, mergedId, mergeId } = hub.merge(a, b, new Date(BASE + 40 * 86_400_000).toISOString(), 'the-merge');
  const merged = hub.state(survivorId);
  expect(merged.engagement.total).toBe(before[a]!.engagement.total + before[b]!.engagement.total);
  expect(merged.value.orders).toBe(new Set([...before[a]!.value.orderIds, ...before[b]!.value.orderIds]).size);
  expect(customersMergedIn(hub.streams.get(survivorId)!.map((h) => h.event))).toContain(mergedId);

  hub.unmerge(survivorId, mergeId, new Date(BASE + 41 * 86_400_000).toISOString());
  for (const id of [a, b]) {
    const after = hub.state(id);
    expect({ seed, person: personOf(after) }).toEqual({ seed, person: personOf(before[id]!) });
    expect(after.status).toBe('active');
    expect(after.mergedFrom).toEqual(before[id]!.mergedFrom);
  }
  return held;
}

/**
 * One run of the third property: interactions naming one or two identities (some held by another
 * customer), merges and unmerges at random; after every step each active customer's state lists
 * exactly the identities the claims give them. Returns how many interactions named another's identity.
 */
function identitiesAgreeWithClaims(seed: number): number {
  const rnd = prng(seed * 104_729);
  const hub = new Hub(rnd);
  const identities = identitiesOf(rnd);
  let evidence = 0;
  for (let n = 0; n < 5 + Math.floor(rnd() * 25); n++) {
    const first = identities[Math.floor(rnd() * identities.length)]!;
    const second = identities[Math.floor(rnd() * identities.length)]!;
    const named = rnd() < 0.5 && key(second) !== key(first) ? [first, second] : [first];
    const [interaction] = contact(rnd, n, first) as [InteractionRecorded];
    const customerId = hub.arriveNaming(named, interaction);
    if (named.some((i) => hub.claimedBy(customerId).indexOf(key(i)) < 0)) evidence++;
    const active = hub.active();
    const r = rnd();
    const at = new Date(BASE + 30 * 86_400_000 + n * 60_000).toISOString();
    if (r < 0.2 && active.length >= 2) hub.merge(active[0]!, active.at(-1)!, at, `merge-${n}`);
    else if (r < 0.35) {
      const undo = hub.undoable();
      if (undo) hub.unmerge(undo.survivorId, undo.mergeId, at);
    }
    for (const id of hub.active())
      expect({ seed, n, id, identities: hub.state(id).identities.map(key).sort() }).toEqual({ seed, n, id, identities: hub.claimedBy(id) });
  }
  return evidence;
}

const SEEDS = Array.from({ length: 150 }, (_, i) => i + 1);

describe('a customer’s whole history', () => {
  describe('given interactions spread over identities that turn out to be one person, arriving in any order, merged at any point', () => {
    it('then the merged customer’s state is the fold of all their events as one history', () => {
      const seen = { mergedMidway: 0, unmerged: 0, nested: 0 };
      for (const seed of SEEDS) {
        const stats = oneHistoryProperty(seed);
        seen.mergedMidway += stats.mergedMidway ? 1 : 0;
        seen.unmerged += stats.unmerged ? 1 : 0;
        seen.nested += stats.nested ? 1 : 0;
      }
      // The generator reaches what matters: merges before the end, undone merges, customers merged into merged ones.
      expect(seen.mergedMidway).toBeGreaterThan(SEEDS.length / 4);
      expect(seen.unmerged).toBeGreaterThan(SEEDS.length / 10);
      expect(seen.nested).toBeGreaterThan(SEEDS.length / 4);
    });
  });

  describe('given two customers, each perhaps holding others merged in, when they are merged and the merge is undone', () => {
    it('then each has again the state it had before', () => {
      let nested = 0;
      for (const seed of SEEDS) nested += mergeThenUnmerge(seed) ? 1 : 0;
      expect(nested).toBeGreaterThan(SEEDS.length / 10);
    });
  });

  describe('given interactions that name identities other customers hold (merge evidence), with merges and unmerges at any point', () => {
    it('then every customer’s state lists exactly the identities the claims give them: they come with a merge and leave with an unmerge', () => {
      let evidence = 0;
      for (const seed of SEEDS) evidence += identitiesAgreeWithClaims(seed);
      expect(evidence).toBeGreaterThan(SEEDS.length / 2);
    });
  });

  describe('given a customer nobody was merged into', () => {
    it('then the whole history is its own stream, and the fold is foldCustomer of it', () => {
      const events = [
        registered('c-1', new Date(BASE).toISOString()),
        inbound('m1', new Date(BASE).toISOString()),
        inbound('m2', new Date(BASE + 1).toISOString()),
      ];
      const streams = new Map([
        ['c-1', events.map((event, i) => ({ customerId: 'c-1', revision: BigInt(i), position: BigInt(10 + i), event }))],
      ]);
      expect(wholeHistory('c-1', streams).map((h) => h.event)).toEqual(events);
      expect(foldWholeHistory('c-1', wholeHistory('c-1', streams))).toEqual(foldCustomer(events));
    });
  });
});
