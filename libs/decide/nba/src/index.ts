export * from './intent/keyword-intents';
export * from './policy/rule';
export * from './facts/facts';
export * from './facts/cost-to-serve';
export * from './catalog/catalog.types';
export {
  CatalogError,
  catalogV1,
  catalogV2,
  catalogV3,
  catalogV4,
  currentCatalog,
  loadCatalog,
  traitKeysOf,
  validateCatalog,
} from './catalog/load-catalog';
export * from './contact/contact-policy';
export * from './history/contact-history';
export * from './history/outcome-recording';
export * from './history/reply-outcome';
export * from './history/tracking-link';
export * from './learning/prng';
export * from './learning/beta';
export * from './learning/outcomes';
export * from './learning/uplift';
export * from './engine/decide';
export * from './engine/decided-event';
export * from './engine/decision-input';
export * from './catalog/catalog-versions';
export * from './explain/decision-record';
export * from './explain/recorded-posteriors';
export * from './explain/reproduce-decision';
export * from './backtest/backtest';
export * from './engine/strategies';
export * from './delivery/decision-delivery';
export * from './delivery/no-action-reason';
