import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, openSync, closeSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { TestPki } from './test-pki';
import { freePort } from './throwaway-redis';

const ROOT = resolve(__dirname, '../../../..');
/** The broker's jars, fetched by `infra/kafka/kafka.sh deps` (the line the shared broker runs). */
const KAFKA_LIB = join(ROOT, 'infra/kafka/lib/4');
const LOG4J = join(ROOT, 'infra/kafka/log4j2.properties');

export interface ThrowawayKafkaOptions {
  /** `required`: the broker asks every client for a certificate signed by the test CA (mutual TLS). */
  clientAuth: 'required' | 'none';
  /** A second listener, SASL_SSL with SCRAM-SHA-512, knowing this one user (no client certificate asked there). */
  scramUser: { name: string; password: string };
}

/**
 * A single-node KRaft broker of the test's own (never the shared one on 9092) whose client
 * listeners are SSL (`brokers`) and SASL_SSL with SCRAM-SHA-512 (`saslBrokers`), with the test's
 * certificates as PEM stores: free ports, a temp log dir, 512 MB of heap. `stop()` ends it (SIGTERM, then SIGKILL) and removes the directory; a test process that
 * exits without calling it still kills the JVM.
 */
export class ThrowawayKafka {
  private readonly exitHook = () => this.child.kill('SIGKILL');

  private constructor(
    readonly port: number,
    readonly saslPort: number,
    private readonly dir: string,
    private readonly child: ChildProcess,
  ) {
    process.once('exit', this.exitHook);
  }

  get brokers(): string {
    return `localhost:${this.port}`;
  }

  get saslBrokers(): string {
    return `localhost:${this.saslPort}`;
  }

  static async start(pki: TestPki, options: ThrowawayKafkaOptions): Promise<ThrowawayKafka> {
    const dir = mkdtempSync(join(tmpdir(), 'hub-kafka-tls-'));
    const [port, saslPort, controllerPort] = [await freePort(), await freePort(), await freePort()];
    const props = join(dir, 'server.properties');
    writeFileSync(
      props,
      [
        'process.roles=broker,controller',
        'node.id=1',
        `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
        'controller.listener.names=CONTROLLER',
        `listeners=SSL://127.0.0.1:${port},SASL_SSL://127.0.0.1:${saslPort},CONTROLLER://127.0.0.1:${controllerPort}`,
        `advertised.listeners=SSL://localhost:${port},SASL_SSL://localhost:${saslPort}`,
        'inter.broker.listener.name=SSL',
        'listener.security.protocol.map=CONTROLLER:PLAINTEXT,SSL:SSL,SASL_SSL:SASL_SSL',
        'sasl.enabled.mechanisms=SCRAM-SHA-512',
        'listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;',
        'ssl.keystore.type=PEM',
        `ssl.keystore.location=${pki.serverKeyStoreFile}`,
        'ssl.truststore.type=PEM',
        `ssl.truststore.location=${pki.caFile}`,
        `ssl.client.auth=${options.clientAuth}`, // the SSL listener's: a SASL_SSL listener takes it only with its listener prefix (KIP-684)
        `log.dirs=${join(dir, 'data')}`,
        'num.partitions=1',
        'offsets.topic.replication.factor=1',
        'offsets.topic.num.partitions=1',
        'transaction.state.log.replication.factor=1',
        'transaction.state.log.min.isr=1',
        'share.coordinator.state.topic.replication.factor=1',
        'share.coordinator.state.topic.min.isr=1',
        'group.initial.rebalance.delay.ms=0',
        'num.network.threads=1',
        'num.io.threads=2',
        '',
      ].join('\n'),
    );
    const logOpts = [`-Dlog4j2.configurationFile=${LOG4J}`, `-Dkafka.logs.dir=${join(dir, 'logs')}`, '-cp', `${KAFKA_LIB}/*`];
    mkdirSync(join(dir, 'logs'));
    const clusterId = randomBytes(16).toString('base64url').replace(/^-/, 'A');
    await promisify(execFile)(
      'java',
      [
        '-Xmx256m',
        '-XX:TieredStopAtLevel=1',
        ...logOpts,
        'kafka.tools.StorageTool',
        'format',
        '-t',
        clusterId,
        '-c',
        props,
        '--add-scram',
        `SCRAM-SHA-512=[name=${options.scramUser.name},password=${options.scramUser.password}]`,
      ],
      {
        timeout: 60_000,
      },
    );
    const out = join(dir, 'kafka.out');
    const fd = openSync(out, 'a');
    const child = spawn('java', ['-Xms512m', '-Xmx512m', '-XX:+UseG1GC', '-Djava.awt.headless=true', ...logOpts, 'kafka.Kafka', props], {
      stdio: ['ignore', fd, fd],
    });
    closeSync(fd);
    child.unref(); // stopped in stop(); not what keeps the test process alive meanwhile
    const kafka = new ThrowawayKafka(port, saslPort, dir, child);
    const log = () =>
      readFileSync(out, 'utf8')
        .split('\n')
        .filter((l) => !/^\s+at /.test(l))
        .slice(-30)
        .join('\n');
    for (let waited = 0; !log().includes('Kafka Server started'); waited += 250) {
      if (child.exitCode !== null || waited > 120_000) {
        await kafka.stop();
        throw new Error(`the throwaway Kafka broker did not start:\n${log()}`);
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    return kafka;
  }

  /** SIGTERM, SIGKILL after 20 s; then the directory is removed. Safe to call twice. */
  async stop(): Promise<void> {
    process.removeListener('exit', this.exitHook);
    const child = this.child;
    if (child.exitCode === null && child.signalCode === null) {
      await new Promise<void>((done) => {
        const kill = setTimeout(() => child.kill('SIGKILL'), 20_000);
        child.once('exit', () => {
          clearTimeout(kill);
          done();
        });
        child.kill('SIGTERM');
      });
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
