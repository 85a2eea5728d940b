export * from './events/customer.events';
export * from './state/customer.state';
export * from './state/customer.evolve';
export * from './consent/consent-keywords';
export * from './identity/normalize-identity';
