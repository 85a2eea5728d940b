import { Client, escapeIdentifier, type ClientConfig } from 'pg';
import { retryDelay, type RetrySettings } from './subscription-support';

export interface NotificationListener {
  /**
   * Called on every notification on the channel, with its payload; and without one after each
   * (re)connection and each loss (notifications may have been missed meanwhile: wake everything).
   */
  wake(payload?: string): void;
  /** Told when the LISTEN connection is lost or cannot be opened (it is retried). */
  report(error: unknown): void;
}

/**
 * One dedicated connection (not from the pool) that LISTENs on one channel and wakes its listeners:
 * the store's subscriptions (on the store's channel), the query API's live timelines (on
 * `hub_timeline`). Opened when the first listener is added, closed when the last is removed
 * (so an idle process keeps no connection or timer). A lost connection is re-established with
 * backoff; every listener is woken after each (re)connection because NOTIFYs sent while it was
 * down are gone. Subscriptions also poll, so they never depend on it for correctness.
 */
export class PostgresNotificationListener {
  private readonly listeners = new Set<NotificationListener>();
  private client: Client | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private failures = 0;
  private active = false;
  private attempt: Promise<void> | undefined;

  constructor(
    private readonly config: ClientConfig,
    private readonly channel: string,
    private readonly retry: RetrySettings,
    /** Turns a connection error into what listeners are told (the store's `EventStoreUnavailableError`). */
    private readonly mapError: (error: unknown) => unknown = (error) => error,
  ) {}

  /** Adds `listener`; the returned function removes it (and closes the connection after the last one). */
  add(listener: NotificationListener): () => Promise<void> {
    this.listeners.add(listener);
    if (!this.active) {
      this.active = true;
      this.failures = 0;
      this.attempt = this.connect();
    }
    return async () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) await this.close();
    };
  }

  /**
   * Resolves once the connection attempt under way has ended: LISTEN is in place (a NOTIFY committed
   * after this resolves is not missed), or the attempt failed (the listeners were told; polling covers it).
   */
  async listening(): Promise<void> {
    await this.attempt;
  }

  /** Closes the connection and cancels a pending reconnect; `add` opens it again. */
  async close(): Promise<void> {
    this.active = false;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    const client = this.client;
    this.client = undefined;
    if (client) await client.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    if (!this.active) return;
    const client = new Client({ ...this.config, keepAlive: true });
    this.client = client;
    client.on('error', (err) => this.lost(client, err));
    client.on('end', () => this.lost(client, new Error('LISTEN connection ended')));
    client.on('notification', (message) => {
      if (message.channel === this.channel) this.wakeAll(message.payload);
    });
    try {
      await client.connect();
      await client.query(`listen ${escapeIdentifier(this.channel)}`);
    } catch (err) {
      this.lost(client, err);
      return;
    }
    if (this.client !== client) return;
    this.failures = 0;
    this.wakeAll();
  }

  /** Handles the loss of `client` once (error and end both arrive), then schedules a reconnect. */
  private lost(client: Client, error: unknown): void {
    if (this.client !== client) return;
    this.client = undefined;
    client.removeAllListeners('notification');
    client.end().catch(() => undefined);
    if (!this.active) return;
    const reported = this.mapError(error);
    for (const listener of this.listeners) listener.report(reported);
    // Subscriptions read now (their reads go through the pool) rather than at their next poll.
    this.wakeAll();
    this.retryTimer = setTimeout(
      () => {
        this.retryTimer = undefined;
        this.attempt = this.connect();
      },
      retryDelay(this.failures++, this.retry),
    );
  }

  private wakeAll(payload?: string): void {
    for (const listener of [...this.listeners]) listener.wake(payload);
  }
}
