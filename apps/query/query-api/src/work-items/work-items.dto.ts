import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min, MinLength } from 'class-validator';
import { ApiProperty, ApiPropertyOptional } from '@hub/platform/openapi';
import { WORK_ITEM_STATUSES, type WorkItemStatus } from '@hub/work-items';

/** An agent or queue id: a code, not a name (names are personal data; these are stored in clear). */
const CODE = /^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,127}$/;
const CODE_MESSAGE = (field: string) => `${field} must be an id (letters, digits and _ . : @ -, at most 128)`;

/** `GET /tenants/:tenantId/work-items`: one queue, status or assignee (any of them), most urgent first. */
export class WorkItemListQuery {
  @IsOptional() @Matches(CODE, { message: CODE_MESSAGE('queue') }) queue?: string;
  @IsOptional() @IsIn(WORK_ITEM_STATUSES, { message: `status must be one of ${WORK_ITEM_STATUSES.join(', ')}` }) status?: WorkItemStatus;
  @IsOptional() @Matches(CODE, { message: CODE_MESSAGE('assignee') }) assignee?: string;
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(500) limit?: number;
}

/** `POST …/work-items/:workItemId/claim`. */
export class ClaimWorkItemDto {
  @ApiProperty({ type: String, pattern: CODE.source, description: 'The agent taking the item (an agent id)' })
  @Matches(CODE, { message: CODE_MESSAGE('agent') })
  agent!: string;
}

/** `POST …/work-items/:workItemId/reassign`. */
export class ReassignWorkItemDto {
  @ApiProperty({ type: String, pattern: CODE.source, description: 'The agent the item goes to (an agent id)' })
  @Matches(CODE, { message: CODE_MESSAGE('to') })
  to!: string;
  @ApiProperty({ type: String, maxLength: 500, description: 'Why (stored sealed: personal data)' })
  @IsString()
  @MinLength(1)
  @MaxLength(500)
  reason!: string;
}

/** `POST …/work-items/:workItemId/resolve`. */
export class ResolveWorkItemDto {
  @ApiProperty({ type: String, pattern: '^[a-z][a-z0-9_-]{0,63}$', description: 'A resolution code: `solved`, `refunded`, …' })
  @Matches(/^[a-z][a-z0-9_-]{0,63}$/, { message: 'resolution must be a lower-case code (letters, digits, _ and -), at most 64' })
  resolution!: string;
  @ApiPropertyOptional({ type: String, maxLength: 2000, description: 'A note about the case (stored sealed: personal data)' })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  note?: string;
}
