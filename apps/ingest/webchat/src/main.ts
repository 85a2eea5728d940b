import { runIngestApp } from '@hub/ingest';

// The hub's own web chat (signed by the web-chat gateway). Everything channel-specific lives in libs/ingest/channels/webchat.
runIngestApp('webchat');
