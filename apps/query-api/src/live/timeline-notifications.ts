import { Client, escapeIdentifier, type ClientConfig } from 'pg';
import type { HubLogger } from '@hub/platform';

export const TIMELINE_NOTIFICATIONS = Symbol('TIMELINE_NOTIFICATIONS');

/** The projector's channel: `pg_notify('hub_timeline', '<tenantId>:<customerId>')` after each committed timeline change. */
export const TIMELINE_CHANNEL = 'hub_timeline';

export type Wake = () => void;

/** The key a notification carries for one customer's timeline. */
export const timelineKey = (tenantId: string, customerId: string): string => `${tenantId}:${customerId}`;

/**
 * One dedicated connection (not from the pool) that LISTENs on `hub_timeline` for every live stream of
 * the process, and wakes the streams whose key a notification names. Opened by the first subscription
 * and kept until shutdown. A lost connection is re-established with backoff, and every stream is woken
 * when it is lost and when it is back (NOTIFYs sent meanwhile are gone); streams also poll, so they
 * never depend on it for correctness.
 */
export class TimelineNotifications {
  private readonly listeners = new Map<string, Set<Wake>>();
  private state: 'idle' | 'connecting' | 'listening' | 'retrying' | 'closed' = 'idle';
  private client: Client | undefined;
  private connecting: Promise<void> | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private failures = 0;

  constructor(
    private readonly config: ClientConfig,
    private readonly logger: HubLogger,
    private readonly channel = TIMELINE_CHANNEL,
  ) {}

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
    if (this.state === 'idle') this.connect();
    if (this.state === 'connecting') await this.connecting;
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
    this.state = 'closed';
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.listeners.clear();
    const client = this.client;
    this.client = undefined;
    if (client) await client.end().catch(() => undefined);
  }

  private connect(): void {
    this.state = 'connecting';
    const client = new Client({ ...this.config, keepAlive: true, application_name: 'hub-query-api-live' });
    this.client = client;
    client.on('error', (err) => this.lost(client, err));
    client.on('end', () => this.lost(client, new Error('LISTEN connection ended')));
    client.on('notification', (message) => {
      if (message.channel !== this.channel || !message.payload) return;
      for (const wake of [...(this.listeners.get(message.payload) ?? [])]) wake();
    });
    this.connecting = (async () => {
      try {
        await client.connect();
        await client.query(`listen ${escapeIdentifier(this.channel)}`);
      } catch (err) {
        this.lost(client, err);
        return;
      }
      if (this.client !== client) return;
      this.state = 'listening';
      if (this.failures > 0) {
        this.logger.info({ failures: this.failures }, 'query.live.listen_restored');
        this.wakeAll();
      }
      this.failures = 0;
    })();
  }

  /** Handles the loss of `client` once (error and end both arrive), then schedules a reconnect. */
  private lost(client: Client, error: unknown): void {
    if (this.client !== client) return;
    this.client = undefined;
    client.removeAllListeners('notification');
    client.end().catch(() => undefined);
    if (this.state === 'closed') return;
    this.state = 'retrying';
    const delayMs = Math.min(30_000, 250 * 2 ** Math.min(this.failures, 8));
    this.failures++;
    this.logger.warn({ err: String(error), failures: this.failures, retryInMs: delayMs }, 'query.live.listen_lost');
    this.wakeAll();
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (this.state === 'retrying') this.connect();
    }, delayMs);
  }

  private wakeAll(): void {
    for (const set of [...this.listeners.values()]) for (const wake of [...set]) wake();
  }
}
