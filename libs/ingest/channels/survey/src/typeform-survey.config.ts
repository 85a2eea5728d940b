import { IsNotEmpty, IsOptional, IsString, Matches } from 'class-validator';
import { SCORE_FIELD_REFS_PATTERN } from './survey-score';

/** Settings of the survey channel, validated at boot when the channel is enabled. */
export class TypeformSurveyConfig {
  /** The webhook's `secret` (Typeform signs every delivery with it, HMAC-SHA256): set through the Webhooks API. */
  @IsString() @IsNotEmpty() TYPEFORM_SECRET!: string;

  /**
   * Which field is the score, by the field's `ref`: comma-separated `csat:<ref>` / `nps:<ref>`, the
   * first answered one wins. Default `csat:csat,nps:nps`.
   */
  @IsOptional()
  @Matches(SCORE_FIELD_REFS_PATTERN, { message: 'SURVEY_SCORE_FIELD_REFS must be comma-separated csat:<ref> / nps:<ref> pairs' })
  SURVEY_SCORE_FIELD_REFS?: string;

  /** The identity namespace of the `customer_id` hidden field (the system that issued it). Default `crm`. */
  @IsOptional()
  @Matches(/^[a-z0-9][a-z0-9_.-]{0,63}$/, { message: 'SURVEY_CUSTOMER_ID_NAMESPACE must be a lower-case system name' })
  SURVEY_CUSTOMER_ID_NAMESPACE?: string;
}
