import { Webhook } from 'standardwebhooks';
import {
  generateWebhookSecret,
  hasValidSignature,
  isWebhookSecret,
  standardWebhookHeaders,
  webhookSignature,
} from './standard-webhooks.signature';

const secret = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
const body = JSON.stringify({ type: 'work_item.opened', timestamp: '2026-12-07T10:00:00.000Z', tenantId: 't1', data: { a: 'é' } });

describe('the Standard Webhooks signature', () => {
  describe('when a message is signed now', () => {
    it('is accepted by the standardwebhooks library', () => {
      const headers = standardWebhookHeaders(secret, 'msg_1', new Date(), body);
      expect(new Webhook(secret).verify(body, { ...headers })).toEqual(JSON.parse(body));
      expect(hasValidSignature(secret, headers, body)).toBe(true);
    });

    it('is refused under another secret, or with the body changed', () => {
      const headers = standardWebhookHeaders(secret, 'msg_1', new Date(), body);
      expect(() => new Webhook(generateWebhookSecret()).verify(body, { ...headers })).toThrow();
      expect(() => new Webhook(secret).verify(body.replace('t1', 't2'), { ...headers })).toThrow();
      expect(hasValidSignature(generateWebhookSecret(), headers, body)).toBe(false);
    });
  });

  describe('when the timestamp is older than the verifier tolerates', () => {
    it('is refused (a replay)', () => {
      const headers = standardWebhookHeaders(secret, 'msg_1', new Date(Date.now() - 3_600_000), body);
      expect(() => new Webhook(secret).verify(body, { ...headers })).toThrow(/timestamp/i);
    });
  });

  it('is v1, and the base64 HMAC-SHA256 of id.timestamp.body (a fixed vector)', () => {
    // Standard Webhooks' own test vector (its README and libraries' tests).
    const vector = webhookSignature(
      'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
      'msg_p5jXN8AQM9LWM0D4loKWxJek',
      1614265330,
      '{"test": 2432232314}',
    );
    expect(vector).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });

  it('generates secrets of 32 random bytes as whsec_ and base64', () => {
    const s = generateWebhookSecret();
    expect(isWebhookSecret(s)).toBe(true);
    expect(Buffer.from(s.slice(6), 'base64')).toHaveLength(32);
    expect(generateWebhookSecret()).not.toBe(s);
    expect(isWebhookSecret('whsec_short')).toBe(false);
    expect(isWebhookSecret('secret')).toBe(false);
  });
});
