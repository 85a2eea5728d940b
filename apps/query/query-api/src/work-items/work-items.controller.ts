import { randomUUID } from 'node:crypto';
import { Body, ConflictException, Controller, Get, HttpCode, Inject, NotFoundException, Param, Post, Query } from '@nestjs/common';
import { ApiBody, ApiTags } from '@hub/platform/openapi';
import { validateAs } from '@hub/contracts';
import { decideWorkItemCommand, foldCustomer, type WorkItemCommand, type WorkItemState } from '@hub/customer';
import type { CustomerRepository } from '@hub/customer-records';
import { ConcurrencyError } from '@hub/event-store';
import { WORK_ITEM_QUERIES, type WorkItemQueries } from '@hub/work-items';
import { CUSTOMER_REPOSITORY } from '../customers.controller';
import { queryAs, validationFailed } from '../query-params';
import { RequiresScope } from '../auth/scope.decorator';
import { ApiQueryParams, TenantOperation, VALIDATION_FAILED } from '../openapi';
import { Audited } from '../audit/audited.decorator';
import { ClaimWorkItemDto, ReassignWorkItemDto, ResolveWorkItemDto, WorkItemListQuery } from './work-items.dto';

const unknownWorkItem = () => new NotFoundException({ error: 'not_found', reason: 'unknown work item' });
/** Appends lost to a concurrent writer are decided again on the fresh stream this many times. */
const MAX_ATTEMPTS = 5;
const DEFAULT_LIMIT = 100;

const CONFLICTS = {
  409: 'Claimed by another agent already (`claimed_by_other`: reassign hands it on), or resolved already (`already_resolved`)',
} as const;

/**
 * Work items: escalations handed to people. The nba-worker opens one in the customer's stream when
 * it decides an escalation and projects every `WorkItem*` event into the queues (`work_items`, of
 * @hub/work-items), which this lists and finds items in. A command is decided on the customer's
 * folded stream (the record), appended at the revision it read; the queue follows a moment later.
 */
@ApiTags('work items')
@Controller('tenants/:tenantId/work-items')
export class WorkItemsController {
  constructor(
    @Inject(CUSTOMER_REPOSITORY) private readonly customers: CustomerRepository,
    @Inject(WORK_ITEM_QUERIES) private readonly queries: WorkItemQueries,
  ) {}

  @Audited('work_items.listed')
  @Get()
  @TenantOperation('read', { summary: 'Work items of a queue, a status or an assignee, most urgent first (priority, then due time)' })
  @ApiQueryParams(WorkItemListQuery)
  async list(@Param('tenantId') tenantId: string, @Query() query: unknown) {
    const q = queryAs(WorkItemListQuery, query);
    const items = await this.queries.list(tenantId, {
      limit: q.limit ?? DEFAULT_LIMIT,
      ...(q.queue !== undefined ? { queue: q.queue } : {}),
      ...(q.status !== undefined ? { status: q.status } : {}),
      ...(q.assignee !== undefined ? { assignee: q.assignee } : {}),
    });
    return { items };
  }

  @Audited('work_item.claimed')
  @Post(':workItemId/claim')
  @HttpCode(200)
  @RequiresScope('write')
  @TenantOperation(
    'write',
    { summary: 'Claim a work item for an agent (the same agent again: `recorded: false`)' },
    { ...VALIDATION_FAILED, ...CONFLICTS },
  )
  @ApiBody({ type: ClaimWorkItemDto })
  claim(@Param('tenantId') tenantId: string, @Param('workItemId') workItemId: string, @Body() body: unknown) {
    const v = validateAs(ClaimWorkItemDto, body ?? {});
    if (!v.ok) throw validationFailed(v.errors);
    return this.command(tenantId, workItemId, { kind: 'claim', agent: v.value.agent });
  }

  @Audited('work_item.reassigned')
  @Post(':workItemId/reassign')
  @HttpCode(200)
  @RequiresScope('write')
  @TenantOperation('write', { summary: 'Hand a work item to another agent' }, { ...VALIDATION_FAILED, ...CONFLICTS })
  @ApiBody({ type: ReassignWorkItemDto })
  reassign(@Param('tenantId') tenantId: string, @Param('workItemId') workItemId: string, @Body() body: unknown) {
    const v = validateAs(ReassignWorkItemDto, body ?? {});
    if (!v.ok) throw validationFailed(v.errors);
    return this.command(tenantId, workItemId, { kind: 'reassign', to: v.value.to, reason: v.value.reason });
  }

  @Audited('work_item.resolved')
  @Post(':workItemId/resolve')
  @HttpCode(200)
  @RequiresScope('write')
  @TenantOperation(
    'write',
    {
      summary: 'Resolve a work item: records WorkItemResolved and ConversationResolved of its conversation (the survey follow-up)',
    },
    { ...VALIDATION_FAILED, ...CONFLICTS },
  )
  @ApiBody({ type: ResolveWorkItemDto })
  resolve(@Param('tenantId') tenantId: string, @Param('workItemId') workItemId: string, @Body() body: unknown) {
    const v = validateAs(ResolveWorkItemDto, body ?? {});
    if (!v.ok) throw validationFailed(v.errors);
    const { resolution, note } = v.value;
    return this.command(tenantId, workItemId, { kind: 'resolve', resolution, ...(note !== undefined ? { note } : {}) });
  }

  private async command(tenantId: string, workItemId: string, command: WorkItemCommand) {
    const found = await this.queries.find(tenantId, workItemId);
    if (!found) throw unknownWorkItem();
    const { customerId } = found;
    for (let attempt = 1; ; attempt++) {
      const { recorded, events } = await this.customers.history(tenantId, customerId);
      const revision = recorded.at(-1)?.revision;
      const state = foldCustomer(events);
      if (revision === undefined || state.status === 'erased') throw unknownWorkItem();
      const d = decideWorkItemCommand(state, command, {
        tenantId,
        workItemId,
        now: new Date().toISOString(),
        eventIds: [randomUUID(), randomUUID()],
        correlationId: randomUUID(),
      });
      switch (d.kind) {
        case 'unknown_work_item':
          throw unknownWorkItem();
        case 'claimed_by_other':
          throw conflict('claimed_by_other', `claimed by ${d.item.assignee ?? 'another agent'}: reassign hands it on`, d.item);
        case 'already_resolved':
          throw conflict('already_resolved', 'the work item is resolved already', d.item);
        case 'unchanged':
          return { recorded: false, customerId, item: d.item, eventIds: [] };
        case 'record':
          try {
            await this.customers.append(tenantId, customerId, d.events, revision);
          } catch (err) {
            if (err instanceof ConcurrencyError && attempt < MAX_ATTEMPTS) continue;
            throw err;
          }
          return { recorded: true, customerId, item: d.item, eventIds: d.events.map((e) => e.metadata.eventId) };
        default: {
          const _exhaustive: never = d;
          return _exhaustive;
        }
      }
    }
  }
}

const conflict = (reason: string, message: string, item: WorkItemState) =>
  new ConflictException({
    error: 'conflict',
    reason,
    message,
    item: { workItemId: item.workItemId, status: item.status, assignee: item.assignee ?? null },
  });
