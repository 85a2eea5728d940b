import { runIngestApiApp } from '@hub/ingest-api';

// The generic API: canonical events from contact-center platforms (HTTP and the raw topic).
runIngestApiApp();
