import { ConfigError } from '@hub/config';
import { DEFAULT_RETRY_SCHEDULE_MS } from '@hub/webhooks';
import { outgoingWebhooksConfig } from './outgoing-webhooks.module';

const env = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({ NODE_ENV: 'test', ...extra });

describe('the outgoing-webhooks configuration', () => {
  describe('when nothing is set', () => {
    it('retries on Svix’s schedule, disables after 5 days or 50 messages, delivers over https only, starts at the end', () => {
      const c = outgoingWebhooksConfig(env());
      expect(c.WEBHOOK_RETRY_SCHEDULE_MS).toEqual([...DEFAULT_RETRY_SCHEDULE_MS]);
      expect([c.WEBHOOK_DISABLE_AFTER_MS, c.WEBHOOK_DISABLE_AFTER_MESSAGES]).toEqual([5 * 86_400_000, 50]);
      expect([c.WEBHOOK_ALLOW_LOOPBACK_HTTP, c.WEBHOOKS_START, c.HEALTH_PORT]).toEqual(['off', 'end', 3103]);
    });
  });

  it('takes a schedule of its own as comma-separated milliseconds', () => {
    expect(outgoingWebhooksConfig(env({ WEBHOOK_RETRY_SCHEDULE_MS: '200, 1000' })).WEBHOOK_RETRY_SCHEDULE_MS).toEqual([200, 1000]);
  });

  describe('when the schedule or a switch is wrong', () => {
    it('refuses to start, naming each variable', () => {
      const err = (() => {
        try {
          outgoingWebhooksConfig(env({ WEBHOOK_RETRY_SCHEDULE_MS: '5s,10', WEBHOOK_ALLOW_LOOPBACK_HTTP: 'yes' }));
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(err).toBeInstanceOf(ConfigError);
      const text = (err as ConfigError).problems.join('\n');
      expect(text).toMatch(/WEBHOOK_RETRY_SCHEDULE_MS/);
      expect(text).toMatch(/WEBHOOK_ALLOW_LOOPBACK_HTTP/);
    });
  });
});
