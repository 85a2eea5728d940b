import { runIngestApp } from '@hub/ingest';

// The SMS channel (Twilio). Everything channel-specific lives in libs/ingest/channels/sms.
runIngestApp('sms');
