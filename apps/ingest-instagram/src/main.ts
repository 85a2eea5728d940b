import { runIngestApp } from '@hub/ingest';

// The Instagram Direct (Meta) channel. Everything channel-specific lives in libs/channels/meta.
runIngestApp('instagram');
