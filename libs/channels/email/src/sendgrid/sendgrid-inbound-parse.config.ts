import { createPublicKey, type KeyObject } from 'node:crypto';
import { IsNotEmpty, IsString, Validate, ValidatorConstraint, type ValidatorConstraintInterface } from 'class-validator';

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

/** Settings of the SendGrid Inbound Parse provider, validated at boot when it is enabled. */
export class SendGridInboundParseConfig {
  /**
   * The public key of the security policy (with `"signature": { "enabled": true }`) attached to the
   * Parse setting: `POST /v3/user/webhooks/security/policies` returns it as `policy.signature.public_key`.
   */
  @IsString() @IsNotEmpty() @Validate(IsSendGridVerificationKey) SENDGRID_INBOUND_PARSE_PUBLIC_KEY!: string;
}
