export * from './nba.decide';
