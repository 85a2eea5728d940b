import {
  HttpException,
  Injectable,
  ServiceUnavailableException,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { finalize, tap, type Observable } from 'rxjs';
import { AUDITED, type AuditedRoute } from './audited.decorator';
import { AuditTrail } from './audit-trail';

/** At most this many customer ids are listed in one entry (a search page or an export names more: `customerCount` says how many). */
const MAX_LISTED_CUSTOMERS = 1_000;

/**
 * Records every call of an `@Audited` route in the audit log, once, when it ends: who
 * (`request.hubActor`, set by the guard), the tenant, the customer(s), when it was asked, and the
 * outcome (`ok`, `not_found`, `rejected`, `denied`, `conflict`, `refused`, `failed`). A streamed
 * answer (export, live timeline) is recorded when it starts. A call the trail has no room for is
 * refused before it runs (503).
 */
@Injectable()
export class AuditInterceptor implements NestInterceptor {
  constructor(
    private readonly reflector: Reflector,
    private readonly trail: AuditTrail,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const route = this.reflector.get<AuditedRoute | undefined>(AUDITED, context.getHandler());
    if (!route) return next.handle();
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    if (!this.trail.reserve()) {
      void context.switchToHttp().getResponse<FastifyReply>().header('retry-after', '2');
      throw new ServiceUnavailableException({ error: 'unavailable', reason: 'the audit log cannot keep up; retry' });
    }
    const at = new Date();
    const params = (request.params ?? {}) as Record<string, string | undefined>;
    const query = (request.query ?? {}) as Record<string, unknown>;
    let settled = false;
    const settle = (outcome: string, extra: { status?: number; result?: unknown } = {}) => {
      if (settled) return;
      settled = true;
      if (route.recordedByStore && outcome === 'ok') return this.trail.release();
      const customers = customersOf(params, query, request.body, extra.result);
      this.trail.record({
        at,
        actor: request.hubActor ?? 'unknown',
        action: route.action,
        tenantId: tenantOf(params, query, request.body),
        // The customer the route names (its path), else the one customer answered about; the others in `detail.customerIds`.
        customerId: params['customerId'] ?? (customers.length === 1 ? customers[0]! : null),
        keyId: params['keyId'] ?? null,
        outcome,
        detail: {
          method: request.method,
          route: request.routeOptions.url ?? request.url,
          ...(extra.status !== undefined ? { status: extra.status } : {}),
          ...(customers.length > 1 ? { customerIds: customers.slice(0, MAX_LISTED_CUSTOMERS), customerCount: customers.length } : {}),
        },
      });
    };
    return next.handle().pipe(
      tap({
        next: (result) => settle('ok', { result }),
        complete: () => settle('ok'),
        error: (err: unknown) => {
          const status = err instanceof HttpException ? err.getStatus() : 500;
          settle(outcomeOf(status), { status });
        },
      }),
      // Unsubscribed before it ended (the client went away): still one entry.
      finalize(() => settle('cancelled')),
    );
  }
}

/**
 * The tenant a call concerns: its path's (every tenant route: the guard checked it), else, on an
 * operator's route, the one it names (`?tenantId=`, or the body's: a tenant being created).
 */
function tenantOf(params: Record<string, string | undefined>, query: Record<string, unknown>, body: unknown): string | null {
  if (params['tenantId'] !== undefined) return params['tenantId'];
  const named = typeof query['tenantId'] === 'string' ? query['tenantId'] : (body as { tenantId?: unknown } | null | undefined)?.tenantId;
  return typeof named === 'string' && named !== '' ? named : null;
}

function outcomeOf(status: number): string {
  if (status === 404) return 'not_found';
  if (status === 401 || status === 403) return 'denied';
  if (status === 409) return 'conflict';
  if (status === 429 || status === 503) return 'refused';
  if (status >= 400 && status < 500) return 'rejected';
  return 'failed';
}

/** The customers a call named or was answered about: the path's, the answer's (one customer, or a page of them), the body's or the query's list. */
function customersOf(params: Record<string, string | undefined>, query: Record<string, unknown>, body: unknown, result: unknown): string[] {
  const ids = new Set<string>();
  const add = (v: unknown) => {
    if (typeof v === 'string' && v !== '') ids.add(v);
  };
  add(params['customerId']);
  const answer = (result ?? {}) as { customerId?: unknown; customers?: unknown; records?: unknown };
  if (typeof result === 'object' && result !== null) {
    add(answer.customerId);
    if (Array.isArray(answer.customers)) for (const c of answer.customers) add((c as { customerId?: unknown } | null)?.customerId);
    // An erasure's records: the customer asked for and each one merged into it, erased with it.
    if (Array.isArray(answer.records)) for (const r of answer.records) add((r as { customerId?: unknown } | null)?.customerId);
  }
  const asked = (body ?? {}) as { customerIds?: unknown };
  if (typeof body === 'object' && body !== null && Array.isArray(asked.customerIds)) asked.customerIds.forEach(add);
  const listed = query['customerIds'];
  for (const v of Array.isArray(listed) ? listed : [listed]) if (typeof v === 'string') v.split(',').forEach((id) => add(id.trim()));
  return [...ids];
}
