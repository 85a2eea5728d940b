import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MetadataStorage } from 'class-transformer/types/MetadataStorage';
import { validationMetadatasToSchemas } from 'class-validator-jsonschema';
import { ConsentReceivedDto, ConversationStatusReceivedDto, InteractionReceivedDto, TraitsReceivedDto } from '@hub/contracts';

// class-transformer keeps `@Type(() => Nested)` in a storage its index does not export; the generator
// needs it to follow nested DTOs (class-validator-jsonschema's README does the same).
const { defaultMetadataStorage } = require('class-transformer/cjs/storage') as { defaultMetadataStorage: MetadataStorage };

/**
 * The JSON Schemas of the hub's Kafka messages, for consumers outside the hub (docs/asyncapi.yaml
 * references them). The canonical interaction event's, and a platform's facts', are generated from
 * the class-validator DTOs the hub validates them with (`InteractionReceivedDto`, … of @hub/contracts), so the two cannot drift:
 * `npm run schemas` writes it, and scripts/schemas/message-schemas.spec.ts fails when the file is
 * not what the DTOs give. What a custom constraint checks (the attribute map, a facet's cross-field
 * rules) the DTO still checks alone: the schema says the shape, the DTO is the last word.
 */
export const SCHEMAS_DIR = join(__dirname, '..', '..', 'docs', 'schemas');
export const INTERACTION_RECEIVED_SCHEMA_FILE = 'interaction-received.schema.json';

/** Every generated schema: its file, and the DTO the recorder validates the event with. */
export const GENERATED_SCHEMAS = [
  {
    file: INTERACTION_RECEIVED_SCHEMA_FILE,
    dto: InteractionReceivedDto,
    title: 'InteractionReceived',
    what: 'The canonical interaction event',
  },
  {
    file: 'conversation-status-received.schema.json',
    dto: ConversationStatusReceivedDto,
    title: 'ConversationStatusReceived',
    what: "A platform's conversation status (ingest-api)",
  },
  {
    file: 'consent-received.schema.json',
    dto: ConsentReceivedDto,
    title: 'ConsentReceived',
    what: "A platform's consent change (ingest-api)",
  },
  {
    file: 'traits-received.schema.json',
    dto: TraitsReceivedDto,
    title: 'TraitsReceived',
    what: "A platform's profile attributes (ingest-api)",
  },
] as const;
/** Hand-written: the decision message is a TypeScript interface (`NbaDecisionMessage` of @hub/customer), not a DTO. */
export const NBA_DECISION_SCHEMA_FILE = 'nba-decision.schema.json';

type Schema = { $ref?: string; [key: string]: unknown };

/** One generated schema (draft-07), with the definitions it references and no others. */
export function generatedSchema(entry: (typeof GENERATED_SCHEMAS)[number]): Schema {
  const all = validationMetadatasToSchemas({
    classTransformerMetadataStorage: defaultMetadataStorage,
    refPointerPrefix: '#/definitions/',
  }) as Record<string, Schema>;
  const root = all[entry.dto.name];
  if (!root) throw new Error(`no class-validator metadata for ${entry.dto.name}`);
  const definitions: Record<string, Schema> = {};
  // Every definition `node` reaches, copied; a reference to a class with no metadata of its own (a
  // plain object a custom constraint checks, like `attributes`) becomes "an object".
  const follow = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(follow);
    if (node === null || typeof node !== 'object') return node;
    const ref = (node as Schema).$ref;
    if (typeof ref === 'string') {
      const name = ref.slice('#/definitions/'.length);
      const target = all[name];
      if (!target) return { type: 'object', description: 'An object its DTO checks with a custom constraint' };
      if (!(name in definitions)) {
        definitions[name] = {};
        definitions[name] = follow(target) as Schema;
      }
    }
    return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, follow(v)]));
  };
  const followed = follow(root) as Schema;
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: entry.file,
    title: entry.title,
    description: `${entry.what} on hub.interactions.v1 (docs/events.md). Generated from ${entry.dto.name} by \`npm run schemas\`: do not edit.`,
    ...followed,
    definitions: Object.fromEntries(Object.entries(definitions).sort(([a], [b]) => a.localeCompare(b))),
  };
}

/** The file's text: what `npm run schemas` writes and the spec compares. */
export const schemaText = (schema: Schema): string => `${JSON.stringify(schema, null, 2)}\n`;

if (require.main === module) {
  for (const entry of GENERATED_SCHEMAS) {
    writeFileSync(join(SCHEMAS_DIR, entry.file), schemaText(generatedSchema(entry)));
    process.stdout.write(`wrote ${join('docs', 'schemas', entry.file)}\n`);
  }
}
