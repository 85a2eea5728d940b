import type { ProviderSendOutcome, SendKey, SendRecord, SendResolution, SkipReason } from './outbound-send';

/** Dependency-injection token of the send ledger. */
export const SEND_LEDGER = Symbol('SEND_LEDGER');

/** What an intent records before the provider is called. */
export interface SendIntent extends SendKey {
  customerId: string;
  sendId: string;
  provider: string;
  to: string;
  body: string;
  at: string;
}

/**
 * The send ledger: one row per (tenant, decision, channel), the record that makes a send happen at
 * most once across retries, restarts and redeliveries (the protocol: `outbound-send.ts`). Every
 * write is conditional on the state it moves from, so two processes that both think they own a
 * send (a rebalance) cannot both call the provider: the one whose conditional write lost stops.
 */
export interface SendLedger {
  find(key: SendKey): Promise<SendRecord | undefined>;
  /** A first intent: true when this call wrote it, false when a row was already there. */
  recordIntent(intent: SendIntent): Promise<boolean>;
  /** A retry's intent, from `not_sent` (attempt + 1): true when this call moved it. */
  recordRetryIntent(intent: SendIntent): Promise<boolean>;
  /** The provider's answer to the attempt whose intent is recorded (from `intent` only). */
  recordOutcome(key: SendKey, outcome: ProviderSendOutcome, at: string): Promise<boolean>;
  /** A skipped send (no row before, or one proven `not_sent` before its retry): true when this call wrote it. */
  recordSkipped(key: SendKey & { customerId: string; sendId: string; provider: string }, reason: SkipReason, at: string): Promise<boolean>;
  /** An `intent` found by another attempt: it is in doubt now (true when this call moved it). */
  markInDoubt(key: SendKey, at: string): Promise<boolean>;
  /** An in-doubt send settled: found at the provider (`sent`) or proven absent (`not_sent`). */
  resolveInDoubt(
    key: SendKey,
    result: { state: 'sent'; providerMessageId: string; resolution: SendResolution } | { state: 'not_sent'; resolution: SendResolution },
    at: string,
  ): Promise<boolean>;
  /** Message ids already recorded as sent by other sends of the tenant, of those given (a lookup must not claim another send's message). */
  claimedMessageIds(tenantId: string, providerMessageIds: readonly string[], except: SendKey): Promise<Set<string>>;
}
