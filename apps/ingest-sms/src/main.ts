import { runIngestApp } from '@hub/ingest';

// The SMS channel (Twilio). Everything channel-specific lives in libs/channels/sms.
runIngestApp('sms');
