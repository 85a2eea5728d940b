import { IsNotEmpty, IsString, MinLength } from 'class-validator';

/** Settings of the raw MIME provider (our own MTA hook), validated at boot when it is enabled. */
export class RawMimeEmailConfig {
  /**
   * The HMAC-SHA256 key our MTA hook signs every POST with (`x-hub-signature`), shared with
   * nobody else. At least 32 characters: e.g. `openssl rand -hex 32`.
   */
  @IsString() @IsNotEmpty() @MinLength(32) EMAIL_MIME_SIGNING_SECRET!: string;
}
