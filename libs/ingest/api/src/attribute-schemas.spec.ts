import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AttributeSchemas } from './attribute-schemas';

const acme = {
  type: 'object',
  properties: {
    region: { enum: ['eu', 'us'] },
    priority: { type: 'integer', minimum: 1, maximum: 5 },
    caseNumber: { type: 'string', pattern: '^C-[0-9]+$' },
  },
  required: ['region'],
  additionalProperties: false,
};

function loaded(setting: string): AttributeSchemas {
  const result = AttributeSchemas.load(setting);
  if (!result.ok) throw new Error(result.problems.join('; '));
  return result.schemas;
}

describe('AttributeSchemas: each tenant’s declared extension attributes', () => {
  describe('given a schema for acme', () => {
    const schemas = loaded(JSON.stringify({ acme }));

    it('then attributes that fit it have no problem', () => {
      expect(schemas.check('acme', { region: 'eu', priority: 2, caseNumber: 'C-42' })).toEqual([]);
    });

    it('then every attribute that does not fit is named, with the schema keyword as its code, all at once', () => {
      const problems = schemas.check('acme', { priority: 9, caseNumber: 'x', shift: 'night' });
      expect(problems.map((p) => [p.field, p.codes]).sort()).toEqual([
        ['data.attributes.caseNumber', ['schema_pattern']],
        ['data.attributes.priority', ['schema_maximum']],
        ['data.attributes.region', ['schema_required']],
        ['data.attributes.shift', ['schema_additional_properties']],
      ]);
      expect(problems.every((p) => p.messages.length === 1 && p.messages[0]!.length > 0)).toBe(true);
    });

    it('then another tenant, which declared none, may send no attributes', () => {
      expect(schemas.check('globex', { region: 'eu' })).toEqual([
        {
          field: 'data.attributes',
          messages: ['are not taken: tenant globex declares no attributes (INGEST_ATTRIBUTE_SCHEMAS)'],
          codes: ['attributes_not_declared'],
        },
      ]);
    });
  });

  describe('given the path of a file', () => {
    it('then the schemas are read from it', () => {
      const file = join(mkdtempSync(join(tmpdir(), 'attrs-')), 'schemas.json');
      writeFileSync(file, JSON.stringify({ acme }));
      expect(
        loaded(file)
          .check('acme', { region: 'mars' })
          .map((p) => p.field),
      ).toEqual(['data.attributes.region']);
    });
  });

  describe('given nothing', () => {
    it('then no tenant has attributes', () => {
      expect(loaded('').size).toBe(0);
    });
  });

  describe('given a setting the hub cannot use', () => {
    it.each([
      ['not JSON', '{"acme":', /is not JSON/],
      ['a file that is not there', '/nonexistent/schemas.json', /cannot read \/nonexistent\/schemas.json/],
      ['a list', '[]', /must be a JSON object of tenant id → JSON Schema/],
      ['a tenant id that is not one', JSON.stringify({ Acme: acme }), /\["Acme"\]: not a tenant id/],
      ['a schema of something else than an object', JSON.stringify({ acme: { type: 'string' } }), /must be a JSON Schema of an object/],
      [
        'an unknown keyword (a typo)',
        JSON.stringify({ acme: { type: 'object', propertys: {} } }),
        /strict mode: unknown keyword: "propertys"/,
      ],
    ])('then %s is a problem that names it', (_what, setting, problem) => {
      const result = AttributeSchemas.load(setting);
      expect(result.ok).toBe(false);
      expect(!result.ok && result.problems.join('\n')).toMatch(problem);
    });
  });
});
