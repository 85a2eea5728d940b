export * from './timeline.projection';
export * from './timeline.summary';
export * from './postgres.timeline.store';
export * from './timeline.projector';
export * from './timeline.queries';
export * from './timeline.segments';
export { MAX_SEARCH_LENGTH, SEARCH_CONFIGS } from './timeline.search';
export * from './timeline.export-format';
export * from './advisory-lock';
export * from './replay/replay.errors';
export { ProgressMeter, type ProgressEstimate, type ProgressSample } from './replay/replay-progress';
export {
  TimelineRebuild,
  REBUILD_SUBSCRIPTION_ID,
  rebuildSchemaName,
  countMatchingEvents,
  type CatchUpResult,
  type ReplayDeps,
} from './replay/timeline-rebuild';
export { type CustomerDifference, type TimelineDiff } from './replay/timeline-diff';
export { takeOver, type TakeoverMethod, type TakeoverOptions, type TakeoverResult } from './replay/timeline-takeover';
export { liveSchema } from './replay/timeline-tables';
export * from './replay/timeline-replay';
export * from './replay/replay-runs';
export * from './replay/replay-jobs';
export * from './timeline.schema-migrations';
