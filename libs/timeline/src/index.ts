export * from './timeline.projection';
export * from './postgres.timeline.store';
export * from './timeline.projector';
