import { testMessage } from '@hub/channels-email/testing';
import { rfc2822 } from '@hub/channels-voice/testing';
import { fullName, type Person } from '../people';
import type { PlannedDelivery } from '../day-plan';
import { emailOf, touchOf, type DeliveryBuilder } from './builder';

/** Where customers write. */
export const SUPPORT_ADDRESS = 'support@mail.hub.example.com';
const PARSE_ADDRESS = 'support@parse.hub.example.com';

/** A display name in a header: RFC 2047 encoded when it is not plain ASCII. */
const headerName = (name: string): string =>
  /^[\x20-\x7e]*$/.test(name) ? `"${name}"` : `=?UTF-8?B?${Buffer.from(name, 'utf8').toString('base64')}?=`;

function message(d: PlannedDelivery, person: Person, from: string): string {
  const email = touchOf(d, 'email');
  return testMessage({
    from,
    to: SUPPORT_ADDRESS,
    subject: email.subject,
    date: rfc2822(d.at),
    messageId: email.messageId,
    ...(email.inReplyTo ? { inReplyTo: email.inReplyTo, references: [email.inReplyTo] } : {}),
    text: email.text,
  });
}

/** Raw messages from our MTA hook (RFC 5322 bytes, signed). */
export const mimeEmailBuilder: DeliveryBuilder = {
  provider: 'email:mime',
  build: (d, { person }) => ({ mime: message(d, person, `${headerName(fullName(person))} <${emailOf(d)}>`) }),
  // A message without a From header.
  malformed: (d, { person }) => ({ payload: { mime: message(d, person, 'x').replace(/^From: [^\r\n]*\r\n/, '') }, fields: ['from'] }),
  // A cron job on a local host mailing support.
  unmappable: (d, { person }) => ({ mime: message(d, person, 'Cron Daemon <root@localhost>') }),
};

/** SendGrid Inbound Parse, default mode: the parsed fields of the message, multipart/form-data. */
function parseFields(d: PlannedDelivery, person: Person, from: string | undefined): Record<string, unknown> {
  const email = touchOf(d, 'email');
  const domain = (d.from.email ?? person.email).split('@')[1] ?? 'example.com';
  const headers = [
    `Received: from mail.${domain} (mail.${domain} [198.51.100.${(d.ref % 200) + 1}]) by mx.sendgrid.net with ESMTP id sg${d.ref} for <${PARSE_ADDRESS}>; ${rfc2822(d.at)} (UTC)`,
    'MIME-Version: 1.0',
    ...(from !== undefined ? [`From: ${from}`] : []),
    `Date: ${rfc2822(d.at)}`,
    `Message-ID: ${email.messageId}`,
    ...(email.inReplyTo ? [`In-Reply-To: ${email.inReplyTo}`, `References: ${email.inReplyTo}`] : []),
    `Subject: ${email.subject}`,
    `To: ${PARSE_ADDRESS}`,
    'Content-Type: text/plain; charset="UTF-8"',
    '',
  ];
  return {
    fields: {
      headers,
      dkim: `{@${domain} : pass}`,
      to: PARSE_ADDRESS,
      ...(from !== undefined
        ? { from: from.replace(/=\?UTF-8\?B\?([^?]+)\?=/, (_m, b64: string) => Buffer.from(b64, 'base64').toString('utf8')) }
        : {}),
      text: email.text,
      sender_ip: `198.51.100.${(d.ref % 200) + 1}`,
      envelope: JSON.stringify({ to: [PARSE_ADDRESS], from: d.from.email ?? '' }),
      attachments: '0',
      subject: email.subject,
      charsets: JSON.stringify({ to: 'UTF-8', from: 'UTF-8', subject: 'UTF-8', text: 'UTF-8' }),
      SPF: 'pass',
    },
  };
}

export const sendgridBuilder: DeliveryBuilder = {
  provider: 'email:sendgrid',
  build: (d, { person }) => parseFields(d, person, `${headerName(fullName(person))} <${emailOf(d)}>`),
  malformed: (d, { person }) => ({ payload: parseFields(d, person, undefined), fields: ['from'] }),
  // A bounce: the mailer names itself, with no address.
  unmappable: (d, { person }) => parseFields({ ...d, from: {} }, person, 'Mail Delivery Subsystem'),
};
