import { propagation, ROOT_CONTEXT, SpanStatusCode, trace, type Link } from '@opentelemetry/api';
import { parseCustomerStream } from '@hub/contracts';
import { isCustomerEventType, upcast, type CustomerEvent } from '@hub/customer';
import {
  LeaderFencedError,
  runCheckpointedSubscription,
  type CheckpointedConsumer,
  type EventStore,
  type Leadership,
  type PostgresCheckpointStore,
  type RecordedEvent,
  type Subscription,
} from '@hub/event-store';
import type { PostgresTimelineStore } from './postgres.timeline.store';
import { timelineChangeFor, type TimelineChange } from './timeline.projection';
import { hubMetrics } from '@hub/metrics';

/**
 * The live timeline projection's processor id: its checkpoint is kept under it in `hub_checkpoints`.
 * A new version (`timeline.v2`) rebuilds from 0; a replay's takeover sets this checkpoint.
 */
export const TIMELINE_PROJECTION_ID = 'timeline.v1';

export interface ProjectorLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface TimelineProjectorOptions {
  /** The store to follow; the decrypting one, so the read model holds what analysts may read. */
  store: EventStore;
  timeline: PostgresTimelineStore;
  checkpoints: PostgresCheckpointStore;
  /** Stable processor id: the checkpoint is kept under it. Changing it rebuilds from the start. */
  subscriptionId: string;
  /** Which streams to follow (default every customer stream). */
  streamPrefix?: string;
  fromWhenNoCheckpoint?: bigint;
  batchSize?: number;
  logger: ProjectorLogger;
  /**
   * The leadership the projection runs under (`whileLeader`): each batch's checkpoint is fenced with
   * it, so a stale leader (paused past the loss of its lock) commits nothing — neither the read-model
   * change nor the checkpoint — and steps down.
   */
  leadership?: Leadership;
}

/**
 * The timeline projection: a checkpointed subscription to the customer streams whose every batch is
 * applied to the read model AND checkpointed in ONE PostgreSQL transaction. A crash anywhere leaves
 * either both or neither, so a restart resumes exactly after the last applied batch (exactly-once
 * effect); the handlers are idempotent besides, because the subscription may redeliver a batch
 * whose commit outcome it could not see.
 */
export class TimelineProjector {
  private subscription: Subscription | undefined;

  constructor(private readonly o: TimelineProjectorOptions) {}

  /** Runs the projection on a subscription of its own (a process with relays beside it shares one: `consumer()`). */
  async start(): Promise<Subscription> {
    const { subscriptionId, ...options } = this.consumer();
    this.subscription = await runCheckpointedSubscription(this.o.store, this.o.checkpoints, subscriptionId, options);
    return this.subscription;
  }

  /**
   * The projection as one consumer of a fan-out (`runCheckpointedSubscriptions` of @hub/event-store):
   * the same batches, checkpoint (in the read model's transaction) and fencing as `start()`, on the
   * process's one store subscription. Then its progress is the fan-out's, not `position`.
   */
  consumer(): CheckpointedConsumer {
    const { subscriptionId, logger } = this.o;
    return {
      subscriptionId,
      checkpoint: 'in-handler',
      filter: { streamPrefixes: [this.o.streamPrefix ?? 'customer-'] },
      batchSize: this.o.batchSize ?? 500,
      ...(this.o.fromWhenNoCheckpoint !== undefined ? { fromWhenNoCheckpoint: this.o.fromWhenNoCheckpoint } : {}),
      onEvents: (events) => this.project(events),
      onError: (err) => logger.warn({ subscriptionId, err: String(err) }, 'projector.subscription.retrying'),
    };
  }

  get position(): bigint | undefined {
    return this.subscription?.position;
  }

  async stop(): Promise<void> {
    await this.subscription?.stop();
  }

  /**
   * A `timeline project` span per page (a no-op without a tracing SDK), linked to the append that
   * recorded each event (its metadata's `traceparent`).
   */
  private project(events: RecordedEvent[]): Promise<void> {
    const span = tracer.startSpan('timeline project', {
      links: appendLinks(events),
      attributes: { 'hub.projection.events': events.length },
    });
    return this.projectPage(events)
      .catch((err: unknown) => {
        span.setStatus({ code: SpanStatusCode.ERROR, message: String(err) });
        throw err;
      })
      .finally(() => span.end());
  }

  private async projectPage(events: RecordedEvent[]): Promise<void> {
    const changes: TimelineChange[] = [];
    for (const recorded of events) {
      const change = this.changeFor(recorded);
      if (change) changes.push(change);
    }
    const last = events[events.length - 1]!.globalPosition;
    try {
      await this.o.timeline.inTransaction(async (client) => {
        await this.o.timeline.applyInTransaction(client, changes);
        await this.o.checkpoints.save(this.o.subscriptionId, last, client, this.o.leadership?.fence);
      });
      // How long the last event applied waited since the store wrote it.
      const waited = (Date.now() - events[events.length - 1]!.createdAt.getTime()) / 1000;
      hubMetrics.projectionLagSeconds().set({ projection: this.o.subscriptionId }, Math.max(0, waited));
    } catch (err) {
      if (err instanceof LeaderFencedError) this.o.leadership?.stepDown(err);
      throw err;
    }
  }

  private changeFor(recorded: RecordedEvent): TimelineChange | undefined {
    const owner = parseCustomerStream(recorded.streamName);
    if (!owner || !isCustomerEventType(recorded.type)) return undefined;
    let event: CustomerEvent;
    try {
      event = upcast({ type: recorded.type, data: recorded.data, metadata: recorded.metadata as unknown as CustomerEvent['metadata'] });
    } catch (err) {
      // An event no version of this projection can read: skipping it keeps every other customer's
      // timeline flowing; the log line names it so it can be fixed and the projection rebuilt.
      this.o.logger.error(
        { eventId: recorded.eventId, stream: recorded.streamName, position: recorded.globalPosition.toString(), err: String(err) },
        'projector.event.unreadable_skipped',
      );
      return undefined;
    }
    return timelineChangeFor(owner.tenantId, owner.customerId, recorded.revision, event);
  }
}

const tracer = trace.getTracer('@hub/timeline');

/** Links to the appends that recorded these events (at most 128, OpenTelemetry's default limit). */
function appendLinks(events: readonly RecordedEvent[]): Link[] {
  const links: Link[] = [];
  for (const e of events) {
    const traceparent = e.metadata['traceparent'];
    if (typeof traceparent !== 'string') continue;
    const context = trace.getSpanContext(propagation.extract(ROOT_CONTEXT, { traceparent }));
    if (context && trace.isSpanContextValid(context)) links.push({ context });
    if (links.length === 128) break;
  }
  return links;
}
