export * from './generated-history';
export * from './customer-events.fixtures';
