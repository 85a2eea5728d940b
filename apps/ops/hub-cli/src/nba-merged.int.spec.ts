import { deterministicId, type ChannelId, type IdentityRef, type InteractionReceived } from '@hub/contracts';
import { foldWholeHistory } from '@hub/customer';
import { recordInteraction } from '@hub/customer-records';
import { buildDecisionInput, catalogV1, contactHistoryFrom, decide, decidedEvent, type Decision } from '@hub/nba';
import { freshId } from '@hub/testing';
import { cliWorld, runCli, type CliWorld } from './testing/cli-harness';

jest.setTimeout(120_000);

const PHONE: IdentityRef = { kind: 'phone', value: '+14155550177' };
const EMAIL: IdentityRef = { kind: 'email', value: 'erin@example.com' };
const at = (minute: number) => new Date(Date.parse('2025-05-12T10:00:00.000Z') + minute * 60_000).toISOString();

let world: CliWorld;
const tenant = freshId('nbam').toLowerCase();

function interaction(
  key: string,
  minute: number,
  channel: ChannelId,
  identities: IdentityRef[],
  text: string,
  extra: Partial<InteractionReceived['data']> = {},
): InteractionReceived {
  const eventId = deterministicId('hub-cli-nba-merged', tenant, key);
  return {
    type: 'InteractionReceived',
    data: {
      direction: 'inbound',
      kind: 'message',
      identities,
      content: { text, media: [] },
      provider: { name: 'test', messageId: key },
      ...extra,
    },
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

/**
 * The NBA worker's steps for a customer others were merged into (NbaDecideJob over DecisionFoldCache):
 * the whole history read (`readWholeHistory`), the state folded over it (`foldWholeHistory`), the
 * contact history over every event, the latest trigger answered, the decision appended after the
 * customer's own last revision.
 */
async function decideAsTheWorker(customerId: string, now: string): Promise<Decision> {
  const { customers } = world.stores;
  const { own, history } = await customers.readWholeHistory(tenant, customerId);
  const events = history.map((h) => h.event);
  const revision = own.at(-1)!.revision;
  const input = buildDecisionInput({
    tenantId: tenant,
    customerId,
    events,
    revision,
    catalog: catalogV1(),
    outcomes: {},
    now,
    folded: { state: foldWholeHistory(customerId, history), history: contactHistoryFrom(events) },
  });
  const decision = decide(input!);
  await customers.append(tenant, customerId, [decidedEvent(decision, deterministicId('corr', tenant, now))], revision);
  return decision;
}

beforeAll(async () => {
  world = await cliWorld('cli_nba_merged');
});
afterAll(() => world?.close());

describe('hub nba explain, when the customer is the survivor of a merge', () => {
  it('recomputes a decision made on the whole customer (the merged-in customer’s complaint included) bit for bit, and one made before the merge too', async () => {
    const deps = { customers: world.stores.customers, identities: world.stores.identities };
    const hello = await recordInteraction(deps, interaction('email-hello', 0, 'email', [EMAIL], 'hello'), at(0));
    const complaint = await recordInteraction(
      deps,
      interaction('sms-complaint', 5, 'sms', [PHONE], 'This is terrible, I want a refund'),
      at(5),
    );
    expect(complaint.customerId).not.toBe(hello.customerId);
    const before = await decideAsTheWorker(complaint.customerId, at(6));
    expect(before.chosen.actionId).toBe('escalate_manager');

    // An order paid with both: one person, merged at once.
    const order = await recordInteraction(
      deps,
      interaction('order', 30, 'commerce', [EMAIL, PHONE], 'order', {
        kind: 'order',
        order: { orderId: 'o-9', action: 'created', amount: 4200, currency: 'EUR' },
      }),
      at(30),
    );
    expect(order.merges.map((m) => m.outcome)).toEqual(['merged']);
    const survivorId = order.customerId;
    const mergedId = survivorId === hello.customerId ? complaint.customerId : hello.customerId;
    await recordInteraction(deps, interaction('sms-where', 40, 'sms', [PHONE], 'where is my order?'), at(40));

    const after = await decideAsTheWorker(survivorId, at(41));
    // The complaint half an hour ago is the survivor's too: the worker saw the whole person.
    expect(after.facts['intent.complaintWithin24h']).toBe(true);
    const r = await runCli(['nba', 'explain', after.decisionId, '--tenant', tenant, '--json'], world.env);
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    const out = JSON.parse(r.stdout) as {
      reproduced: boolean;
      differences: unknown[];
      customerId: string;
      recomputed: { action: { code: string } };
    };
    expect(out).toMatchObject({
      reproduced: true,
      differences: [],
      customerId: survivorId,
      recomputed: { action: { code: after.chosen.actionId } },
    });

    const text = await runCli(['nba', 'explain', after.decisionId], world.env);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('reproduced: yes');
    expect(text.stdout).toContain(`with the history of ${mergedId} (merged in)`);

    // The decision made for the merged-away customer before the merge still reproduces from its own stream.
    expect((await runCli(['nba', 'explain', before.decisionId], world.env)).stdout).toContain('reproduced: yes');
  });
});
