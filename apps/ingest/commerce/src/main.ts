import { runIngestApp } from '@hub/ingest';

// The commerce channel (Shopify orders and refunds). Everything channel-specific lives in libs/ingest/channels/commerce.
runIngestApp('commerce');
