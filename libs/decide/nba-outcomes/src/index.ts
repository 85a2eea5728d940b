export * from './outcome-tally.store';
export * from './nba-outcomes.schema-migrations';
