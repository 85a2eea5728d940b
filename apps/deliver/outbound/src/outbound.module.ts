import { Inject, Injectable, Module, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import type { Kafka } from 'kafkajs';
import type { Pool } from 'pg';
import { CUSTOMER_STORES, HubPlatformModule, KAFKA, PG_POOL } from '@hub/app-platform';
import { loadConfig } from '@hub/config';
import { hubNames, type ChannelId } from '@hub/contracts';
import type { NbaDecisionMessage, NbaDecisionMessageV2 } from '@hub/customer';
import type { CustomerStores } from '@hub/customer-records';
import {
  OUTBOUND_SCHEMA,
  OUTBOUND_TEMPLATES,
  PostgresSendLedger,
  sendDecision,
  SendGridEmailSender,
  TelegramSender,
  TwilioSmsSender,
  WhatsAppCloudSender,
  type ApprovedTemplate,
  type MessageSender,
  type OutboundCustomers,
  type SendDecisionDeps,
} from '@hub/deliver-outbound';
import {
  ensureTopics,
  EVENT_PUBLISHER,
  hubTopicSpecs,
  KafkaEventPublisher,
  parseJsonValue,
  PermanentMessageError,
  startConsumer,
  type ConsumedMessage,
  type RunningConsumer,
} from '@hub/messaging';
import { hubMetrics, initMetrics, MetricsController } from '@hub/metrics';
import {
  HEALTH_PROBES,
  HealthController,
  HealthProbesCloser,
  kafkaProbe,
  LOGGER,
  postgresProbe,
  type DependencyProbe,
  type HubLogger,
} from '@hub/platform';
import type { OutboundEnv, OutboundSenderChannel } from './outbound.env';
import { APPROVED_TEMPLATE_ENTRY, OutboundEnv as OutboundEnvSchema } from './outbound.env';

const CONFIG = Symbol('OUTBOUND_CONFIG');

/** The senders of the enabled channels: one line per channel, checked against the channels the env accepts. */
export function outboundSenders(config: OutboundEnv): Partial<Record<ChannelId, MessageSender>> {
  const factories = {
    sms: () =>
      new TwilioSmsSender({
        baseUrl: config.TWILIO_API_BASE_URL,
        accountSid: config.TWILIO_ACCOUNT_SID,
        authToken: config.TWILIO_AUTH_TOKEN,
        from: config.TWILIO_FROM,
        timeoutMs: config.OUTBOUND_PROVIDER_TIMEOUT_MS,
        ...(config.TWILIO_STATUS_CALLBACK_URL ? { statusCallbackUrl: config.TWILIO_STATUS_CALLBACK_URL } : {}),
      }),
    telegram: () =>
      new TelegramSender({
        baseUrl: config.TELEGRAM_API_BASE_URL,
        botToken: config.TELEGRAM_BOT_TOKEN,
        timeoutMs: config.OUTBOUND_PROVIDER_TIMEOUT_MS,
      }),
    whatsapp: () =>
      new WhatsAppCloudSender({
        baseUrl: config.WHATSAPP_API_BASE_URL,
        apiVersion: config.WHATSAPP_API_VERSION,
        phoneNumberId: config.WHATSAPP_PHONE_NUMBER_ID,
        accessToken: config.WHATSAPP_ACCESS_TOKEN,
        timeoutMs: config.OUTBOUND_PROVIDER_TIMEOUT_MS,
      }),
    email: () =>
      new SendGridEmailSender({
        baseUrl: config.SENDGRID_API_BASE_URL,
        apiKey: config.SENDGRID_API_KEY,
        from: { email: config.EMAIL_FROM, ...(config.EMAIL_FROM_NAME ? { name: config.EMAIL_FROM_NAME } : {}) },
        unsubscribeUrl: config.EMAIL_UNSUBSCRIBE_URL,
        unsubscribeSecret: config.EMAIL_UNSUBSCRIBE_SECRET,
        timeoutMs: config.OUTBOUND_PROVIDER_TIMEOUT_MS,
      }),
  } satisfies Record<OutboundSenderChannel, () => MessageSender>;
  return Object.fromEntries(config.OUTBOUND_CHANNELS.map((channel) => [channel, factories[channel]()]));
}

/**
 * The outbound sender: decisions from `hub.nba-decisions.v2` (every instance alike, the group's
 * partitions shared), each sent at most once per decision and channel through the send ledger
 * (`sendDecision`), the outbound interaction appended to the customer's stream.
 */
@Injectable()
class OutboundSender implements OnApplicationBootstrap, OnModuleDestroy {
  private consumer: RunningConsumer | undefined;

  constructor(
    @Inject(CONFIG) private readonly config: OutboundEnv,
    @Inject(KAFKA) private readonly kafka: Kafka,
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(CUSTOMER_STORES) private readonly stores: CustomerStores,
    @Inject(EVENT_PUBLISHER) private readonly publisher: KafkaEventPublisher,
    @Inject(LOGGER) private readonly logger: HubLogger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const names = hubNames(this.config.HUB_NAMESPACE);
    await ensureTopics(this.kafka, hubTopicSpecs(names, { replicationFactor: this.config.KAFKA_REPLICATION_FACTOR }));
    await this.publisher.start();
    const customers = this.stores.customers;
    const outboundCustomers: OutboundCustomers = {
      load: async (tenantId, customerId) => (await customers.load(tenantId, customerId)).state,
      recordInteraction: async (tenantId, customerId, event) => {
        await customers.append(tenantId, customerId, [event]);
      },
    };
    const deps: SendDecisionDeps = {
      ledger: new PostgresSendLedger(this.pool),
      senders: outboundSenders(this.config),
      customers: outboundCustomers,
      templates: OUTBOUND_TEMPLATES,
      approvedTemplates: { whatsapp: approvedTemplatesOf(this.config.WHATSAPP_APPROVED_TEMPLATES) },
      inDoubtGraceMs: this.config.OUTBOUND_IN_DOUBT_GRACE_MS,
      now: () => new Date(),
    };
    this.consumer = await startConsumer(this.kafka, {
      groupId: names.groups.outbound,
      topics: [names.topics.nbaDecisionsV2],
      fromBeginning: this.config.OUTBOUND_FROM_BEGINNING,
      deadLetter: { publisher: this.publisher, topic: names.topics.deadLetter },
      logger: this.logger,
      partitionsConsumedConcurrently: 6,
      sessionTimeoutMs: this.config.OUTBOUND_KAFKA_SESSION_TIMEOUT_MS,
      handle: (message) => this.handle(deps, message),
    });
    this.logger.info(
      { topic: names.topics.nbaDecisionsV2, group: names.groups.outbound, channels: this.config.OUTBOUND_CHANNELS },
      'outbound.started',
    );
  }

  private async handle(deps: SendDecisionDeps, message: ConsumedMessage): Promise<void> {
    const decision = decisionOf(message);
    if (decision.kind === 'no-action') return;
    const fields = { decisionId: decision.decisionId, customerId: decision.customerId, correlationId: decision.correlationId };
    const channel = decision.action.channel ?? decision.address?.channel ?? 'none';
    try {
      const result = await sendDecision(deps, decision);
      hubMetrics.outboundSends().inc({ channel, result: result.kind });
      this.logger.info({ ...fields, ...result }, `outbound.send.${result.kind}`);
    } catch (err) {
      hubMetrics.outboundSends().inc({ channel, result: 'pending' });
      this.logger.warn({ ...fields, code: (err as { code?: string }).code, err: (err as Error).message }, 'outbound.send.pending');
      throw err;
    }
  }

  async onModuleDestroy(): Promise<void> {
    await this.consumer?.stop();
  }
}

/** `WHATSAPP_APPROVED_TEMPLATES` entries (validated at boot) by action. */
export function approvedTemplatesOf(entries: readonly string[]): Record<string, ApprovedTemplate> {
  return Object.fromEntries(
    entries.map((entry) => {
      const [, action, name, language] = APPROVED_TEMPLATE_ENTRY.exec(entry)!;
      return [action!, { name: name!, language: language! }];
    }),
  );
}

/** A decision message, or a permanent error naming what is missing (dead-lettered). */
function decisionOf(message: ConsumedMessage): NbaDecisionMessageV2 | NbaDecisionMessage {
  const value = parseJsonValue(message);
  const d = value as Partial<NbaDecisionMessage> | null;
  const missing = (['decisionId', 'tenantId', 'customerId', 'decidedAt', 'correlationId'] as const).filter(
    (f) => typeof d?.[f] !== 'string' || d[f] === '',
  );
  if (typeof d?.action?.code !== 'string') missing.push('action' as never);
  if (missing.length > 0) throw new PermanentMessageError('NOT_A_DECISION', `not a decision: no ${missing.join(', ')}`);
  return value as NbaDecisionMessageV2;
}

/** The app's settings, validated (a bad environment fails at boot with every problem named). */
export function outboundConfig(env: NodeJS.ProcessEnv): OutboundEnv {
  return loadConfig('outbound', OutboundEnvSchema, env);
}

export function outboundModule(config: OutboundEnv) {
  initMetrics('outbound');
  @Module({
    imports: [
      HubPlatformModule.forApp('outbound', config, {
        pool: { max: 8, idleErrorEvent: 'outbound.pg.idle_client_error' },
        kafka: { sendTimeoutMs: 30_000 },
        schema: [OUTBOUND_SCHEMA],
      }),
      TerminusModule.forRoot({ logger: false }),
    ],
    controllers: [HealthController, MetricsController],
    providers: [
      { provide: CONFIG, useValue: config },
      {
        provide: HEALTH_PROBES,
        inject: [KAFKA, PG_POOL],
        useFactory: (kafka: Kafka, pool: Pool): DependencyProbe[] => [kafkaProbe(kafka), postgresProbe(pool)],
      },
      HealthProbesCloser,
      OutboundSender,
    ],
  })
  class OutboundModule {}
  return OutboundModule;
}
