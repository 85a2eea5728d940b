export * from './event-publisher.port';
export * from './kafka.factory';
export * from './kafka.event-publisher';
export * from './kafka.consumer';
export * from './topics';
export * from './dead-letter-body';
export * from './dead-letter-redrive';
