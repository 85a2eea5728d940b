import { readFileSync } from 'node:fs';
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import { constraintCode, TENANT_ID_PATTERN, type FieldError } from '@hub/contracts';

/**
 * Each tenant's declared extension attributes (`data.attributes` of a canonical event): a JSON
 * Schema per tenant, from `INGEST_ATTRIBUTE_SCHEMAS`. A tenant without one sends no attributes:
 * the hub keeps nothing it cannot check. The schema checks the attributes an event carries (its
 * `required` applies to events that carry attributes); the contract's own limits (flat, names like
 * traits, at most 50) apply first.
 */
export class AttributeSchemas {
  private constructor(private readonly byTenant: ReadonlyMap<string, ValidateFunction>) {}

  static none(): AttributeSchemas {
    return new AttributeSchemas(new Map());
  }

  /**
   * `INGEST_ATTRIBUTE_SCHEMAS`: a JSON object `{ "<tenant>": <JSON Schema>, … }`, or the path of a
   * file holding one (any value not starting with `{` or `[`). Every problem at once, for the boot error.
   */
  static load(setting: string): { ok: true; schemas: AttributeSchemas } | { ok: false; problems: string[] } {
    const trimmed = setting.trim();
    if (trimmed === '') return { ok: true, schemas: AttributeSchemas.none() };
    let text = trimmed;
    if (!trimmed.startsWith('{') && !trimmed.startsWith('[')) {
      try {
        text = readFileSync(trimmed, 'utf8');
      } catch (err) {
        return { ok: false, problems: [`INGEST_ATTRIBUTE_SCHEMAS: cannot read ${trimmed}: ${(err as Error).message}`] };
      }
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text) as unknown;
    } catch (err) {
      return { ok: false, problems: [`INGEST_ATTRIBUTE_SCHEMAS is not JSON: ${(err as Error).message}`] };
    }
    if (!isRecord(parsed)) return { ok: false, problems: ['INGEST_ATTRIBUTE_SCHEMAS must be a JSON object of tenant id → JSON Schema'] };
    // allErrors: every problem of an event at once; strict: a typo in a schema is a boot error, not a check that never runs.
    const ajv = new Ajv({ allErrors: true, strict: true });
    const problems: string[] = [];
    const byTenant = new Map<string, ValidateFunction>();
    for (const [tenantId, schema] of Object.entries(parsed)) {
      const where = `INGEST_ATTRIBUTE_SCHEMAS[${JSON.stringify(tenantId)}]`;
      if (!TENANT_ID_PATTERN.test(tenantId)) problems.push(`${where}: not a tenant id (lower-case letters, digits, - or _)`);
      if (!isRecord(schema) || schema['type'] !== 'object') {
        problems.push(`${where}: must be a JSON Schema of an object ("type": "object")`);
        continue;
      }
      try {
        byTenant.set(tenantId, ajv.compile(schema));
      } catch (err) {
        problems.push(`${where}: ${(err as Error).message}`);
      }
    }
    return problems.length > 0 ? { ok: false, problems } : { ok: true, schemas: new AttributeSchemas(byTenant) };
  }

  get size(): number {
    return this.byTenant.size;
  }

  /** The attributes' problems by the tenant's schema (none when they fit), as fields under `data.attributes`. */
  check(tenantId: string, attributes: Readonly<Record<string, unknown>>, at = 'data.attributes'): FieldError[] {
    const validate = this.byTenant.get(tenantId);
    if (!validate)
      return [
        {
          field: at,
          messages: [`are not taken: tenant ${tenantId} declares no attributes (INGEST_ATTRIBUTE_SCHEMAS)`],
          codes: ['attributes_not_declared'],
        },
      ];
    if (validate(attributes)) return [];
    return (validate.errors ?? []).map((e) => ({ field: fieldOf(at, e), messages: [e.message ?? 'is invalid'], codes: [codeOf(e)] }));
  }
}

/** The attribute a schema error is about: the one missing or not declared, else where it points. */
function fieldOf(at: string, e: ErrorObject): string {
  const named = e.params as { missingProperty?: unknown; additionalProperty?: unknown; propertyName?: unknown };
  const property = named.missingProperty ?? named.additionalProperty ?? named.propertyName;
  const path = e.instancePath
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (typeof property === 'string') path.push(property);
  return [at, ...path].join('.');
}

/** `schema_<keyword>`: `schema_required`, `schema_enum`, `schema_additional_properties`… */
function codeOf(e: ErrorObject): string {
  return `schema_${constraintCode(e.keyword)}`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
