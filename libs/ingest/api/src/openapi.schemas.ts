import { ApiProblem, ApiProperty, ApiPropertyOptional } from '@hub/platform/openapi';
import { ALL_CHANNEL_IDS, CONSENT_CHOICES, CONVERSATION_STATUSES, IDENTITY_KINDS } from '@hub/contracts';

/**
 * The request and answer bodies of the generic API as its OpenAPI document shows them. The API reads
 * its bodies as bytes and validates them itself (the contracts' DTOs, `customer-fact-intake`), so
 * these classes only describe: the interfaces of @hub/contracts (`InteractionReceivedInput`,
 * `ConversationStatusRequest`, `ConsentRequest`, `TraitsRequest`, `AcceptedResponse`, `BatchResponse`)
 * are the contract, and docs/events.md every field of an interaction.
 */
export class IdentityRefSchema {
  @ApiProperty({ enum: IDENTITY_KINDS }) kind!: string;
  @ApiProperty({ type: String, minLength: 1, maxLength: 320, example: '+14155550123' }) value!: string;
  @ApiPropertyOptional({ type: String, maxLength: 64 }) namespace?: string;
}

export class InteractionInputMetadataSchema {
  @ApiProperty({ type: String, format: 'date-time' }) occurredAt!: string;
  @ApiProperty({ enum: ALL_CHANNEL_IDS }) channel!: string;
  @ApiPropertyOptional({ type: String, description: "The sender's own id: a retry with it is the same event" }) eventId?: string;
  @ApiPropertyOptional({ type: String }) correlationId?: string;
  @ApiPropertyOptional({ type: String }) causationId?: string;
  @ApiPropertyOptional({ type: String, description: "The source key's tenant (refused when different)" }) tenantId?: string;
}

export class InteractionReceivedInputSchema {
  @ApiProperty({ enum: ['InteractionReceived'] }) type!: string;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description:
      "The interaction (`InteractionData`, docs/events.md): `direction`, `kind`, `from`, `to`, `content` (`text`, `media`), `provider` (`messageId`; `name` is the source key's), facets",
  })
  data!: Record<string, unknown>;
  @ApiProperty({ type: InteractionInputMetadataSchema }) metadata!: InteractionInputMetadataSchema;
}

class FactSchema {
  @ApiProperty({ type: [IdentityRefSchema], minItems: 1, maxItems: 20 }) identities!: IdentityRefSchema[];
  @ApiProperty({ type: String, format: 'date-time', description: 'When it changed, at the platform' }) occurredAt!: string;
}

export class ConversationStatusSchema extends FactSchema {
  @ApiProperty({ enum: ALL_CHANNEL_IDS }) channel!: string;
  @ApiPropertyOptional({ type: String, minLength: 1, maxLength: 200 }) threadId?: string;
  @ApiProperty({ enum: CONVERSATION_STATUSES }) status!: string;
  @ApiProperty({ type: String, description: "The platform's own id of the conversation" }) conversationId!: string;
}

export class ConsentSchema extends FactSchema {
  @ApiProperty({ enum: ALL_CHANNEL_IDS }) channel!: string;
  @ApiProperty({ enum: CONSENT_CHOICES }) consent!: string;
  @ApiPropertyOptional({ type: String, description: 'Where it was changed (`preference_centre` when absent; never `keyword`)' })
  source?: string;
  @ApiPropertyOptional({ type: String, description: "The platform's own id of the change: a retry with it is the same event" })
  changeId?: string;
}

export class TraitsSchema extends FactSchema {
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'Profile attributes; `null` clears one (INGEST_ATTRIBUTE_SCHEMAS may declare their types)',
  })
  traits!: Record<string, unknown>;
  @ApiPropertyOptional({ type: String, description: "The platform's own id of the update: a retry with it is the same event" })
  updateId?: string;
}

export class AcceptedSchema {
  @ApiProperty({ enum: ['accepted'] }) status!: string;
  @ApiProperty({ type: String, description: 'The stored event id' }) eventId!: string;
  @ApiPropertyOptional({ type: String, description: "The sender's own id, when it gave one" }) clientEventId?: string;
}

export class BatchLineSchema {
  @ApiProperty({ type: 'integer', description: '1-based, blank lines counted' }) line!: number;
  @ApiProperty({ enum: ['accepted', 'invalid'] }) status!: string;
  @ApiPropertyOptional({ type: String }) eventId?: string;
  @ApiPropertyOptional({ type: String }) clientEventId?: string;
  @ApiPropertyOptional({ type: String, description: 'Why an invalid line was refused' }) code?: string;
  @ApiPropertyOptional({ type: [ApiProblem], description: 'Every problem of an invalid line' }) problems?: ApiProblem[];
}

export class BatchSchema {
  @ApiProperty({ type: 'integer' }) accepted!: number;
  @ApiProperty({ type: 'integer' }) invalid!: number;
  @ApiProperty({ type: [BatchLineSchema] }) results!: BatchLineSchema[];
}
