import { runIngestApp } from '@hub/ingest';

// The WhatsApp (Meta Cloud API) channel. Everything channel-specific lives in libs/ingest/channels/meta.
runIngestApp('whatsapp');
