export * from './timeline.projection';
export * from './postgres.timeline.store';
