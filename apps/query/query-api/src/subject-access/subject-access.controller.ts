import { Readable } from 'node:stream';
import { Controller, Get, Inject, NotFoundException, Param, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CUSTOMER_STORES } from '@hub/app-platform';
import { readSubjectAccess, subjectAccessJsonChunks, type CustomerStores } from '@hub/customer-records';
import { LOGGER, type HubLogger } from '@hub/platform';
import { TIMELINE_QUERIES, type TimelineQueries } from '@hub/timeline';
import { Audited } from '../audit/audited.decorator';
import { RequiresScope } from '../auth/scope.decorator';
import { ApiTags } from '@hub/platform/openapi';
import { TenantOperation } from '../openapi';

/**
 * The data subject's rights of access and portability (GDPR art. 15, 20): everything the hub holds
 * about one person as one JSON document (`hub.subject-access.v1`, `readSubjectAccess` of
 * @hub/customer-records, the same as `hub customer access-export`), streamed.
 */
@ApiTags('customers')
@Controller('tenants/:tenantId/customers/:customerId/access-export')
export class SubjectAccessController {
  constructor(
    @Inject(CUSTOMER_STORES) private readonly stores: CustomerStores,
    @Inject(TIMELINE_QUERIES) private readonly queries: TimelineQueries,
    @Inject(LOGGER) private readonly logger: HubLogger,
  ) {}

  /**
   * Every event of the person's records opened, their state, identities, consent, traits, decisions,
   * outcomes, merges and timeline entries. Needs the `erase` scope, not `read`: it is the whole record
   * in one answer, a data-subject request's (the key that answers those requests, access as erasure;
   * docs/operations.md, "Subject access export"). An erased customer's export says so.
   */
  @Get()
  @RequiresScope('erase')
  @TenantOperation('erase', {
    summary: "The data subject's access export: everything the hub holds about the person, as one JSON document",
  })
  @Audited('customer.access_exported')
  async export(
    @Param('tenantId') tenantId: string,
    @Param('customerId') customerId: string,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const now = new Date().toISOString();
    const access = await readSubjectAccess(
      {
        customers: this.stores.customers,
        identities: this.stores.identities,
        timeline: (t, c) => this.queries.exportEntries(t, { customerIds: [c] }, { now }),
      },
      { tenantId, customerId, now },
    );
    if (!access) throw new NotFoundException({ error: 'not_found', reason: 'unknown customer' });
    // Who read a person's whole record, and when: the audit trail of data-subject requests.
    const log = {
      tenantId,
      customerId,
      keyId: request.hubApiKey?.keyId,
      records: access.head.records.length,
      events: access.events.length,
    };
    this.logger.info(log, 'query.subject_access.exported');
    const stamp = now.replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
    const name = `subject-access-${tenantId}-${customerId.replace(/[^A-Za-z0-9_-]/g, '_')}-${stamp}.json`;
    const body = Readable.from(subjectAccessJsonChunks(access));
    body.on('error', (err) => this.logger.error({ ...log, err: String(err) }, 'query.subject_access.failed'));
    void reply
      .header('Content-Type', 'application/json; charset=utf-8')
      .header('Content-Disposition', `attachment; filename="${name}"`)
      .header('Cache-Control', 'no-store')
      .header('X-Content-Type-Options', 'nosniff')
      .send(body);
  }
}
