import { createPublicKey, type KeyObject } from 'node:crypto';
import {
  IsNotEmpty,
  IsOptional,
  IsString,
  Matches,
  Validate,
  ValidateIf,
  ValidatorConstraint,
  type ValidatorConstraintInterface,
} from 'class-validator';

/**
 * The verification key of a Parse webhook security policy, as SendGrid gives it
 * (`signature.public_key`: base64 of a DER SubjectPublicKeyInfo, `MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE…`),
 * or the same key in PEM. Throws when it is not an ECDSA P-256 public key.
 */
export function sendGridVerificationKey(value: string): KeyObject {
  const text = value.trim();
  const key = text.startsWith('-----BEGIN')
    ? createPublicKey(text)
    : createPublicKey({ key: Buffer.from(text.replace(/\s+/g, ''), 'base64'), format: 'der', type: 'spki' });
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new Error('not an ECDSA P-256 public key');
  }
  return key;
}

@ValidatorConstraint({ name: 'isSendGridVerificationKey' })
class IsSendGridVerificationKey implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    if (typeof value !== 'string') return false;
    try {
      sendGridVerificationKey(value);
      return true;
    } catch {
      return false;
    }
  }
  defaultMessage(): string {
    return 'SENDGRID_INBOUND_PARSE_PUBLIC_KEY must be the ECDSA P-256 public key of the Parse webhook security policy (base64 DER as SendGrid returns it, or PEM)';
  }
}

/** `<user>:<password>`: a user of 1–64 characters without a colon, a password of 16–256 visible characters. */
export const SENDGRID_BASIC_AUTH_PATTERN = /^[^:\s]{1,64}:[\x21-\x7e]{16,256}$/;

/**
 * Settings of the SendGrid Inbound Parse provider, validated at boot when it is enabled. A
 * deployment configures how SendGrid proves a post is its own — at least one of:
 *
 * - `SENDGRID_INBOUND_PARSE_PUBLIC_KEY`: a signed setup (a security policy with signature verification);
 * - `SENDGRID_INBOUND_PARSE_BASIC_AUTH`: the stock, unsigned setup, with basic auth credentials in
 *   the Parse URL (`https://<user>:<password>@hooks.example.com/webhooks/email/sendgrid`), which
 *   SendGrid sends as `Authorization: Basic …`.
 *
 * A post that carries a signature is judged by it (when a key is configured); any other post by its
 * credentials (when they are configured). A post with neither is refused, as it always was.
 */
export class SendGridInboundParseConfig {
  /**
   * The public key of the security policy (with `"signature": { "enabled": true }`) attached to the
   * Parse setting: `POST /v3/user/webhooks/security/policies` returns it as `policy.signature.public_key`.
   * Required unless SENDGRID_INBOUND_PARSE_BASIC_AUTH is set.
   */
  @ValidateIf(
    (c: SendGridInboundParseConfig) =>
      c.SENDGRID_INBOUND_PARSE_PUBLIC_KEY !== undefined || c.SENDGRID_INBOUND_PARSE_BASIC_AUTH === undefined,
  )
  @IsString({
    message:
      'SENDGRID_INBOUND_PARSE_PUBLIC_KEY (a signed Parse setup) or SENDGRID_INBOUND_PARSE_BASIC_AUTH (credentials in the Parse URL) must be set',
  })
  @IsNotEmpty()
  @Validate(IsSendGridVerificationKey)
  SENDGRID_INBOUND_PARSE_PUBLIC_KEY?: string;

  /** `<user>:<password>` as written in the Parse URL; the password at least 16 characters. A secret. */
  @IsOptional()
  @Matches(SENDGRID_BASIC_AUTH_PATTERN, {
    message:
      'SENDGRID_INBOUND_PARSE_BASIC_AUTH must be <user>:<password>, a user without a colon and a password of at least 16 visible characters',
  })
  SENDGRID_INBOUND_PARSE_BASIC_AUTH?: string;
}
