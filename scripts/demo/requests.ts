import type { WebhookRequest } from '@hub/channels-core';
import { CONFORMANCE_FORGED_SECRET, type ChannelTestSetup } from '@hub/channels-core/testing';
import { CHANNEL_TEST_SETUPS } from '@hub/channel-registry/testing';
import type { IngestChannelId } from '@hub/contracts';
import { builderFor } from './builders';
import type { DayPlan, PlannedDelivery, ProviderKey } from './day-plan';

/** What the hub should make of a request: the demo's summary measures what it did. */
export type Expectation = 'accepted' | 'redelivery' | 'forged' | 'malformed' | 'unmappable' | 'oversized';

/** One request of the day, its body built, ready to be signed as its provider signs. */
export interface DemoRequest {
  seq: number;
  at: string;
  provider: ProviderKey;
  channel: IngestChannelId;
  personId: string;
  /** The body in the shape the provider's test setup `sign` takes. */
  payload: Record<string, unknown>;
  expect: Expectation;
  /** For `malformed`: the fields the 400 names. */
  fields?: string[];
  /** For a retry: the request it repeats. */
  redeliveryOf?: number;
}

/** The plan's deliveries as requests, in sending order. Pure. */
export function buildRequests(plan: DayPlan): DemoRequest[] {
  const people = new Map(plan.people.map((p) => [p.id, p]));
  const build = (d: PlannedDelivery): Pick<DemoRequest, 'payload' | 'expect' | 'fields'> => {
    const person = people.get(d.personId);
    if (!person) throw new Error(`delivery ${d.seq}: unknown person ${d.personId}`);
    const ctx = { person, seed: plan.options.seed };
    const builder = builderFor(d.provider);
    switch (d.fault) {
      case undefined:
        return { payload: builder.build(d, ctx), expect: 'accepted' };
      case 'forged':
        return { payload: builder.build(d, ctx), expect: 'forged' };
      case 'malformed': {
        const { payload, fields } = builder.malformed(d, ctx);
        return { payload, expect: 'malformed', fields };
      }
      case 'unmappable':
        return { payload: builder.unmappable(d, ctx), expect: 'unmappable' };
      case 'oversized': {
        if (!builder.oversized) throw new Error(`${d.provider} has no oversized body`);
        return { payload: builder.oversized(d, ctx), expect: 'oversized' };
      }
      default: {
        const exhaustive: never = d.fault;
        throw new Error(`unknown fault ${String(exhaustive)}`);
      }
    }
  };
  return plan.deliveries.map((d) => {
    const base = { seq: d.seq, at: d.at, provider: d.provider, channel: d.channel, personId: d.personId };
    if (d.redeliveryOf === undefined) return { ...base, ...build(d) };
    // A provider retry re-sends the original body as it was.
    const original = plan.deliveries[d.redeliveryOf]!;
    return { ...base, payload: build(original).payload, expect: 'redelivery', redeliveryOf: d.redeliveryOf };
  });
}

/** The provider's test setup: its app's env (secrets), its `sign`, its adapter definition and config. */
export function setupFor(provider: ProviderKey): ChannelTestSetup<object> {
  const [channel, name] = provider.split(':') as [IngestChannelId, string];
  const setup = (CHANNEL_TEST_SETUPS[channel] as readonly ChannelTestSetup<object>[]).find((s) => s.definition.manifest.provider === name);
  if (!setup) throw new Error(`no test setup for ${provider}`);
  return setup;
}

/** The request exactly as the provider sends it, signed now (forged ones with a secret the hub does not have). */
export function signRequest(request: DemoRequest): WebhookRequest {
  return setupFor(request.provider).sign(request.payload, request.expect === 'forged' ? { secret: CONFORMANCE_FORGED_SECRET } : {});
}
