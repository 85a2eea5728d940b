// `@hub/channels-telegram`: tsconfig.base.json maps every `@hub/channels-<name>` to libs/channels/<name>, no entry per channel.
export * from './src/index';
