export * from './customer.repository';
export * from './identity.resolver';
export * from './record-interaction';
export * from './handle-command';
