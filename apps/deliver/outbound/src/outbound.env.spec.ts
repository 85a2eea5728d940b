import { ConfigError, loadConfig } from '@hub/config';
import { OutboundEnv } from './outbound.env';

const twilio = { TWILIO_ACCOUNT_SID: 'AC0123456789abcdef', TWILIO_AUTH_TOKEN: 'token-123456', TWILIO_FROM: '+14155550000' };

function problems(env: NodeJS.ProcessEnv): string[] {
  try {
    loadConfig('outbound', OutboundEnv, { NODE_ENV: 'test', ...env });
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
}

describe('the outbound app’s settings', () => {
  describe('when SMS is on (the default)', () => {
    it('then Twilio’s account, token and number are required, each named', () => {
      const found = problems({});
      for (const name of ['TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN', 'TWILIO_FROM']) expect(found.join('\n')).toContain(name);
      expect(problems(twilio)).toEqual([]);
    });
  });

  describe('when Telegram is on too', () => {
    it('then its bot token is required; with Telegram off it is not', () => {
      expect(problems({ ...twilio, OUTBOUND_CHANNELS: 'sms,telegram' }).join('\n')).toContain('TELEGRAM_BOT_TOKEN');
      expect(problems({ ...twilio, OUTBOUND_CHANNELS: 'sms,telegram', TELEGRAM_BOT_TOKEN: '123456:ABCdefGHIjkl' })).toEqual([]);
      expect(problems({ OUTBOUND_CHANNELS: 'telegram', TELEGRAM_BOT_TOKEN: '123456:ABCdefGHIjkl' })).toEqual([]);
    });
  });

  describe('when WhatsApp is on', () => {
    it('then its phone number id and token are required, and each approved template entry is checked', () => {
      const on = { OUTBOUND_CHANNELS: 'whatsapp' };
      expect(problems(on).join('\n')).toMatch(
        /WHATSAPP_PHONE_NUMBER_ID[\s\S]*WHATSAPP_ACCESS_TOKEN|WHATSAPP_ACCESS_TOKEN[\s\S]*WHATSAPP_PHONE_NUMBER_ID/,
      );
      const ready = { ...on, WHATSAPP_PHONE_NUMBER_ID: '1234567890', WHATSAPP_ACCESS_TOKEN: 'EAAsystemusertoken' };
      expect(
        problems({ ...ready, WHATSAPP_APPROVED_TEMPLATES: 'schedule_callback=callback_offer_v1:en_US, csat_survey=csat_v2:es' }),
      ).toEqual([]);
      expect(problems({ ...ready, WHATSAPP_APPROVED_TEMPLATES: 'schedule_callback=callback offer' }).join('\n')).toContain(
        'WHATSAPP_APPROVED_TEMPLATES',
      );
    });
  });

  describe('when email is on', () => {
    it('then SendGrid’s key, the From and the one-click unsubscribe endpoint and secret are required', () => {
      const found = problems({ OUTBOUND_CHANNELS: 'email' }).join('\n');
      for (const name of ['SENDGRID_API_KEY', 'EMAIL_FROM', 'EMAIL_UNSUBSCRIBE_URL', 'EMAIL_UNSUBSCRIBE_SECRET'])
        expect(found).toContain(name);
      expect(
        problems({
          OUTBOUND_CHANNELS: 'email',
          SENDGRID_API_KEY: 'SG.0123456789abcdef',
          EMAIL_FROM: 'care@example.com',
          EMAIL_UNSUBSCRIBE_URL: 'https://hub.example.com/v1/unsubscribe',
          EMAIL_UNSUBSCRIBE_SECRET: 'unsubscribe-secret-0123456789',
        }),
      ).toEqual([]);
    });
  });

  it('refuses a channel it has no sender for', () => {
    expect(problems({ ...twilio, OUTBOUND_CHANNELS: 'sms,carrier-pigeon' }).join('\n')).toContain('OUTBOUND_CHANNELS');
  });

  it('reads OUTBOUND_FROM_BEGINNING as a boolean (false by default)', () => {
    expect(loadConfig('outbound', OutboundEnv, { ...twilio }).OUTBOUND_FROM_BEGINNING).toBe(false);
    expect(loadConfig('outbound', OutboundEnv, { ...twilio, OUTBOUND_FROM_BEGINNING: 'true' }).OUTBOUND_FROM_BEGINNING).toBe(true);
    expect(loadConfig('outbound', OutboundEnv, { ...twilio, OUTBOUND_FROM_BEGINNING: 'false' }).OUTBOUND_FROM_BEGINNING).toBe(false);
  });
});
