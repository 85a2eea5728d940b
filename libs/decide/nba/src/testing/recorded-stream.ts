import {
  upcast,
  type CustomerEvent,
  type NbaOutcome,
  type NbaOutcomeRecorded,
  type NextBestActionDecided,
  type StoredEvent,
} from '@hub/customer';
import { meta } from '@hub/customer/testing';
import type { Catalog } from '../catalog/catalog.types';
import { catalogV1 } from '../catalog/load-catalog';
import { decide } from '../engine/decide';
import { decidedEvent, decidedEventV2 } from '../engine/decided-event';
import { buildDecisionInput } from '../engine/decision-input';
import type { StreamEvent } from '../explain/reproduce-decision';
import type { OutcomeTally } from '../learning/outcomes';
import { CUSTOMER, TENANT } from './nba.fixtures';

/** What the store hands back: JSON, upcast. */
export const storedAndRead = <E extends CustomerEvent>(event: E): E => upcast(JSON.parse(JSON.stringify(event)) as StoredEvent) as E;

/**
 * One customer's stream in memory, with decisions recorded the way the worker records them: the
 * whole stream folded (`buildDecisionInput`), decided, appended as `decidedEvent`, then stored
 * (JSON) and read back (upcast).
 */
export class RecordedStream {
  readonly events: StreamEvent[] = [];

  constructor(
    readonly tenantId = TENANT,
    readonly customerId = CUSTOMER,
  ) {}

  append(...events: CustomerEvent[]): this {
    for (const event of events) this.events.push({ revision: BigInt(this.events.length), event: storedAndRead(event) });
    return this;
  }

  /**
   * Decide on the stream as it stands (latest trigger, or `triggerEventId`), record it, return it as
   * stored and read. `recordedAs: 'v2'` records it as the previous release did (the whole ranking).
   */
  decide(
    now: string,
    o: { outcomes?: OutcomeTally; catalog?: Catalog; triggerEventId?: string; recordedAs?: 'v2' | 'v3' } = {},
  ): NextBestActionDecided {
    const input = buildDecisionInput({
      tenantId: this.tenantId,
      customerId: this.customerId,
      events: this.events.map((e) => e.event),
      revision: BigInt(this.events.length - 1),
      catalog: o.catalog ?? catalogV1(),
      outcomes: o.outcomes ?? {},
      now,
      ...(o.triggerEventId ? { triggerEventId: o.triggerEventId } : {}),
    });
    if (!input) throw new Error('RecordedStream.decide: nothing to answer');
    const decision = decide(input);
    if (o.recordedAs !== 'v2') this.append(decidedEvent(decision, `corr-${now}`));
    else {
      const stored = JSON.parse(JSON.stringify(decidedEventV2(decision, `corr-${now}`))) as StoredEvent;
      this.events.push({ revision: BigInt(this.events.length), event: upcast(stored) });
    }
    return this.events.at(-1)!.event as NextBestActionDecided;
  }

  /** Record what became of a decision. */
  outcome(decided: NextBestActionDecided, outcome: NbaOutcome, at: string): NbaOutcomeRecorded {
    const d = decided.data;
    const event: NbaOutcomeRecorded = {
      type: 'NbaOutcomeRecorded',
      data: {
        decisionId: d.decisionId,
        actionId: d.action.code,
        outcome,
        segment: d.segment,
        ...(d.action.channel ? { channel: d.action.channel } : {}),
        source: 'test',
      },
      metadata: { ...meta(`outcome-${d.decisionId}`, at), tenantId: this.tenantId },
    };
    this.append(event);
    return event;
  }
}
