import { runIngestApp } from '@hub/ingest';

// Every channel's ingestion app: `INGEST_CHANNEL=<channel>` picks the channel a process serves (the
// app `ingest-<channel>`). Everything channel-specific lives in libs/ingest/channels/<library>.
runIngestApp();
