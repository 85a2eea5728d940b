import { IsNotEmpty, IsString } from 'class-validator';

/**
 * Settings shared by the WhatsApp, Messenger and Instagram channels: one Meta app signs the
 * webhooks of all three and answers their subscription handshakes. Validated at boot by every
 * app that hosts one of them.
 */
export class MetaConfig {
  /** App Dashboard → App settings → Basic → App secret: the key of `X-Hub-Signature-256`. */
  @IsString() @IsNotEmpty() META_APP_SECRET!: string;

  /** The string typed in the App Dashboard when subscribing the callback URL (`hub.verify_token`). */
  @IsString() @IsNotEmpty() META_VERIFY_TOKEN!: string;
}
