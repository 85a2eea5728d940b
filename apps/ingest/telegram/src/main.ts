import { runIngestApp } from '@hub/ingest';

// The Telegram channel (Bot API webhooks). Everything channel-specific lives in libs/ingest/channels/telegram.
runIngestApp('telegram');
