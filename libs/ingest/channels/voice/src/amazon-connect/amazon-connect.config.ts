import { IsNotEmpty, IsOptional, IsString, Matches, MaxLength } from 'class-validator';

/** Connect channels other than VOICE whose contact records the deployment may choose to skip. */
export const SKIPPABLE_CONNECT_CHANNELS = ['CHAT', 'TASK', 'EMAIL'] as const;

/** Settings of the Amazon Connect provider of the voice channel, validated at boot when it is enabled. */
export class AmazonConnectConfig {
  /**
   * The access key configured on the Firehose stream's HTTP endpoint destination; Firehose sends it
   * verbatim in `X-Amz-Firehose-Access-Key` (at most 4,096 bytes).
   */
  @IsString() @IsNotEmpty() @MaxLength(4096) AMAZON_CONNECT_FIREHOSE_ACCESS_KEY!: string;

  /** The contact attribute holding the call's disposition code. Default `disposition`. */
  @IsOptional()
  @IsString()
  @Matches(/^[^\s]{1,128}$/, { message: 'AMAZON_CONNECT_DISPOSITION_ATTRIBUTE must be an attribute name without spaces' })
  AMAZON_CONNECT_DISPOSITION_ATTRIBUTE?: string;

  /** The contact attribute holding a transcript URL (https:// or s3://). Default `transcriptUrl`. */
  @IsOptional()
  @IsString()
  @Matches(/^[^\s]{1,128}$/, { message: 'AMAZON_CONNECT_TRANSCRIPT_ATTRIBUTE must be an attribute name without spaces' })
  AMAZON_CONNECT_TRANSCRIPT_ATTRIBUTE?: string;

  /**
   * Comma-separated Connect channels (CHAT, TASK, EMAIL) whose contact records are skipped, for an
   * instance that streams every channel's records to the same Firehose stream. Unset: such a record
   * is unmappable, and the delivery holding it is dead-lettered.
   */
  @IsOptional()
  @Matches(/^(CHAT|TASK|EMAIL)(,(CHAT|TASK|EMAIL))*$/, {
    message: 'AMAZON_CONNECT_SKIP_CHANNELS must be a comma-separated list of CHAT, TASK, EMAIL',
  })
  AMAZON_CONNECT_SKIP_CHANNELS?: string;
}
