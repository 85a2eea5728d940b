import { runIngestApp } from '@hub/ingest';

// The email channel: raw MIME from our own MTA hook, and SendGrid Inbound Parse. Everything
// channel-specific lives in libs/ingest/channels/email; INGEST_PROVIDERS=mime or =sendgrid serves only one.
runIngestApp('email');
