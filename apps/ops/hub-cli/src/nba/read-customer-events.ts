import { customerStream, parseCustomerStream, StreamCategories } from '@hub/contracts';
import type { CustomerEvent } from '@hub/customer';
import { toCustomerEvent } from '@hub/customer-records';
import type { RecordedEvent, Subscription } from '@hub/event-store';
import type { CliContext } from '../cli-context';
import { CliFailure, InterruptedError } from '../cli.errors';
import { ProgressLine } from '../progress-line';

/** One customer event as the readers see it: whose, where in their stream, and the event (upcast). */
export interface ReadCustomerEvent {
  tenantId: string;
  customerId: string;
  revision: bigint;
  event: CustomerEvent;
}

export interface ReadCustomerEventsOptions {
  /** Only this tenant's customers; absent: every tenant's. */
  tenantId?: string;
  /** The command's name, in progress, logs and errors (`backtest`, `uplift`). */
  label: string;
  /** Said when the read is interrupted, after the position (e.g. how many decisions were read). */
  interrupted?: () => string;
}

/**
 * The customer streams (of one tenant, or all) in log order up to the head as it was at the start,
 * each event handed to `visit` (a stored event that is no customer event is skipped); progress on
 * stderr. Stops on SIGINT (`InterruptedError`) or on an error of `visit` (`CliFailure`).
 */
export async function readCustomerEvents(
  ctx: CliContext,
  o: ReadCustomerEventsOptions,
  visit: (e: ReadCustomerEvent) => void,
): Promise<{ events: number; seconds: number }> {
  const started = Date.now();
  const { store } = await ctx.stores();
  const head = await store.headPosition();
  const prefix = o.tenantId ? customerStream(o.tenantId, '') : `${StreamCategories.customer}-`;
  let read = 0;
  let position = 0n;
  let failure: unknown;
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  let done = head === 0n;
  if (done) finish();

  const onEvents = (events: readonly RecordedEvent[]): void => {
    for (const e of events) {
      if (e.globalPosition > head) {
        done = true;
        break;
      }
      const owner = parseCustomerStream(e.streamName);
      const event = owner && toCustomerEvent(e);
      if (owner && event) visit({ tenantId: owner.tenantId, customerId: owner.customerId, revision: e.revision, event });
      read += 1;
      position = e.globalPosition;
    }
    if (position >= head) done = true;
    if (done) finish();
  };

  const progress = new ProgressLine(ctx.io.stderr, o.label);
  let subscription: Subscription | undefined;
  try {
    if (!done) {
      subscription = store.subscribeToAll({
        filter: { streamPrefixes: [prefix] },
        batchSize: 1_000,
        onEvents: async (events) => {
          if (done || failure !== undefined || ctx.io.signal?.aborted) return;
          try {
            onEvents(events);
          } catch (err) {
            failure = err;
            finish();
          }
        },
        onError: (err) => ctx.logger.warn({ err: String(err) }, `cli.${o.label}.retrying`),
      });
      // The filter may leave the last events of the log out: caught up is the end then.
      void subscription.caughtUp.then(
        () => finish(),
        () => undefined,
      );
      const onAbort = (): void => finish();
      ctx.io.signal?.addEventListener('abort', onAbort, { once: true });
      progress.start(async () => ({ done: read, position, head }));
      await finished;
      ctx.io.signal?.removeEventListener('abort', onAbort);
    }
  } finally {
    await subscription?.stop();
    progress.stop({ done: read, position: head, head });
  }
  if (failure !== undefined)
    throw new CliFailure(
      `CLI_${o.label.toUpperCase()}_FAILED`,
      `${o.label} stopped at position ${position}: ${failure instanceof Error ? failure.message : String(failure)}`,
    );
  if (ctx.io.signal?.aborted)
    throw new InterruptedError(`${o.label} stopped at position ${position} of ${head}${o.interrupted ? ` (${o.interrupted()})` : ''}`);
  return { events: read, seconds: (Date.now() - started) / 1000 };
}
