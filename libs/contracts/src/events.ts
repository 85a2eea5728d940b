import 'reflect-metadata';
import { Type } from 'class-transformer';
import {
  ArrayMinSize,
  IsArray,
  IsDefined,
  IsIn,
  IsInt,
  IsISO8601,
  IsOptional,
  IsString,
  IsUrl,
  IsUUID,
  Length,
  Matches,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { CHANNEL_IDS, type ChannelId } from './channels';

/**
 * What every event in the hub carries, on the bus and in the store (STYLE.md #7).
 * Time enters as data: producers set `occurredAt` (when it happened at the provider) and
 * `recordedAt` (when the hub first accepted it).
 */
export interface EventMetadata {
  eventId: string;
  correlationId: string;
  causationId: string;
  occurredAt: string;
  recordedAt: string;
  schemaVersion: number;
  tenantId: string;
  channel: ChannelId | 'system';
}

/** What a tenant id may be: it appears in stream names (`customer-<tenant>.<id>`), keys and URLs. */
export const TENANT_ID_PATTERN = /^[a-z0-9][a-z0-9_-]*$/;

export const IDENTITY_KINDS = ['phone', 'email', 'handle', 'external'] as const;
export type IdentityKind = (typeof IDENTITY_KINDS)[number];

/** One way to recognise a customer: a phone number (E.164), an email, a platform handle, a CRM id. */
export interface IdentityRef {
  kind: IdentityKind;
  value: string;
  /** For `handle` and `external`: whose namespace the value lives in (`whatsapp`, `salesforce`, …). */
  namespace?: string;
}

export interface MediaRef {
  url: string;
  contentType?: string;
}

export const DIRECTIONS = ['inbound', 'outbound'] as const;
export type Direction = (typeof DIRECTIONS)[number];

export const INTERACTION_KINDS = ['message'] as const;
export type InteractionKind = (typeof INTERACTION_KINDS)[number];

export interface InteractionData {
  direction: Direction;
  kind: InteractionKind;
  /** The first identity is the one the interaction is keyed and resolved by. */
  identities: IdentityRef[];
  content: { text?: string; media: MediaRef[] };
  provider: { name: string; messageId: string; accountId?: string };
  /** The hub-side endpoint (our number, inbox, page) the customer reached. */
  endpoint?: string;
  /**
   * The provider's conversation/thread id when the channel has threads (an email thread, a chat
   * conversation). Absent: the channel's single default thread with this customer.
   */
  threadId?: string;
}

/** Published by an ingestion app on `Topics.interactions` once a provider webhook verified and mapped. */
export interface InteractionReceived {
  type: 'InteractionReceived';
  data: InteractionData;
  metadata: EventMetadata;
}

export const INTERACTION_RECEIVED_SCHEMA_VERSION = 1;

// ---------------------------------------------------------------------------------------------
// Validation of the canonical event, for every consumer of Topics.interactions (and, later, the
// generic API): a message that fails here goes to the dead-letter topic with these messages.
// ---------------------------------------------------------------------------------------------

export class IdentityRefDto implements IdentityRef {
  @IsIn(IDENTITY_KINDS) kind!: IdentityKind;
  @IsString() @Length(1, 320) value!: string;
  @IsOptional() @IsString() @MaxLength(64) namespace?: string;
}

export class MediaRefDto implements MediaRef {
  @IsUrl({ require_tld: false, require_protocol: true }) url!: string;
  @IsOptional() @IsString() @MaxLength(255) contentType?: string;
}

export class ContentDto {
  @IsOptional() @IsString() @MaxLength(100_000) text?: string;
  @IsArray() @ValidateNested({ each: true }) @Type(() => MediaRefDto) media!: MediaRefDto[];
}

export class ProviderRefDto {
  @IsString() @Length(1, 64) name!: string;
  @IsString() @Length(1, 256) messageId!: string;
  @IsOptional() @IsString() @MaxLength(256) accountId?: string;
}

export class InteractionDataDto implements InteractionData {
  @IsIn(DIRECTIONS) direction!: Direction;
  @IsIn(INTERACTION_KINDS) kind!: InteractionKind;
  @IsArray() @ArrayMinSize(1) @ValidateNested({ each: true }) @Type(() => IdentityRefDto) identities!: IdentityRefDto[];
  // @IsDefined on every required nested object: @ValidateNested alone lets `undefined` through.
  @IsDefined() @ValidateNested() @Type(() => ContentDto) content!: ContentDto;
  @IsDefined() @ValidateNested() @Type(() => ProviderRefDto) provider!: ProviderRefDto;
  @IsOptional() @IsString() @MaxLength(320) endpoint?: string;
  @IsOptional() @IsString() @MaxLength(256) threadId?: string;
}

export class EventMetadataDto implements EventMetadata {
  @IsUUID() eventId!: string;
  @IsString() @Length(1, 128) correlationId!: string;
  @IsString() @Length(1, 128) causationId!: string;
  @IsISO8601({ strict: true }) occurredAt!: string;
  @IsISO8601({ strict: true }) recordedAt!: string;
  @IsInt() @Min(1) schemaVersion!: number;
  /** Lower-case letters, digits, - and _: tenant ids are part of stream names, keys and URLs. */
  @Matches(TENANT_ID_PATTERN, { message: 'tenantId must be lower-case letters, digits, - or _' }) @Length(1, 64) tenantId!: string;
  @IsIn([...CHANNEL_IDS, 'system']) channel!: ChannelId | 'system';
}

export class InteractionReceivedDto implements InteractionReceived {
  @IsIn(['InteractionReceived']) type!: 'InteractionReceived';
  @IsDefined() @ValidateNested() @Type(() => InteractionDataDto) data!: InteractionDataDto;
  @IsDefined() @ValidateNested() @Type(() => EventMetadataDto) metadata!: EventMetadataDto;
}

// ---------------------------------------------------------------------------------------------
// What the projector republishes on Topics.customerEvents: one message per event recorded in a
// customer's stream, so downstream consumers never need to read the store to know what happened.
// ---------------------------------------------------------------------------------------------

export interface CustomerEventMessage {
  type: string;
  tenantId: string;
  customerId: string;
  streamRevision: string;
  globalPosition: string;
  data: unknown;
  metadata: EventMetadata;
}
