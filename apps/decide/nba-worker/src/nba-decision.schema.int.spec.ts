import { Pool } from 'pg';
import { ALL_CHANNEL_IDS } from '@hub/contracts';
import {
  NBA_ACTION_KINDS,
  NBA_CONTACT_MODES,
  NBA_NO_ACTION_REASONS,
  type NbaDecisionMessage,
  type NbaDecisionMessageV2,
} from '@hub/customer';
import { createCustomerStores, type CustomerStores } from '@hub/customer-records';
import { freshId, messageSchemaValidator, readMessageSchema, testInfra, TEST_IDENTITY_NAMING } from '@hub/testing';
import { decisionMessage, decisionMessageV2 } from './nba-decision.relay';
import { NbaDecideJob } from './nba-decide.job';
import { CustomerStream } from './testing/customer-stream';

/**
 * The decision message's JSON Schema (docs/schemas/nba-decision.schema.json, hand-written: the
 * message is an interface) against the messages the relay makes of decisions the worker's job
 * recorded in the real store: it accepts them, refuses what a sender could not act on, and names
 * the same action kinds, contact modes and channels as the code.
 */
const infra = testInfra();
let pool: Pool;
let stores: CustomerStores;
const schema = readMessageSchema('nba-decision.schema.json') as {
  properties: { action: { properties: { kind: { enum: string[] }; channel: { enum: string[] } } }; contactMode: { enum: string[] } };
};
const validate = messageSchemaValidator().compile(schema);
const schemaV2 = readMessageSchema('nba-decision-v2.schema.json') as {
  oneOf: [unknown, { properties: { noAction: { properties: { reason: { enum: string[] } } } } }];
};
const validateV2 = messageSchemaValidator().compile(schemaV2);
const messages: NbaDecisionMessage[] = [];
const messagesV2: NbaDecisionMessageV2[] = [];

beforeAll(async () => {
  pool = new Pool({ connectionString: infra.databaseUrl, max: 2 });
  stores = await createCustomerStores(pool, { identityNaming: TEST_IDENTITY_NAMING });
  // Customers whose latest message the worker answers (a reply, an escalation…): each decision's message, as the relay makes it.
  // And one that contacts nobody ('ok'), on v2 only.
  const texts = ['How do I reset my password?', 'What are your opening hours?', 'This is the third time, I want a refund now!', 'ok'];
  for (const [n, text] of texts.entries()) {
    const c = new CustomerStream(freshId('tn'), freshId('c'));
    await stores.customers.append(c.tenantId, c.customerId, [c.message('m1', '2026-11-23T09:00:00.000Z', text)]);
    const r = await new NbaDecideJob(stores.customers).run(
      { tenantId: c.tenantId, customerId: c.customerId, triggerEventId: c.id('m1'), correlationId: `corr-schema-${n}` },
      new Date('2026-11-23T09:00:01.000Z'),
    );
    const decisionId = (r as { decisionId: string }).decisionId;
    const recorded = (await stores.raw.readStream(`customer-${c.tenantId}.${c.customerId}`)).find((e) => e.eventId === decisionId)!;
    const message = decisionMessage(recorded);
    if (message) messages.push(message);
    messagesV2.push(decisionMessageV2(recorded)!);
  }
});
afterAll(async () => {
  await pool?.end();
});

describe('the decision message JSON Schema', () => {
  it('accepts every message the relay makes of recorded decisions', () => {
    expect(messages.length).toBeGreaterThan(0);
    for (const m of messages) expect([m.action.code, validate(m) ? [] : validate.errors]).toEqual([m.action.code, []]);
  });

  it('refuses a message without its decision id, with a contact mode a sender cannot act on, or a revision that is not a number', () => {
    const refused = (change: (m: Record<string, unknown>) => void) => {
      const copy = structuredClone(messages[0]!) as unknown as Record<string, unknown>;
      change(copy);
      return validate(copy) ? [] : (validate.errors ?? []).map((e) => e.instancePath);
    };
    expect(refused((m) => delete m['decisionId'])).toEqual(['']);
    expect(refused((m) => (m['contactMode'] = 'none'))).toEqual(['/contactMode']);
    expect(refused((m) => (m['streamRevision'] = 7))).toEqual(['/streamRevision']);
    expect(refused((m) => (m['decidedAt'] = 'now'))).toEqual(['/decidedAt']);
  });

  it('v2 accepts every message of either kind, and refuses a no-action message without its reason', () => {
    expect(messagesV2.map((m) => m.kind).sort()).toEqual(['action', 'action', 'action', 'no-action']);
    for (const m of messagesV2) expect([m.decisionId, validateV2(m) ? [] : validateV2.errors]).toEqual([m.decisionId, []]);
    expect(messages.every((m) => m.kind === 'action' && m.triggers?.length === 1 && m.address?.channel === m.action.channel)).toBe(true);
    const none = structuredClone(messagesV2.find((m) => m.kind === 'no-action')!) as unknown as Record<string, unknown>;
    delete none['noAction'];
    expect(validateV2(none)).toBe(false);
    expect(schemaV2.oneOf[1].properties.noAction.properties.reason.enum).toEqual([...NBA_NO_ACTION_REASONS, 'not_recorded']);
  });

  it('names the action kinds, contact modes and channels the code has (but `none`, which is never sent)', () => {
    expect(schema.properties.action.properties.kind.enum).toEqual(NBA_ACTION_KINDS.filter((k) => k !== 'none'));
    expect(schema.properties.contactMode.enum).toEqual(NBA_CONTACT_MODES.filter((k) => k !== 'none'));
    expect(schema.properties.action.properties.channel.enum).toEqual([...ALL_CHANNEL_IDS]);
  });
});
