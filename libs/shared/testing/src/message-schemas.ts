import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv from 'ajv';

/** The JSON Schemas of the hub's Kafka messages (docs/schemas; docs/asyncapi.yaml references them). */
export const MESSAGE_SCHEMAS_DIR = join(__dirname, '..', '..', '..', '..', 'docs', 'schemas');

export function readMessageSchema(file: string): object {
  return JSON.parse(readFileSync(join(MESSAGE_SCHEMAS_DIR, file), 'utf8')) as object;
}

/** ajv with the formats the schemas name, checked as the DTOs check them (no ajv-formats dependency). */
export function messageSchemaValidator(): Ajv {
  const ajv = new Ajv({ allErrors: true, strict: false });
  ajv.addFormat('date-time', /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/);
  ajv.addFormat('date', /^\d{4}-\d{2}-\d{2}$/);
  ajv.addFormat('uuid', /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i);
  ajv.addFormat('url', /^[a-z][a-z0-9+.-]*:\/\/\S+$/i);
  return ajv;
}
