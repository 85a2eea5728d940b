import { counter, gauge } from './metrics.registry';

/**
 * Every metric of the hub, in one list (docs/operations.md has the same table): names are an API
 * for dashboards and alerts, so renaming one breaks them. Each is created on first use, so a process
 * exposes only the metrics of the code it runs. Labels stay of bounded cardinality: codes, routes
 * as declared (`/t/:tenant/webhooks/twilio`, never the tenant's own path), topics and partitions;
 * never an id.
 */
export const hubMetrics = {
  /** Every HTTP request answered, by route pattern, method and status (`instrumentHttp`). */
  httpRequests: () =>
    counter('hub_http_requests_total', 'HTTP requests answered, by route pattern, method and status code', ['route', 'method', 'status']),
  /**
   * What ingestion made of each request or message, by outcome and reason code: `accepted`,
   * `rejected` + code (`invalid_json`, `rate_limited_per_address`…), `dead_lettered` + code; ingest-api
   * adds `accepted_fact` + fact type, `batches`, and the raw topic's `raw_accepted`, `raw_retried`,
   * `raw_dead_lettered` + code.
   */
  ingestOutcomes: () =>
    counter('hub_ingest_outcomes_total', 'Ingestion outcomes (webhooks, ingest-api), by outcome and reason code', ['outcome', 'code']),
  /** Dead letters written, by the topic the message came from (`http` for a webhook or API body) and the reason code. */
  deadLetters: () =>
    counter('hub_dead_letters_total', 'Messages and requests dead-lettered, by source topic and reason code', ['topic', 'code']),
  /** Kafka lag of the app's own consumers: messages after the last one handed to the handler, per partition. */
  kafkaConsumerLag: () =>
    gauge(
      'hub_kafka_consumer_lag_messages',
      "Messages of a partition after the last batch the app's consumer took (high watermark - 1 - last offset)",
      ['group', 'topic', 'partition'],
    ),
  /** The recorder: interactions and customer facts into the customer streams, by kind and outcome. */
  eventsRecorded: () =>
    counter(
      'hub_events_recorded_total',
      'Interactions and customer facts the recorder took, by kind and outcome (recorded, duplicate_skipped…)',
      ['kind', 'outcome'],
    ),
  /** Events of the store a projection or relay (`projection` = its checkpoint id) has not handled yet (store head - position), read on scrape. */
  projectionLagEvents: () =>
    gauge('hub_projection_lag_events', 'Events recorded in the event store and not yet applied by the projection', ['projection']),
  /** How long the last event the projection applied had waited since it was recorded. */
  projectionLagSeconds: () =>
    gauge('hub_projection_lag_seconds', 'Seconds between the recording of the last event the projection applied and its application', [
      'projection',
    ]),
  /** Next-best-action decisions made, by outcome (a rate over it is decisions/s). */
  nbaDecisions: () => counter('hub_nba_decisions_total', 'Next-best-action decide jobs run, by outcome', ['outcome']),
  /** Decisions the outbound app handled, by the send's channel and what became of it (`sent`, `skipped`, `pending`, …). */
  outboundSends: () =>
    counter('hub_outbound_sends_total', 'Decisions the outbound sender handled, by channel and result', ['channel', 'result']),
  /** BullMQ jobs of a queue by state, read on scrape. */
  queueJobs: () => gauge('hub_queue_jobs', 'BullMQ jobs of a queue by state (waiting, active, delayed, failed)', ['queue', 'state']),
  /** Bytes waiting in the process for Kafka, and their bound (past it a publish is refused: 429/503). */
  publisherQueuedBytes: () => gauge('hub_publisher_queued_bytes', 'Bytes waiting in the process to be published to Kafka', []),
  publisherMaxQueuedBytes: () =>
    gauge('hub_publisher_max_queued_bytes', 'Bound of the bytes waiting to be published, past which publishes are refused', []),
  /** Open live-timeline (SSE) connections of the query API. */
  liveClients: () => gauge('hub_live_timeline_clients', 'Open live-timeline server-sent-event connections', []),
} as const;

export type HubMetricName = keyof typeof hubMetrics;
