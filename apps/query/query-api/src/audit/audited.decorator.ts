import { SetMetadata } from '@nestjs/common';

export const AUDITED = 'hub:audited';

export interface AuditedRoute {
  /** What was done, dotted and past tense: `customer.state.read`, `admin.keys.listed`. */
  action: string;
  /**
   * The key store records this change itself, in the change's transaction (`tenant.created`,
   * `key.created`, …): the audit trail records only the attempts that failed, so every action is one entry.
   */
  recordedByStore?: boolean;
}

/**
 * A route whose every call is in the audit log (docs/operations.md, "Audit log"): each read of
 * personal data and each admin action, with who, the tenant, the customer, when and the outcome
 * (`AuditInterceptor`).
 */
export const Audited = (action: string, options: Omit<AuditedRoute, 'action'> = {}): MethodDecorator =>
  SetMetadata(AUDITED, { action, ...options } satisfies AuditedRoute);
