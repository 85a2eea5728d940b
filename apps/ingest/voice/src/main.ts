import { runIngestApp } from '@hub/ingest';

// The voice channel: Amazon Connect contact records (via Kinesis Data Firehose) and Twilio Voice
// status callbacks. Everything channel-specific lives in libs/ingest/channels/voice.
runIngestApp('voice');
