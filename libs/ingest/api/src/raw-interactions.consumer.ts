import type { Kafka } from 'kafkajs';
import { startConsumer, type DeadLetterOptions, type RunningConsumer } from '@hub/messaging';
import type { HubLogger } from '@hub/platform';
import type { EventIntakeService } from './event-intake.service';

export type RawConsumerState = 'disabled' | 'starting' | 'running' | 'stopped';

export interface RawConsumerOptions {
  topic: string;
  groupId: string;
  concurrency: number;
  deadLetter: DeadLetterOptions;
  retryDelayMs?: number;
}

/**
 * The raw topic → `interactions`, through the same `readInteraction` as the HTTP API. At least
 * once: an offset is committed after the event is published (or the message dead-lettered).
 * Starts in the background and keeps trying while Kafka is away, so the HTTP API serves (503) meanwhile.
 */
export class RawInteractionsConsumer {
  private current: RawConsumerState = 'stopped';
  private running: RunningConsumer | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly kafka: Kafka,
    private readonly intake: EventIntakeService,
    private readonly options: RawConsumerOptions,
    private readonly logger: HubLogger,
  ) {}

  get state(): RawConsumerState {
    return this.current;
  }

  start(): void {
    if (this.closed || this.current !== 'stopped') return;
    this.current = 'starting';
    void this.attempt();
  }

  private async attempt(): Promise<void> {
    try {
      const consumer = await startConsumer(this.kafka, {
        groupId: this.options.groupId,
        topics: [this.options.topic],
        partitionsConsumedConcurrently: this.options.concurrency,
        deadLetter: this.options.deadLetter,
        logger: this.logger,
        handle: async (message) => void (await this.intake.ingestRaw(message)),
      });
      if (this.closed) {
        await consumer.stop();
        return;
      }
      this.running = consumer;
      this.current = 'running';
      this.logger.info({ topic: this.options.topic, groupId: this.options.groupId }, 'ingest.api.raw.consumer_started');
    } catch (err) {
      if (this.closed) return;
      this.logger.warn({ topic: this.options.topic, err: String(err) }, 'ingest.api.raw.consumer_start_failed');
      this.retryTimer = setTimeout(() => void this.attempt(), this.options.retryDelayMs ?? 5_000);
    }
  }

  async stop(): Promise<void> {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    await this.running?.stop();
    this.current = 'stopped';
  }
}
