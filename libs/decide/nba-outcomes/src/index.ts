export * from './outcome-tally.store';
