import { IsIn, IsOptional, Matches } from 'class-validator';
import { ALL_CHANNEL_IDS, type ChannelId } from '@hub/contracts';
import { ApiProperty, ApiPropertyOptional } from '@hub/platform/openapi';

/** Outcomes a person or a system reports; `no_response` is the worker's, after the timeout. */
export const REPORTED_OUTCOMES = ['accepted', 'declined'] as const;

/** `POST /tenants/:tenantId/customers/:customerId/decisions/:decisionId/outcome`. */
export class RecordOutcomeDto {
  @ApiProperty({ enum: REPORTED_OUTCOMES })
  @IsIn(REPORTED_OUTCOMES, { message: `outcome must be one of ${REPORTED_OUTCOMES.join(', ')}` })
  outcome!: (typeof REPORTED_OUTCOMES)[number];
  /** Where it was observed; default: the channel the decision chose. */
  @ApiPropertyOptional({ enum: ALL_CHANNEL_IDS, description: 'Default: the channel the decision chose' })
  @IsOptional()
  @IsIn(ALL_CHANNEL_IDS, { message: `channel must be one of ${ALL_CHANNEL_IDS.join(', ')}` })
  channel?: ChannelId;
  /** Who observed it (`agent`, `channel`, `crm`, …); default `api`. */
  @ApiPropertyOptional({ type: String, pattern: '^[a-z][a-z0-9_-]{0,31}$', description: 'Who observed it; default `api`' })
  @IsOptional()
  @Matches(/^[a-z][a-z0-9_-]{0,31}$/, { message: 'source must be a lower-case code (letters, digits, _ and -), at most 32' })
  source?: string;
}
