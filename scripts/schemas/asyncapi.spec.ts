import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { rawRejectionsTopic, Topics } from '@hub/contracts';
import { hubTopicSpecs, rawRejectionsTopicSpecs } from '@hub/messaging';
import { SCHEMAS_DIR } from './message-schemas';

/**
 * docs/asyncapi.yaml against the code: every topic the hub creates (libs/shared/messaging's
 * `hubTopicSpecs`, named in `Topics`, and the tenants' `rawRejectionsTopicSpecs`) is a channel of the
 * document and the document names no other;
 * every schema it references exists, and every schema in docs/schemas is referenced.
 */
const document = readFileSync(join(__dirname, '..', '..', 'docs', 'asyncapi.yaml'), 'utf8');
const addresses = [...document.matchAll(/^ {4}address: (\S+)$/gm)].map((m) => m[1]!);
const schemaRefs = [...document.matchAll(/\$ref: '\.\/schemas\/([^']+)'/g)].map((m) => m[1]!);

describe('the AsyncAPI document', () => {
  it("has a channel for every topic the hub creates (each tenant's feedback topic as one, by its tenant), and none other", () => {
    const topics = hubTopicSpecs().map((s) => s.topic);
    expect([...topics].sort()).toEqual([...Object.values(Topics)].sort());
    const perTenant = rawRejectionsTopicSpecs([rawRejectionsTopic('{tenantId}')]).map((s) => s.topic);
    expect([...addresses].sort()).toEqual([...topics, ...perTenant].sort());
  });

  it('references schemas that exist, and every schema there is', () => {
    expect(schemaRefs.filter((file) => !existsSync(join(SCHEMAS_DIR, file)))).toEqual([]);
    expect([...new Set(schemaRefs)].sort()).toEqual(
      readdirSync(SCHEMAS_DIR)
        .filter((f) => f.endsWith('.schema.json'))
        .sort(),
    );
  });
});
