import {
  IsNotEmpty,
  IsOptional,
  IsString,
  Matches,
  Validate,
  ValidateIf,
  ValidatorConstraint,
  type ValidationArguments,
  type ValidatorConstraintInterface,
} from 'class-validator';

/** SendGrid's SMTP envelope: `{"to":["<address we received it at>"],"from":"<return path>"}`. */
export interface SendGridEnvelope {
  to: string[];
  from?: string;
}

export function parseJsonObject(value: string | undefined): Record<string, unknown> | undefined {
  if (value === undefined) return undefined;
  try {
    const parsed: unknown = JSON.parse(value);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

export function parseEnvelope(value: string | undefined): SendGridEnvelope | undefined {
  const o = parseJsonObject(value);
  if (!o || !Array.isArray(o['to']) || !o['to'].every((t) => typeof t === 'string')) return undefined;
  return { to: o['to'] as string[], ...(typeof o['from'] === 'string' ? { from: o['from'] } : {}) };
}

@ValidatorConstraint({ name: 'isSendGridEnvelope' })
class IsEnvelope implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return typeof value === 'string' && parseEnvelope(value) !== undefined;
  }
  defaultMessage(args: ValidationArguments): string {
    return `${args.property} must be a JSON object with "to": an array of addresses`;
  }
}

@ValidatorConstraint({ name: 'isJsonObjectOf' })
class IsJsonObjectOf implements ValidatorConstraintInterface {
  validate(value: unknown, args: ValidationArguments): boolean {
    const o = typeof value === 'string' ? parseJsonObject(value) : undefined;
    const type = args.constraints[0] as 'string' | 'object';
    return (
      o !== undefined &&
      Object.values(o).every((v) => (type === 'object' ? typeof v === 'object' && v !== null && !Array.isArray(v) : typeof v === 'string'))
    );
  }
  defaultMessage(args: ValidationArguments): string {
    return `${args.property} must be a JSON object of ${String(args.constraints[0])}s`;
  }
}

/**
 * The form fields SendGrid Inbound Parse posts (multipart/form-data), decoded to text:
 * https://www.twilio.com/docs/sendgrid/for-developers/parsing-email/setting-up-the-inbound-parse-webhook
 *
 * Default mode: `headers` (the raw header block), `from`, `to`, `cc`, `subject` (decoded by
 * SendGrid to UTF-8), `text` and `html` (in the charset `charsets` names), `attachments` (a count),
 * `attachment-info` (JSON) and the files `attachment1…N`. Raw mode ("POST the raw, full MIME
 * message"): `email` carries the whole message instead of headers/text/html/attachments. Both:
 * `envelope`, `charsets`, `dkim`, `SPF`, `sender_ip`, `spam_score`, `spam_report`.
 */
export class SendGridInboundParsePayload {
  /** Raw mode: the whole RFC 5322 message. */
  @IsOptional() @IsString() @IsNotEmpty() email?: string;

  /** Default mode: the raw header block of the message (Message-ID, In-Reply-To, References, Date). */
  @ValidateIf((o: SendGridInboundParsePayload) => o.email === undefined)
  @IsString({ message: 'headers is required (or email, when SendGrid posts the raw MIME message)' })
  @IsNotEmpty({ message: 'headers is required (or email, when SendGrid posts the raw MIME message)' })
  headers?: string;

  @ValidateIf((o: SendGridInboundParsePayload) => o.email === undefined)
  @IsString({ message: 'from is required' })
  @IsNotEmpty({ message: 'from is required' })
  from?: string;

  @IsOptional() @IsString() to?: string;
  @IsOptional() @IsString() cc?: string;
  @IsOptional() @IsString() subject?: string;
  @IsOptional() @IsString() text?: string;
  @IsOptional() @IsString() html?: string;

  @IsOptional() @Validate(IsEnvelope) envelope?: string;
  @IsOptional() @Validate(IsJsonObjectOf, ['string']) charsets?: string;
  @IsOptional() @Matches(/^\d{1,3}$/, { message: 'attachments must be the number of attachments' }) attachments?: string;
  @IsOptional() @Validate(IsJsonObjectOf, ['object']) 'attachment-info'?: string;

  // Read by nobody here (verdicts are SendGrid's, not ours to act on): accepted as sent.
  @IsOptional() @IsString() sender_ip?: string;
  @IsOptional() @IsString() spam_score?: string;
  @IsOptional() @IsString() spam_report?: string;
  @IsOptional() @IsString() dkim?: string;
  @IsOptional() @IsString() SPF?: string;

  [field: string]: unknown;
}
