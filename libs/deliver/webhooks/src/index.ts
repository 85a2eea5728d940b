export * from './webhook-event';
export * from './webhook-subscription';
export * from './standard-webhooks.signature';
export * from './retry-schedule';
