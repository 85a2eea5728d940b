// `@hub/channels-survey`: tsconfig.base.json maps every `@hub/channels-<name>` to libs/ingest/channels/<name>, no entry per channel.
export * from './src/index';
