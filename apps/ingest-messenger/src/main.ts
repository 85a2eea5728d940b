import { runIngestApp } from '@hub/ingest';

// The Facebook Messenger (Meta) channel. Everything channel-specific lives in libs/channels/meta.
runIngestApp('messenger');
