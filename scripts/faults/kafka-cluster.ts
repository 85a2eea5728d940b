/*
 * A Kafka cluster of the fault harness's own, through infra/kafka/cluster.sh (KRaft, every node broker +
 * controller, from the jars in infra/kafka/lib): F13's 3 nodes on their fixed ports, and the single
 * broker F4 and F11 boot the hub on (free ports, a run dir of its own, and for F11 an advertised port
 * that is a FaultProxy's). Never the shared broker on 9092.
 */
import { execFile, execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const CLUSTER_SCRIPT = resolve(__dirname, '../../infra/kafka/cluster.sh');

export interface KafkaClusterOptions {
  /** Nodes, all voters (cluster.sh's CLUSTER_NODES). Default 3. */
  nodes?: number;
  /** Client port of node 1; node i listens on port + i - 1. Default cluster.sh's (19092). */
  port?: number;
  /** Controller port of node 1. Default cluster.sh's (19192). */
  controllerPort?: number;
  /** The port clients are told to use for node 1 (a proxy's); default the node's own. */
  advertisedPort?: number;
  /** Where the nodes keep their data and logs. Default cluster.sh's (infra/kafka/run-cluster). */
  runDir?: string;
  /** Seconds cluster.sh waits for a node to be ready (the machine is slow). Default 240. */
  startTimeoutSeconds?: number;
}

export class KafkaCluster {
  private readonly env: NodeJS.ProcessEnv;

  /** Nothing runs yet: `start()` (and `clean()` works from here on, for a signal during the start). */
  constructor(o: KafkaClusterOptions = {}) {
    this.env = {
      ...process.env,
      CLUSTER_START_TIMEOUT: process.env['CLUSTER_START_TIMEOUT'] ?? String(o.startTimeoutSeconds ?? 240),
      ...(o.nodes !== undefined ? { CLUSTER_NODES: String(o.nodes) } : {}),
      ...(o.port !== undefined ? { CLUSTER_PORT: String(o.port) } : {}),
      ...(o.controllerPort !== undefined ? { CLUSTER_CONTROLLER_PORT: String(o.controllerPort) } : {}),
      ...(o.advertisedPort !== undefined ? { CLUSTER_ADVERTISED_PORT: String(o.advertisedPort) } : {}),
      ...(o.runDir !== undefined ? { CLUSTER_RUN_DIR: o.runDir } : {}),
    };
  }

  /** Format and start every node; resolves (with cluster.sh's report) once all are ready. */
  start(): Promise<string> {
    return this.script('start');
  }

  /** The bootstrap list clients use (the advertised ports). */
  async brokers(): Promise<string[]> {
    return (await this.script('brokers')).split(',');
  }

  /** SIGKILL node i (1-based): no controlled shutdown, the page cache keeps what the log had. */
  kill(node: number): Promise<string> {
    return this.script('kill', String(node));
  }

  /** Start node i again on its data; resolves once it is ready. */
  restart(node: number): Promise<string> {
    return this.script('restart', String(node));
  }

  /** The JVM's pid of node i (its pidfile, written by cluster.sh). */
  pidOf(node: number): number {
    const runDir = this.env['CLUSTER_RUN_DIR'] ?? resolve(__dirname, '../../infra/kafka/run-cluster');
    const pid = Number(readFileSync(resolve(runDir, `node-${node}`, 'kafka.pid'), 'utf8').trim());
    if (!Number.isInteger(pid) || pid <= 0) throw new Error(`node ${node} has no pid`);
    return pid;
  }

  /** Stop every node and remove the run dir. */
  clean(): Promise<string> {
    return this.script('clean');
  }

  /** The same, synchronously: for a signal handler about to exit the process. */
  cleanSync(): void {
    execFileSync('bash', [CLUSTER_SCRIPT, 'clean'], { env: this.env, stdio: 'ignore', timeout: 60_000 });
  }

  private async script(...args: string[]): Promise<string> {
    const { stdout } = await run('bash', [CLUSTER_SCRIPT, ...args], { env: this.env, maxBuffer: 4 * 1024 * 1024 });
    return stdout.trim();
  }
}
