export * from './timeline.projection';
export * from './postgres.timeline.store';
export * from './timeline.projector';
export * from './timeline.queries';
export * from './timeline.export-format';
