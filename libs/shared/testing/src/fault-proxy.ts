import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';

/**
 * What a `FaultProxy` does to the traffic between clients and the server behind it (issue #15, F11):
 * - `pass`: forwards both ways as it comes;
 * - `latency`: holds every chunk `ms` (each direction) before forwarding it, in order;
 * - `blackhole`: accepts connections and reads what clients send, forwards nothing either way
 *   (a peer that vanished without a FIN or RST: only timeouts notice);
 * - `reset`: destroys every open connection and each new one at once (RST);
 * - `half-open`: forwards client → server but drops server → client (answers never arrive).
 */
export type FaultMode =
  | { kind: 'pass' }
  | { kind: 'latency'; ms: number }
  | { kind: 'blackhole' }
  | { kind: 'reset' }
  | { kind: 'half-open' };

export interface FaultProxyOptions {
  /** Where the real server listens. */
  target: { host: string; port: number };
  /** Port to listen on (loopback only); 0 = any free one. */
  port?: number;
}

interface Pair {
  client: Socket;
  server: Socket;
}

/**
 * A TCP proxy on 127.0.0.1 whose behaviour can be switched while connections are open, to put
 * degraded links (latency, blackhole, reset, half-open) between the hub and PostgreSQL, Redis or a
 * Kafka broker without touching the machine's network settings. Loopback only, by construction.
 */
export class FaultProxy {
  private mode: FaultMode = { kind: 'pass' };
  private readonly pairs = new Set<Pair>();
  private constructor(
    private readonly server: Server,
    private readonly target: FaultProxyOptions['target'],
  ) {}

  static async start(options: FaultProxyOptions): Promise<FaultProxy> {
    const server = createServer();
    const proxy = new FaultProxy(server, options.target);
    server.on('connection', (client) => proxy.accept(client));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    return proxy;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** Connections open through the proxy now. */
  get connections(): number {
    return this.pairs.size;
  }

  get current(): FaultMode {
    return this.mode;
  }

  /** Switch behaviour; applies at once to open connections too (`reset` ends them). */
  set(mode: FaultMode): void {
    this.mode = mode;
    if (mode.kind === 'reset') for (const pair of this.pairs) this.drop(pair);
  }

  async close(): Promise<void> {
    for (const pair of this.pairs) this.drop(pair);
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket): void {
    if (this.mode.kind === 'reset') {
      client.resetAndDestroy();
      return;
    }
    const server = connect(this.target.port, this.target.host);
    const pair: Pair = { client, server };
    this.pairs.add(pair);
    // Either side ending or failing ends the pair: the proxy never holds a connection the other side gave up.
    const end = (): void => this.drop(pair);
    for (const socket of [client, server]) {
      socket.setNoDelay(true);
      socket.on('error', end);
      socket.on('close', end);
    }
    this.forward(client, server, 'up');
    this.forward(server, client, 'down');
  }

  /** Chunks from `from` to `to`, each subject to the mode in force when it arrives. */
  private forward(from: Socket, to: Socket, direction: 'up' | 'down'): void {
    // Latency keeps order: a chunk leaves no earlier than the one before it.
    let releaseAt = 0;
    from.on('data', (chunk: Buffer) => {
      const mode = this.mode;
      switch (mode.kind) {
        case 'pass':
          if (!to.destroyed) to.write(chunk);
          return;
        case 'latency': {
          releaseAt = Math.max(releaseAt, Date.now() + mode.ms);
          const timer = setTimeout(() => {
            if (!to.destroyed) to.write(chunk);
          }, releaseAt - Date.now());
          timer.unref();
          return;
        }
        case 'blackhole':
          return;
        case 'half-open':
          if (direction === 'up' && !to.destroyed) to.write(chunk);
          return;
        case 'reset':
          return;
        default: {
          const _exhaustive: never = mode;
          return _exhaustive;
        }
      }
    });
  }

  private drop(pair: Pair): void {
    if (!this.pairs.delete(pair)) return;
    if (this.mode.kind === 'reset') {
      pair.client.resetAndDestroy();
      pair.server.resetAndDestroy();
    } else {
      pair.client.destroy();
      pair.server.destroy();
    }
  }
}
