import {
  ErrorType,
  StreamDeletedError,
  StreamNotFoundError as EsdbStreamNotFoundError,
  WrongExpectedVersionError,
  isCommandError,
  type AllStreamResolvedEvent,
  type ResolvedEvent,
} from '@eventstore/db-client';
import {
  ConcurrencyError,
  EventStoreError,
  EventStoreUnavailableError,
  InvalidEventError,
  StreamNotFoundError,
  type ExpectedRevision,
  type RecordedEvent,
} from './event-store.port';

/** EventStoreDB → port: events and errors (shared by the store and its subscriptions). */

export function isPlainRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}

/** ESDB answers "unknown" positions with -1 or 2^64-1 depending on the version. */
const UNKNOWN_POSITION = 18446744073709551615n;

export function toRecordedEvent(resolved: ResolvedEvent | AllStreamResolvedEvent): RecordedEvent | undefined {
  const event = resolved.event;
  if (!event) return undefined;
  const commit = event.position?.commit ?? resolved.commitPosition;
  return {
    streamName: event.streamId,
    eventId: event.id,
    type: event.type,
    data: event.data,
    metadata: isPlainRecord(event.metadata) ? event.metadata : {},
    revision: event.revision,
    globalPosition: commit === undefined || commit < 0n || commit >= UNKNOWN_POSITION ? -1n : commit,
    createdAt: event.created,
  };
}

const UNAVAILABLE_TYPES: ReadonlySet<ErrorType> = new Set([
  ErrorType.UNAVAILABLE,
  ErrorType.DEADLINE_EXCEEDED,
  ErrorType.TIMEOUT,
  ErrorType.NOT_LEADER,
]);
const UNAVAILABLE_MESSAGES =
  /UNAVAILABLE|DEADLINE_EXCEEDED|ECONNREFUSED|ECONNRESET|failed to connect|No connection established|Failed to discover/i;

export function mapEsdbError(err: unknown, stream: string, expected?: ExpectedRevision): unknown {
  if (err instanceof EventStoreError) return err;
  if (err instanceof WrongExpectedVersionError) return new ConcurrencyError(stream, expected ?? 'any', err.actualVersion);
  if (err instanceof EsdbStreamNotFoundError || err instanceof StreamDeletedError) return new StreamNotFoundError(stream);
  if (err instanceof Error && isCommandError(err)) {
    if (UNAVAILABLE_TYPES.has(err.type)) return new EventStoreUnavailableError(`EventStoreDB unavailable: ${err.message}`, err);
    if (err.type === ErrorType.MAXIMUM_APPEND_SIZE_EXCEEDED) return new InvalidEventError(`EventStoreDB refused the batch: ${err.message}`);
  }
  if (err instanceof Error && UNAVAILABLE_MESSAGES.test(err.message))
    return new EventStoreUnavailableError(`EventStoreDB unavailable: ${err.message}`, err);
  return err;
}
