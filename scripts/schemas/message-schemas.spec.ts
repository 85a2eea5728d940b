import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { InteractionReceived } from '@hub/contracts';
import { loadConformanceFixtures, runChannelPipeline } from '@hub/channels-core/testing';
import { CHANNEL_TEST_SETUPS } from '@hub/channel-registry/testing';
import { messageSchemaValidator } from '@hub/testing';
import { GENERATED_SCHEMAS, generatedSchema, INTERACTION_RECEIVED_SCHEMA_FILE, SCHEMAS_DIR, schemaText } from './message-schemas';

/**
 * The canonical interaction event's JSON Schema (docs/schemas): what the DTOs give, committed; it
 * accepts every event the channel adapters make of their recorded provider payloads, and refuses
 * events that are not canonical.
 */
const committed = readFileSync(join(SCHEMAS_DIR, INTERACTION_RECEIVED_SCHEMA_FILE), 'utf8');

describe('the InteractionReceived JSON Schema', () => {
  const validate = messageSchemaValidator().compile(JSON.parse(committed) as object);

  it.each(GENERATED_SCHEMAS.map((entry) => [entry.file, entry] as const))(
    'as every generated schema (%s), is what the DTOs give (run `npm run schemas` after changing them)',
    (file, entry) => {
      expect(readFileSync(join(SCHEMAS_DIR, file), 'utf8')).toBe(schemaText(generatedSchema(entry)));
    },
  );

  describe.each(Object.entries(CHANNEL_TEST_SETUPS))('given the %s channel’s recorded provider payloads', (_channel, setups) => {
    it('accepts every event its adapters make of them', async () => {
      let events = 0;
      for (const setup of setups) {
        for (const fixture of loadConformanceFixtures(setup.fixturesDir).valid) {
          const adapter = setup.definition.create({ ...setup.config, ...fixture.config });
          const outcome = await runChannelPipeline(adapter, setup.sign(fixture.payload, {}));
          expect([fixture.file, outcome.kind]).toEqual([fixture.file, 'accepted']);
          for (const event of (outcome as { events: InteractionReceived[] }).events) {
            const ok = validate(event);
            expect([fixture.file, ok ? [] : validate.errors]).toEqual([fixture.file, []]);
            events++;
          }
        }
      }
      expect(events).toBeGreaterThan(0);
    });
  });

  describe('when an event is not canonical', () => {
    const setup = CHANNEL_TEST_SETUPS.sms[0]!;
    let event: InteractionReceived;
    beforeAll(async () => {
      const fixture = loadConformanceFixtures(setup.fixturesDir).valid[0]!;
      const outcome = await runChannelPipeline(setup.definition.create(setup.config), setup.sign(fixture.payload, {}));
      event = (outcome as { events: InteractionReceived[] }).events[0]!;
    });
    const refused = (change: (e: InteractionReceived) => void) => {
      const copy = structuredClone(event);
      change(copy);
      return validate(copy) ? [] : (validate.errors ?? []).map((e) => e.instancePath);
    };

    it('refuses it without an event id, with a channel the hub does not have, or a direction that is neither way', () => {
      expect(refused((e) => delete (e.metadata as { eventId?: string }).eventId)).toContain('/metadata');
      expect(refused((e) => ((e.metadata as { channel: string }).channel = 'pager'))).toContain('/metadata/channel');
      expect(refused((e) => ((e.data as { direction: string }).direction = 'sideways'))).toContain('/data/direction');
    });

    it('refuses it with no identity, a time that is not one, or another type', () => {
      expect(refused((e) => (e.data.identities = []))).toContain('/data/identities');
      expect(refused((e) => (e.metadata.occurredAt = 'yesterday'))).toContain('/metadata/occurredAt');
      expect(refused((e) => ((e as { type: string }).type = 'InteractionDeleted'))).toContain('/type');
    });
  });
});
