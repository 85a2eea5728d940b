import type { ClientConfig } from 'pg';
import { PostgresNotificationListener } from '@hub/event-store';
import type { HubLogger } from '@hub/platform';

export const TIMELINE_NOTIFICATIONS = Symbol('TIMELINE_NOTIFICATIONS');

/** The projector's channel: `pg_notify('hub_timeline', '<tenantId>:<customerId>')` after each committed timeline change. */
export const TIMELINE_CHANNEL = 'hub_timeline';

export type Wake = () => void;

/** The key a notification carries for one customer's timeline. */
export const timelineKey = (tenantId: string, customerId: string): string => `${tenantId}:${customerId}`;

/**
 * The live streams of the process, keyed by customer, on one LISTEN connection to `hub_timeline`
 * (the event store's reconnecting `PostgresNotificationListener`): a notification wakes the streams
 * whose key it names. Opened by the first subscription and kept until shutdown. A lost connection is
 * re-established with backoff, and every stream is woken when it is lost and when it is back (NOTIFYs
 * sent meanwhile are gone); streams also poll, so they never depend on it for correctness.
 */
export class TimelineNotifications {
  private readonly listeners = new Map<string, Set<Wake>>();
  private readonly connection: PostgresNotificationListener;
  private unlisten: (() => Promise<void>) | undefined;
  private closed = false;
  /** Losses in a row since LISTEN was last in place. */
  private failures = 0;
  /** The connection was just lost: the wake-up that follows is the loss's, not a reconnection's. */
  private justLost = false;

  constructor(
    config: ClientConfig,
    private readonly logger: HubLogger,
    channel = TIMELINE_CHANNEL,
  ) {
    this.connection = new PostgresNotificationListener({ ...config, application_name: 'hub-query-api-live' }, channel, {
      initialMs: 250,
      maxMs: 30_000,
    });
  }

  /**
   * Calls `wake` on every notification for `key`. Resolves once LISTEN is in place (or its attempt
   * failed: the caller's polling covers that), so a change committed after it resolves is not missed.
   * The returned function unsubscribes.
   */
  async subscribe(key: string, wake: Wake): Promise<() => void> {
    let set = this.listeners.get(key);
    if (!set) this.listeners.set(key, (set = new Set()));
    set.add(wake);
    const registered = set;
    if (!this.unlisten && !this.closed) {
      this.unlisten = this.connection.add({
        wake: (payload) => this.wake(payload),
        report: (error) => {
          this.failures++;
          this.justLost = true;
          this.logger.warn({ err: String(error), failures: this.failures }, 'query.live.listen_lost');
        },
      });
    }
    await this.connection.listening();
    return () => {
      registered.delete(wake);
      if (registered.size === 0 && this.listeners.get(key) === registered) this.listeners.delete(key);
    };
  }

  /** How many streams listen (for tests and logs). */
  get subscriptions(): number {
    let n = 0;
    for (const set of this.listeners.values()) n += set.size;
    return n;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.listeners.clear();
    this.unlisten = undefined;
    await this.connection.close();
  }

  /** A notification names one customer's key; no payload means "(re)connected or lost: anything may have been missed". */
  private wake(payload: string | undefined): void {
    if (payload === undefined) {
      if (this.justLost) this.justLost = false;
      else if (this.failures > 0) {
        this.logger.info({ failures: this.failures }, 'query.live.listen_restored');
        this.failures = 0;
      } else {
        // LISTEN in place for the first time (or again after the last stream left): nothing was
        // missed, and a stream still priming what is already visible must not be woken to send it.
        return;
      }
      for (const set of [...this.listeners.values()]) for (const wake of [...set]) wake();
      return;
    }
    for (const wake of [...(this.listeners.get(payload) ?? [])]) wake();
  }
}
