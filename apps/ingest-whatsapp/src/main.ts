import { runIngestApp } from '@hub/ingest';

// The WhatsApp (Meta Cloud API) channel. Everything channel-specific lives in libs/channels/meta.
runIngestApp('whatsapp');
