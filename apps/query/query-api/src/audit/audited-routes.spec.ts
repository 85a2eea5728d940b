import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { QUERY_API_CONTROLLERS } from '../query-api.module';
import { AUDITED } from './audited.decorator';

/** Routes that read or change no personal data, by `Controller.method`: everything else must be `@Audited`. */
const NOT_AUDITED: Readonly<Record<string, string>> = {
  'QueryHealthController.health': 'liveness, no data (its /live and /ready are inherited: no data either)',
  'MetricsController.metrics': "the process's counters and gauges, no person",
  'StatsController.stats': "the tenant's aggregate counts, no person",
  'SavedQueriesController.save': "an analyst's own filter, no person",
  'SavedQueriesController.list': "an analyst's own filters, no person",
  'SavedQueriesController.get': "an analyst's own filter, no person",
  'SavedQueriesController.delete': "an analyst's own filter, no person",
  'AdminController.auditStatus': "the audit log's own counters, no person",
  'ClickController.click': "a customer's own click on a signed link: records their answer, reads and returns no personal data",
};

describe('the query API audit log covers every route (issue #16 item 8)', () => {
  const routes = QUERY_API_CONTROLLERS.flatMap((controller) => {
    const prototype = controller.prototype as unknown as Record<string, unknown>;
    return Object.getOwnPropertyNames(prototype)
      .filter((name) => {
        const handler = prototype[name];
        return typeof handler === 'function' && Reflect.getMetadata(METHOD_METADATA, handler) !== undefined;
      })
      .map((name) => ({
        name: `${controller.name}.${name}`,
        path: String(Reflect.getMetadata(PATH_METADATA, controller)),
        audited: Reflect.getMetadata(AUDITED, prototype[name] as object) !== undefined,
      }));
  });

  it('given every route handler, then it is audited or named here as holding no personal data', () => {
    expect(routes.length).toBeGreaterThan(20);
    expect(routes.filter((r) => !r.audited && !(r.name in NOT_AUDITED)).map((r) => `${r.name} (${r.path})`)).toEqual([]);
  });

  it('given the routes named as holding no personal data, then each exists and is indeed not audited', () => {
    const unaudited = new Set(routes.filter((r) => !r.audited).map((r) => r.name));
    expect(Object.keys(NOT_AUDITED).filter((name) => !unaudited.has(name))).toEqual([]);
  });
});
