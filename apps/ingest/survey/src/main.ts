import { runIngestApp } from '@hub/ingest';

// The survey channel (Typeform CSAT / NPS responses). Everything channel-specific lives in libs/ingest/channels/survey.
runIngestApp('survey');
