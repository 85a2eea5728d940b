import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayNotEmpty, IsArray, IsInt, IsOptional, IsString, Max, MaxLength, Min, Validate } from 'class-validator';
import type { ValidatorConstraintInterface } from 'class-validator';
import { ValidatorConstraint } from 'class-validator';
import { ApiProperty, ApiPropertyOptional } from '@hub/platform/openapi';
import { isEventTypePattern, WEBHOOK_EVENT_TYPES } from '@hub/webhooks';

@ValidatorConstraint({ name: 'eventTypePattern' })
class EventTypePattern implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return Array.isArray(value) && value.every((v) => typeof v === 'string' && isEventTypePattern(v));
  }
  defaultMessage(): string {
    return `each of eventTypes must be one of ${WEBHOOK_EVENT_TYPES.join(', ')}, a family (work_item.*, customer.*) or *`;
  }
}

const EVENT_TYPES_DOC = `Exact types (${WEBHOOK_EVENT_TYPES.join(', ')}), a family (\`work_item.*\`) or \`*\``;

/** `POST /tenants/:tenantId/webhook-subscriptions`. */
export class CreateWebhookSubscriptionDto {
  @ApiProperty({ type: String, maxLength: 2000, description: 'Where to POST: https (http to a loopback host only when allowed)' })
  @IsString()
  @MaxLength(2000)
  url!: string;

  @ApiProperty({ type: [String], description: EVENT_TYPES_DOC })
  @IsArray()
  @ArrayNotEmpty()
  @ArrayMaxSize(20)
  @Validate(EventTypePattern)
  eventTypes!: string[];

  @ApiPropertyOptional({ type: String, maxLength: 200, description: 'A note for operators (stored in clear: no personal data)' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  description?: string;
}

/** `PATCH …/webhook-subscriptions/:subscriptionId`: any of the three. */
export class UpdateWebhookSubscriptionDto {
  @ApiPropertyOptional({ type: String, maxLength: 2000 })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  url?: string;

  @ApiPropertyOptional({ type: [String], description: EVENT_TYPES_DOC })
  @IsOptional()
  @IsArray()
  @ArrayNotEmpty()
  @ArrayMaxSize(20)
  @Validate(EventTypePattern)
  eventTypes?: string[];

  @ApiPropertyOptional({ type: String, maxLength: 200, nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  description?: string;
}

/** `GET …/webhook-subscriptions/:subscriptionId/deliveries`. */
export class WebhookDeliveriesQuery {
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(500) limit?: number;
}
