import { Body, ConflictException, Controller, Get, Inject, NotFoundException, Param, Post, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { validateAs } from '@hub/contracts';
import { foldCustomer, type CustomerEvent } from '@hub/customer';
import type { CustomerRepository } from '@hub/customer-records';
import { ConcurrencyError } from '@hub/event-store';
import { currentCatalog, contactHistoryFrom, decide, decideOutcome, decisionSeed, latestTrigger, type Catalog } from '@hub/nba';
import { OUTCOME_TALLY_READER, type PostgresOutcomeTallyReader } from '@hub/nba-outcomes';
import { CUSTOMER_REPOSITORY } from '../customers.controller';
import { validationFailed } from '../query-params';
import { RecordOutcomeDto } from './record-outcome.dto';
import { RequiresScope } from '../auth/scope.decorator';
import { ApiBody, ApiTags } from '@hub/platform/openapi';
import { TenantOperation, VALIDATION_FAILED } from '../openapi';
import { Audited } from '../audit/audited.decorator';

const unknownCustomer = () => new NotFoundException({ error: 'not_found', reason: 'unknown customer' });
/** Appends lost to a concurrent writer are retried on the fresh stream this many times. */
const MAX_ATTEMPTS = 5;

/**
 * Next best actions over HTTP: the menu as the engine ranks it now, and the outcomes of decisions.
 * Tenant-scoped like every customer route (the API key guard answers 404 across tenants).
 */
@ApiTags('next best actions')
@Controller('tenants/:tenantId/customers/:customerId')
export class NbaController {
  private readonly catalog: Catalog = currentCatalog();

  constructor(
    @Inject(CUSTOMER_REPOSITORY) private readonly customers: CustomerRepository,
    @Inject(OUTCOME_TALLY_READER) private readonly outcomes: PostgresOutcomeTallyReader,
  ) {}

  /**
   * The ranked menu with every candidate's explanation, computed now by the pure engine on the
   * customer's folded stream and the population's outcomes. Nothing is recorded: this is what the
   * worker would decide if the latest triggering event (or, without one, the latest event) arrived
   * now, with the same seed as the decision answering it.
   */
  @Audited('customer.next_best_actions.explained')
  @Get('next-best-actions/menu')
  @TenantOperation('read', { summary: "The ranked menu with every candidate's explanation, computed now; nothing is recorded" })
  async menu(@Param('tenantId') tenantId: string, @Param('customerId') customerId: string) {
    const { recorded, events } = await this.customers.history(tenantId, customerId);
    const revision = recorded.at(-1)?.revision;
    const state = foldCustomer(events);
    if (revision === undefined || state.status === 'erased') throw unknownCustomer();
    const trigger = latestTrigger(events) ?? events.at(-1)!;
    const now = new Date().toISOString();
    const d = decide({
      tenantId,
      customerId,
      state,
      stateRevision: revision.toString(),
      trigger,
      catalog: this.catalog,
      outcomes: await this.outcomes.tally(tenantId),
      history: contactHistoryFrom(events),
      now,
      seed: decisionSeed(tenantId, customerId, trigger.metadata.eventId),
    });
    const explained = new Map(d.candidates.map((c) => [c.actionId, c]));
    return {
      customerId,
      recorded: false,
      computedAt: now,
      basedOnRevision: d.basedOnRevision,
      basedOnEventId: d.basedOnEventId,
      trigger: trigger.type,
      strategyVersion: d.strategyVersion,
      catalogVersion: d.catalogVersion,
      seed: d.seed,
      segment: d.segment,
      chosen: d.chosen,
      explanation: d.explanation,
      menu: d.menu.map((entry) => ({ ...entry, explanation: explained.get(entry.actionId)! })),
      candidates: d.candidates,
      facts: d.facts,
    };
  }

  /**
   * Record what became of a decision: `accepted` or `declined` (the worker records `no_response`
   * after the timeout). One outcome per decision: the same outcome again answers 200 with
   * `recorded: false`; a different one is 409 and names the one recorded.
   */
  @Audited('decision.outcome_recorded')
  @Post('decisions/:decisionId/outcome')
  @RequiresScope('write')
  @TenantOperation(
    'write',
    { summary: 'Record what became of a decision: accepted or declined (201; the same outcome again: 200, recorded: false)' },
    { ...VALIDATION_FAILED, 409: 'Another outcome is recorded already, or the decision was to do nothing' },
  )
  @ApiBody({ type: RecordOutcomeDto })
  async recordOutcome(
    @Param('tenantId') tenantId: string,
    @Param('customerId') customerId: string,
    @Param('decisionId') decisionId: string,
    @Body() body: unknown,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const v = validateAs(RecordOutcomeDto, body ?? {});
    if (!v.ok) throw validationFailed(v.errors);
    const request = v.value;
    for (let attempt = 1; ; attempt++) {
      const { recorded, events } = await this.customers.history(tenantId, customerId);
      const revision = recorded.at(-1)?.revision;
      if (revision === undefined || isErased(events)) throw unknownCustomer();
      const now = new Date().toISOString();
      const r = decideOutcome(events, {
        tenantId,
        customerId,
        decisionId,
        outcome: request.outcome,
        source: request.source ?? 'api',
        now,
        ...(request.channel ? { channel: request.channel } : {}),
      });
      switch (r.kind) {
        case 'unknown_decision':
          throw new NotFoundException({ error: 'not_found', reason: 'unknown decision' });
        case 'no_contact':
          throw new ConflictException({
            error: 'conflict',
            reason: 'decision_made_no_contact',
            message: 'the decision was to do nothing: there is nothing to accept or decline',
          });
        case 'already_recorded':
          if (r.outcome !== request.outcome)
            throw new ConflictException({
              error: 'conflict',
              reason: 'outcome_already_recorded',
              recorded: { outcome: r.outcome, eventId: r.eventId, at: r.at },
            });
          reply.status(200);
          return { recorded: false, decisionId, outcome: r.outcome, eventId: r.eventId, at: r.at };
        case 'record':
          try {
            const appended = await this.customers.append(tenantId, customerId, [r.event], revision);
            // Stored already by a racing writer (the same id): read again to answer with what is stored.
            if (appended.duplicate) continue;
          } catch (err) {
            if (err instanceof ConcurrencyError && attempt < MAX_ATTEMPTS) continue;
            throw err;
          }
          reply.status(201);
          return { recorded: true, decisionId, outcome: r.event.data.outcome, eventId: r.event.metadata.eventId, at: now };
        default: {
          const _exhaustive: never = r;
          return _exhaustive;
        }
      }
    }
  }
}

const isErased = (events: readonly CustomerEvent[]): boolean => events.some((e) => e.type === 'CustomerErased');
