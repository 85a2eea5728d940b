import { runIngestApp } from '@hub/ingest';

// The commerce channel (Shopify orders and refunds). Everything channel-specific lives in libs/channels/commerce.
runIngestApp('commerce');
