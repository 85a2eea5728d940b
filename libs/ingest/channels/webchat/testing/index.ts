// `@hub/channels-webchat/testing`: the channel's test kit (signing, test setup), for specs and the registry's testing entry.
export * from '../src/testing/index';
