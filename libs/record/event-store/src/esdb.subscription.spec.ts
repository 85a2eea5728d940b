import { randomUUID } from 'node:crypto';
import { Transform } from 'node:stream';
import type { AllStreamResolvedEvent, EventStoreDBClient, ReadAllOptions, SubscribeToAllOptions } from '@eventstore/db-client';
import { EventStoreUnavailableError, type RecordedEvent } from './event-store.port';
import { EsdbSubscription } from './esdb.subscription';
import { validateSubscribeOptions } from './subscription-support';

/**
 * EventStoreDB cannot run here (no Docker): the adapter is held to the contract suite whenever
 * EVENTSTORE_URL is set. These no-I/O specs drive the subscription's own logic (batching, filter,
 * caught-up bookkeeping, resuming after an error) over a scripted stand-in for the gRPC client, so
 * that code at least runs in every `npm test`.
 */

/**
 * What the stand-in server does with one subscription: it sends the log from `fromPosition`
 * (inclusive: the adapter must skip the event at the position itself), at most `failAfter` events
 * and then an error, or all of them and then its caught-up message (unless `caughtUp` is false).
 */
interface ScriptedSubscription {
  failAfter?: { events: number; error: Error };
  caughtUp?: boolean;
}

type ServerMessage = AllStreamResolvedEvent | 'caughtUp' | Error;

function esdbEvent(streamId: string, type: string, commit: bigint): AllStreamResolvedEvent {
  return {
    event: {
      streamId,
      id: randomUUID(),
      revision: 0n,
      type,
      data: { commit: commit.toString() },
      metadata: {},
      isJson: true,
      created: new Date(),
      position: { commit, prepare: commit },
    },
    commitPosition: commit,
  } as AllStreamResolvedEvent;
}

/** Like the client's own `Subscription`: a Transform that handles server messages in order, under back-pressure. */
function subscriptionStream(messages: ServerMessage[]): Transform & { unsubscribe(): Promise<void> } {
  const stream = new Transform({
    objectMode: true,
    highWaterMark: 2,
    transform(message: ServerMessage, _encoding, next) {
      if (message === 'caughtUp') this.emit('caughtUp');
      else if (message instanceof Error) this.emit('error', message);
      else return next(null, message);
      next();
    },
  });
  setImmediate(() => {
    for (const message of messages) stream.write(message);
  });
  return Object.assign(stream, { unsubscribe: async () => void stream.end() });
}

function scriptedClient(
  log: AllStreamResolvedEvent[],
  scripts: ScriptedSubscription[],
): { client: EventStoreDBClient; opened: SubscribeToAllOptions[] } {
  const opened: SubscribeToAllOptions[] = [];
  const client = {
    subscribeToAll(options: SubscribeToAllOptions) {
      opened.push(options);
      const script = scripts.shift() ?? {};
      const from = options.fromPosition;
      const events = log.filter((e) => typeof from !== 'object' || e.event!.position.commit >= from.commit);
      const messages: ServerMessage[] = script.failAfter
        ? [...events.slice(0, script.failAfter.events), script.failAfter.error]
        : [...events, ...(script.caughtUp === false ? [] : ['caughtUp' as const])];
      return subscriptionStream(messages);
    },
    readAll(options: ReadAllOptions) {
      const events = options.direction === 'backwards' ? [...log].reverse() : [...log];
      return (async function* () {
        yield* events;
      })();
    },
  };
  return { client: client as unknown as EventStoreDBClient, opened };
}

const retry = { initialMs: 5, maxMs: 20 };

describe('EsdbSubscription (over a scripted client)', () => {
  describe('when the server sends history then its caught-up message', () => {
    it('delivers the matching events in order, and resolves caughtUp only once they are handled', async () => {
      const log = [
        esdbEvent('a-1', 'Opened', 10n),
        esdbEvent('b-1', 'Opened', 20n),
        esdbEvent('a-2', 'Closed', 30n),
        esdbEvent('$stats', '$statsCollected', 40n),
        esdbEvent('a-1', 'Closed', 50n),
      ];
      const { client } = scriptedClient(log, [{}]);
      const received: RecordedEvent[] = [];
      let caughtUpWhileHandling = false;
      const subscription = new EsdbSubscription(
        client,
        validateSubscribeOptions({
          filter: { streamPrefixes: ['a-'], eventTypes: ['Closed'] },
          batchSize: 1,
          onEvents: async (events) => {
            await new Promise((resolve) => setTimeout(resolve, 10));
            caughtUpWhileHandling ||= subscription.isCaughtUp;
            received.push(...events);
          },
        }),
        retry,
      ).start();

      await subscription.caughtUp;
      await subscription.stop();

      expect(received.map((e) => [e.streamName, e.type, e.globalPosition])).toEqual([
        ['a-2', 'Closed', 30n],
        ['a-1', 'Closed', 50n],
      ]);
      expect(caughtUpWhileHandling).toBe(false);
      expect(subscription.position).toBe(50n);
    });
  });

  describe('when the subscription fails midway', () => {
    it('reports the error, resubscribes after the last event handled, and loses or repeats nothing', async () => {
      const log = [esdbEvent('a-1', 'Opened', 10n), esdbEvent('a-1', 'Noted', 20n), esdbEvent('a-2', 'Opened', 30n)];
      const { client, opened } = scriptedClient(log, [
        { failAfter: { events: 2, error: new Error('14 UNAVAILABLE: Connection dropped') } },
        {},
      ]);
      const received: RecordedEvent[] = [];
      const errors: unknown[] = [];
      const subscription = new EsdbSubscription(
        client,
        validateSubscribeOptions({ from: 5n, onEvents: async (events) => void received.push(...events), onError: (e) => errors.push(e) }),
        retry,
      ).start();

      await subscription.caughtUp;
      await subscription.stop();

      expect(received.map((e) => e.globalPosition)).toEqual([10n, 20n, 30n]);
      expect(errors).toHaveLength(1);
      expect(errors[0]).toBeInstanceOf(EventStoreUnavailableError);
      expect(opened).toHaveLength(2);
      expect(opened[0]!.fromPosition).toEqual({ commit: 5n, prepare: 5n });
      // Events still buffered when the error came are read again: resumed from what was handled.
      const resumedFrom = opened[1]!.fromPosition as { commit: bigint };
      expect([5n, 10n, 20n]).toContain(resumedFrom.commit);
    });
  });

  describe('when the server never says it caught up (servers before 23.10)', () => {
    it('resolves caughtUp once the last event of the log that matches has been handled', async () => {
      const log = [esdbEvent('a-1', 'Opened', 10n), esdbEvent('a-1', 'Closed', 20n), esdbEvent('b-1', 'Opened', 30n)];
      const { client, opened } = scriptedClient(log, [{ caughtUp: false }]);
      const received: RecordedEvent[] = [];
      const subscription = new EsdbSubscription(
        client,
        validateSubscribeOptions({ filter: { eventTypes: ['Closed'] }, onEvents: async (events) => void received.push(...events) }),
        retry,
      ).start();

      await subscription.caughtUp;
      await subscription.stop();

      expect(received.map((e) => e.globalPosition)).toEqual([20n]);
      expect(opened[0]!.fromPosition).toBe('start');
      expect(opened[0]!.filter).toMatchObject({ filterOn: 'eventType', regex: '^(?:Closed)$' });
    });
  });
});
