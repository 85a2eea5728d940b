import { runIngestApp } from '@hub/ingest';

// The Facebook Messenger (Meta) channel. Everything channel-specific lives in libs/ingest/channels/meta.
runIngestApp('messenger');
