import { Body, ConflictException, Controller, Delete, Get, HttpCode, Inject, NotFoundException, Param, Post, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { ClassConstructor } from 'class-transformer';
import { randomUUID } from 'node:crypto';
import { validateAs, type FieldError } from '@hub/contracts';
import { CustomerSearchQuery, StatsQuery, TimelineExportQuery, TimelineQuery, validationFailed } from '../query-params';
import { SaveQueryDto } from './save-query.dto';
import {
  SAVED_QUERIES,
  SavedQueryNameTakenError,
  type PostgresSavedQueries,
  type SavedQuery,
  type SavedQueryPath,
} from './saved-queries.store';
import { RequiresScope } from '../auth/scope.decorator';
import { ApiBody, ApiTags } from '@hub/platform/openapi';
import { TenantOperation, VALIDATION_FAILED } from '../openapi';

/** The DTO each listing validates its query string with: a saved query's params pass the same one. */
const PARAMS_OF = {
  customers: CustomerSearchQuery,
  timeline: TimelineQuery,
  exports: TimelineExportQuery,
  stats: StatsQuery,
} satisfies Record<SavedQueryPath, ClassConstructor<object>>;

/** Where a saved query runs (`{customerId}`: the timeline of any customer). */
const RUN_PATH: Record<SavedQueryPath, (tenantId: string) => string> = {
  customers: (t) => `/tenants/${t}/customers`,
  timeline: (t) => `/tenants/${t}/customers/{customerId}/timeline`,
  exports: (t) => `/tenants/${t}/exports/timelines`,
  stats: (t) => `/tenants/${t}/stats`,
};

/**
 * Not saved: a cursor pages one moment's listing, and an identity (a phone number, an e-mail
 * address) is personal data a saved query, listed to every key of the tenant, must not hold.
 */
const NOT_SAVED: Record<string, string> = {
  cursor: 'a cursor pages one listing at one moment: save the query without it',
  identity: 'a saved query holds no personal data: look a customer up by identity directly',
};

/**
 * The params as a query string holds them: a string per parameter, lists joined with commas
 * (`channel: ['sms', 'email']` → `'sms,email'`), numbers and booleans written out.
 */
function queryStringParams(
  params: Record<string, unknown>,
): { ok: true; params: Record<string, string> } | { ok: false; errors: FieldError[] } {
  const out: Record<string, string> = {};
  const errors: FieldError[] = [];
  const scalar = (v: unknown): string | undefined =>
    typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined;
  for (const [key, value] of Object.entries(params)) {
    const refused = Object.prototype.hasOwnProperty.call(NOT_SAVED, key) ? NOT_SAVED[key] : undefined;
    if (refused) {
      errors.push({ field: `params.${key}`, messages: [refused] });
      continue;
    }
    const text = Array.isArray(value)
      ? value.every((v) => scalar(v) !== undefined)
        ? value.map(scalar).join(',')
        : undefined
      : scalar(value);
    if (text === undefined)
      errors.push({ field: `params.${key}`, messages: [`params.${key} must be a string, a number, a boolean or a list of them`] });
    else out[key] = text;
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, params: out };
}

const view = (tenantId: string, q: SavedQuery) => ({
  ...q,
  run: `${RUN_PATH[q.path](tenantId)}${Object.keys(q.params).length ? `?${new URLSearchParams(q.params).toString()}` : ''}`,
});

/**
 * A tenant's saved queries: a name, a listing (`customers`, `timeline`, `exports`, `stats`) and its
 * parameters, validated by that listing's own DTO so a saved query cannot hold a mistyped filter;
 * with who saved it (the API key's id) and when. Any key of the tenant sees them all.
 */
@ApiTags('saved queries')
@Controller('tenants/:tenantId/saved-queries')
export class SavedQueriesController {
  constructor(@Inject(SAVED_QUERIES) private readonly saved: PostgresSavedQueries) {}

  @Post()
  @RequiresScope('write')
  @TenantOperation(
    'write',
    { summary: 'Save a query: a name, a listing and its parameters (validated as that listing validates them)' },
    { ...VALIDATION_FAILED, 409: 'The name is taken' },
  )
  @ApiBody({ type: SaveQueryDto })
  @HttpCode(201)
  async save(@Param('tenantId') tenantId: string, @Body() body: unknown, @Req() request: FastifyRequest) {
    const v = validateAs(SaveQueryDto, body ?? {});
    if (!v.ok) throw validationFailed(v.errors);
    const params = queryStringParams(v.value.params);
    if (!params.ok) throw validationFailed(params.errors);
    const checked = validateAs(PARAMS_OF[v.value.path], params.params);
    if (!checked.ok) throw validationFailed(checked.errors.map((e) => ({ field: `params.${e.field}`, messages: e.messages })));
    const keyId = request.hubApiKey?.keyId;
    if (keyId === undefined) throw new Error('saved-queries: no API key on the request (ApiKeyGuard sets it)');
    try {
      const saved = await this.saved.save(tenantId, {
        id: randomUUID(),
        name: v.value.name,
        path: v.value.path,
        params: params.params,
        savedBy: { keyId },
        savedAt: new Date().toISOString(),
      });
      return view(tenantId, saved);
    } catch (err) {
      if (err instanceof SavedQueryNameTakenError) throw new ConflictException({ error: 'name_taken', reason: err.message });
      throw err;
    }
  }

  @Get()
  @TenantOperation('read', { summary: "The tenant's saved queries" })
  async list(@Param('tenantId') tenantId: string) {
    return { savedQueries: (await this.saved.list(tenantId)).map((q) => view(tenantId, q)) };
  }

  @Get(':id')
  @TenantOperation('read', { summary: 'One saved query, with the URL that runs it' })
  async get(@Param('tenantId') tenantId: string, @Param('id') id: string) {
    const q = await this.saved.get(tenantId, id);
    if (!q) throw new NotFoundException({ error: 'not_found', reason: 'no saved query with this id' });
    return view(tenantId, q);
  }

  @Delete(':id')
  @RequiresScope('write')
  @TenantOperation('write', { summary: 'Delete a saved query (204)' })
  @HttpCode(204)
  async delete(@Param('tenantId') tenantId: string, @Param('id') id: string): Promise<void> {
    if (!(await this.saved.delete(tenantId, id)))
      throw new NotFoundException({ error: 'not_found', reason: 'no saved query with this id' });
  }
}
