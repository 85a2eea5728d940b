export * from './labelled-set';
