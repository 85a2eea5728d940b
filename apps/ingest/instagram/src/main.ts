import { runIngestApp } from '@hub/ingest';

// The Instagram Direct (Meta) channel. Everything channel-specific lives in libs/ingest/channels/meta.
runIngestApp('instagram');
