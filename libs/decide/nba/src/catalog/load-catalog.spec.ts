import catalogJson from '../../catalog/catalog.v1.json';
import { testAction, testCatalogJson } from '../testing/test-catalog';
import { catalogByVersion, shippedCatalogVersions } from './catalog-versions';
import {
  CatalogError,
  catalogV1,
  catalogV2,
  catalogV3,
  catalogV4,
  currentCatalog,
  loadCatalog,
  traitKeysOf,
  validateCatalog,
} from './load-catalog';

type Json = Record<string, unknown>;
const v1 = (): Json => JSON.parse(JSON.stringify(catalogJson)) as Json;
const actionsOf = (c: Json) => c['actions'] as Json[];

/** The failing fields of a catalog, with their messages. */
function errorsOf(plain: unknown): Record<string, string> {
  const result = validateCatalog(plain);
  if (result.ok) return {};
  return Object.fromEntries(result.errors.map((e) => [e.field, e.messages.join('; ')]));
}

describe('the action catalog', () => {
  describe('given the shipped catalogs', () => {
    it('then each is listed under its own version, and the hub decides with the latest (v4, which adds the cost to serve)', () => {
      expect(shippedCatalogVersions()).toEqual(['2025.06-1', '2026.12-1', '2026.12-2', '2026.12-3']);
      expect(catalogByVersion('2025.06-1')).toEqual(catalogV1());
      expect(catalogByVersion('2026.12-1')).toEqual(catalogV2());
      expect(catalogByVersion('2026.12-2')).toEqual(catalogV3());
      expect(catalogByVersion('2026.12-3')).toEqual(catalogV4());
      expect(currentCatalog()).toBe(catalogV4());
    });

    it('then v4 is v3 with a cost table, and the retention offer weighs half for an unprofitable customer; nothing else', () => {
      const { catalogVersion: _v4, description: _d4, costToServe, actions: actions4, ...v4 } = catalogV4();
      const { catalogVersion: _v3, description: _d3, actions: actions3, ...v3 } = catalogV3();
      expect(v4).toEqual(v3);
      expect(catalogV3().costToServe).toBeUndefined();
      expect(costToServe).toEqual(expect.objectContaining({ currency: 'USD', defaultPerInteraction: 50 }));
      expect(costToServe!.perInteraction.voice).toBeGreaterThan(costToServe!.perInteraction.sms!);
      const changed = actions4.filter((a, i) => JSON.stringify(a) !== JSON.stringify(actions3[i]));
      expect(changed.map((a) => [a.id, a.contextWeights.at(-1)])).toEqual([
        ['retention_offer', { when: { fact: 'customer.profitable', op: 'eq', value: false }, weight: 0.5 }],
      ]);
    });

    it('then a catalog without a cost table may not read the facts only one derives, and a table names known channels', () => {
      const reading = testCatalogJson([
        testAction('a', { contextWeights: [{ when: { fact: 'value.profit', op: 'lt', value: 0 }, weight: 0.5 }] }),
      ]);
      expect(validateCatalog(reading)).toEqual({ ok: false, errors: [expect.objectContaining({ field: 'costToServe' })] });
      const table = testCatalogJson([testAction('a')], {
        costToServe: { currency: 'USD', defaultPerInteraction: 10, perInteraction: { fax: 5, sms: 2.5 } },
      });
      const result = validateCatalog(table);
      expect(result.ok ? [] : result.errors.map((e) => e.field)).toEqual([
        'costToServe.perInteraction.fax',
        'costToServe.perInteraction.sms',
      ]);
    });

    it('then v3 is v2 with outcome keywords and nothing else the engine reads', () => {
      const { catalogVersion: _v3, description: _d3, outcomeKeywords, ...v3 } = catalogV3();
      const { catalogVersion: _v2, description: _d2, ...v2 } = catalogV2();
      expect(v3).toEqual(v2);
      expect(catalogV2().outcomeKeywords).toBeUndefined();
      expect(outcomeKeywords?.find((l) => l.locale === 'en')).toEqual(expect.objectContaining({ accept: expect.arrayContaining(['yes']) }));
    });
  });

  describe('given the shipped catalog v1', () => {
    const catalog = catalogV1();

    it('then it is valid, versioned, and has every built-in strategy', () => {
      expect(catalog.catalogVersion).toBe('2025.06-1');
      expect(new Set(catalog.actions.map((a) => a.strategy))).toEqual(
        new Set([
          'self_service',
          'callback_request',
          'escalation_at_risk',
          'service_recovery',
          'retention',
          'buying_intent',
          'survey_after_resolution',
          'do_nothing',
        ]),
      );
      expect(new Set(catalog.actions.map((a) => a.kind))).toEqual(
        new Set(['service', 'escalation', 'retention', 'offer', 'survey', 'none']),
      );
    });

    it('then optional lists are filled in and the catalog is frozen', () => {
      const callback = catalog.actions.find((a) => a.id === 'schedule_callback')!;
      expect(callback).toMatchObject({
        requiresOptIn: false,
        contextWeights: [],
        levers: [],
        policies: { eligibility: [], suitability: [] },
      });
      expect(Object.isFrozen(catalog.actions[0]!.policies)).toBe(true);
    });

    it('then the traits its rules read are known (they alone become facts)', () => {
      expect(traitKeysOf(catalog)).toEqual(['doNotContact']);
    });
  });

  describe('given a catalog with mistakes', () => {
    it('then a value out of range names the field', () => {
      const c = v1();
      actionsOf(c)[0]!['value'] = -1;
      actionsOf(c)[1]!['basePropensity'] = 1;
      expect(errorsOf(c)).toEqual({
        'actions.0.value': 'value must not be less than 0',
        'actions.1.basePropensity': 'basePropensity must not be greater than 0.999',
      });
    });

    it('then an unknown field is an error, not silently dropped', () => {
      const c = v1();
      actionsOf(c)[2]!['polices'] = {};
      expect(errorsOf(c)).toEqual({ 'actions.2.polices': 'property polices should not exist' });
    });

    it('then a missing section names it', () => {
      const c = v1();
      delete c['contactPolicy'];
      expect(Object.keys(errorsOf(c))).toEqual(['contactPolicy']);
    });

    it('then outcome keywords that are consent keywords, both answers, or a second list of a locale are named', () => {
      const c = v1();
      c['outcomeKeywords'] = [
        { locale: 'en', accept: ['yes', 'Stop!'], decline: ['no', 'YES'] },
        { locale: 'en', accept: [], decline: ['help'] },
        { locale: 'english', accept: [], decline: [] },
      ];
      expect(errorsOf(c)).toEqual({ 'outcomeKeywords.2.locale': 'locale must be a BCP 47 language tag (en, de, pt-BR)' });
      (c['outcomeKeywords'] as Json[]).pop();
      expect(errorsOf(c)).toEqual({
        'outcomeKeywords.0.accept.1': '"Stop!" is a consent keyword: it changes consent and is never an outcome',
        'outcomeKeywords.0.decline.1': '"YES" both accepts and declines',
        'outcomeKeywords.1.locale': 'duplicate locale "en"',
        'outcomeKeywords.1.decline.0': '"help" is a consent keyword: it changes consent and is never an outcome',
      });
    });

    it('then a rule with an unknown operator, fact or enum value names the rule’s path', () => {
      const c = v1();
      const policies = actionsOf(c)[0]!['policies'] as { applicability: Json[]; suitability: Json[] };
      policies.applicability[0] = { fact: 'intent.name', op: 'equals', value: 'order_tracking' };
      policies.suitability[0] = { fact: 'satisfaction.lastCsta', op: 'lte', value: 2 };
      policies.suitability[1] = { fact: 'intent.name', op: 'eq', value: 'order_trackng' };
      expect(errorsOf(c)).toEqual({
        'actions.0.policies.applicability.0.op':
          'op must be one of the following values: eq, neq, lt, lte, gt, gte, in, nin, contains, exists',
      });
      policies.applicability[0] = { fact: 'intent.name', op: 'eq', value: 'order_tracking' };
      expect(errorsOf(c)).toEqual({
        'actions.0.policies.suitability.0.fact': 'unknown fact "satisfaction.lastCsta" (see FACT_DEFINITIONS, or traits.<key>)',
        'actions.0.policies.suitability.1.value': expect.stringMatching(
          /^"order_trackng" is not a value of intent.name \(closing, complaint, callback, order_tracking, /,
        ),
      });
    });

    it('then an operator that does not fit the fact says so', () => {
      const c = testCatalogJson([
        testAction('a', {
          policies: {
            applicability: [
              { fact: 'customer.quadrant', op: 'lte', value: 2 },
              { fact: 'churn.count', op: 'contains', value: 'x' },
              { fact: 'value.orders', op: 'eq', value: '3' },
              { fact: 'churn.signals', op: 'in', value: 'recent_refund' },
            ],
          },
        }),
      ]);
      expect(errorsOf(c)).toEqual({
        'actions.0.policies.applicability.0.op': 'customer.quadrant is a string; lte needs a number fact',
        'actions.0.policies.applicability.1.op': 'contains needs a list fact; churn.count is a number',
        'actions.0.policies.applicability.2.value': 'value.orders is a number, not a string',
        'actions.0.policies.applicability.3.value': 'in needs a list of values',
      });
    });

    it('then a rule that is not exactly one of fact / all / any / not is refused, deep inside too', () => {
      const c = testCatalogJson([
        testAction('a', {
          contextWeights: [{ when: { any: [{ fact: 'churn.count', op: 'gt', value: 0, all: [] }] }, weight: 2 }],
          policies: { eligibility: [{ id: 'empty' }], suitability: [{ not: { fact: 'churn.count', op: 'gt' } }] },
        }),
      ]);
      expect(errorsOf(c)).toEqual({
        'actions.0.contextWeights.0.when.any.0.all': 'all must contain at least 1 elements',
      });
      const fixed = testCatalogJson([
        testAction('a', { policies: { eligibility: [{ id: 'empty' }], suitability: [{ not: { fact: 'churn.count', op: 'gt' } }] } }),
      ]);
      expect(errorsOf(fixed)).toEqual({
        'actions.0.policies.eligibility.0': 'a rule has exactly one of fact, all, any, not (found none)',
        'actions.0.policies.suitability.0.not.value': 'a fact rule needs a value (null is a value)',
      });
    });

    it('then references must resolve: levers, channels, one do-nothing action, unique ids, a real time zone', () => {
      const c = testCatalogJson([testAction('a', { levers: ['pushh'], channels: ['sms', 'fax'] }), testAction('a')], {});
      (c['contactPolicy'] as Json)['defaultTimeZone'] = 'Europe/Atlantis';
      (c['actions'] as Json[]).pop(); // the do-nothing action
      expect(errorsOf(c)).toEqual({
        'contactPolicy.defaultTimeZone': '"Europe/Atlantis" is not an IANA time zone',
        actions: 'must hold exactly one action of kind none (the do-nothing fallback); found 0',
        'actions.0.channels.1': 'channel "fax" has no contactPolicy.channels entry',
        'actions.0.levers.0': 'unknown lever "pushh" (catalog levers: push)',
        'actions.1.id': 'duplicate action id "a"',
      });
    });

    it('then only the do-nothing action has no contact and no channel', () => {
      const c = testCatalogJson([testAction('a', { contactMode: 'none' }), testAction('b', { channels: [] })]);
      expect(errorsOf(c)).toEqual({
        'actions.0.contactMode': 'only the do-nothing action has contact mode none',
        'actions.1.channels': 'must name at least one channel',
      });
    });

    it('then loading throws one CatalogError that lists every failing field', () => {
      const c = v1();
      actionsOf(c)[0]!['value'] = 'ten';
      expect(() => loadCatalog(c)).toThrow(CatalogError);
      try {
        loadCatalog(c);
      } catch (err) {
        expect((err as CatalogError).code).toBe('INVALID_CATALOG');
        expect((err as CatalogError).message).toBe(
          'action catalog 2025.06-1: invalid\n  - actions.0.value: value must not be less than 0; value must be a number conforming to the specified constraints',
        );
      }
    });

    it('then something that is not an object is refused', () => {
      expect(errorsOf([])).toEqual({ '(root)': 'must be an object' });
    });
  });
});
