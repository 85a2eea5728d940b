export * from './crypto-shredding.errors';
export { ENVELOPE_PREFIX, KEY_BYTES, isEnvelope, sealValue, openValue, encryptBytes, decryptBytes } from './envelope';
export { parseFieldPath, formatFieldPath, mapFieldPath, matchFieldPath, type FieldPathSegment } from './field-path';
export * from './personal-data.policy';
export * from './key-store.port';
export { PostgresKeyStore, ensureKeyStoreSchema, type PostgresKeyStoreOptions } from './postgres.key-store';
export { SealingKeyCache, type SealingKeyCacheOptions } from './sealing-key-cache';
export { KEK_ENV_VAR, parseKeyEncryptionKey, IsKeyEncryptionKey } from './key-encryption-key';
export {
  EncryptingEventStore,
  defaultDataSubjectOf,
  type DataSubject,
  type DataSubjectOf,
  type EncryptionMetadata,
  type EncryptingEventStoreOptions,
} from './encrypting.event-store';
export * from './erase-customer';
export { SUBJECT_KEYS_SCHEMA } from './key-store.schema-migrations';
