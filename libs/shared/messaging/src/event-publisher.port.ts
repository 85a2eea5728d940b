import { HubError } from '@hub/contracts';

/** Publishing to the bus, as the rest of the hub sees it. Adapter: `kafka.event-publisher.ts`. */
export const EVENT_PUBLISHER = Symbol('EVENT_PUBLISHER');

export interface OutgoingMessage {
  key: string;
  value: unknown;
  headers?: Record<string, string>;
}

export interface EventPublisher {
  /** Resolves only once the broker acknowledged every message (acks=all). */
  publish(topic: string, messages: readonly OutgoingMessage[]): Promise<void>;
  /** Can a publish be attempted right now? False while disconnected or saturated. */
  readonly ready: boolean;
  close(): Promise<void>;
  /** What waits in the process to be sent, and the bound past which a publish is refused (`PublisherSaturatedError`); absent where nothing queues. */
  readonly queue?: { bytes: number; maxBytes: number };
}

/** The bus could not take the messages; nothing is known to be published; try again later. */
export class PublishUnavailableError extends HubError {
  readonly code = 'BUS_UNAVAILABLE';
  readonly retryable = true;
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
    override readonly cause?: unknown,
  ) {
    super(message);
    this.name = 'PublishUnavailableError';
  }
}

/** Too many publishes in flight: refuse rather than buffer without bound. */
export class PublisherSaturatedError extends HubError {
  readonly code = 'BUS_SATURATED';
  readonly retryable = true;
  constructor(
    readonly inFlight: number,
    readonly retryAfterSeconds: number,
  ) {
    super(`publisher saturated: ${inFlight} publishes in flight`);
    this.name = 'PublisherSaturatedError';
  }
}
