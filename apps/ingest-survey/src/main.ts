import { runIngestApp } from '@hub/ingest';

// The survey channel (Typeform CSAT / NPS responses). Everything channel-specific lives in libs/channels/survey.
runIngestApp('survey');
