import { Client } from 'pg';
import type { HubLogger } from '@hub/platform';

/**
 * Run `lead` only while this process holds a PostgreSQL session advisory lock named `name`: of
 * several projector instances exactly one projects (the others stand by and take over within
 * `retryMs` when its connection goes away, as a crash or SIGKILL does).
 */
export function whileLeader(connectionString: string, name: string, logger: HubLogger, lead: () => Promise<() => Promise<void>>, retryMs = 2_000): { stop(): Promise<void> } {
  let stopped = false;
  let client: Client | undefined;
  let release: (() => Promise<void>) | undefined;
  let timer: NodeJS.Timeout | undefined;

  const attempt = async (): Promise<void> => {
    if (stopped) return;
    try {
      client = new Client({ connectionString });
      client.on('error', () => undefined);
      await client.connect();
      const r = await client.query<{ ok: boolean }>('select pg_try_advisory_lock(hashtext($1)) as ok', [name]);
      if (!r.rows[0]?.ok) {
        await client.end().catch(() => undefined);
        client = undefined;
        timer = setTimeout(() => void attempt(), retryMs);
        return;
      }
      logger.info({ lock: name }, 'projector.leader.acquired');
      client.once('end', () => {
        // Lost the session, so lost the lock: stop leading and try again.
        if (stopped) return;
        logger.warn({ lock: name }, 'projector.leader.lost');
        void (release?.() ?? Promise.resolve()).finally(() => {
          release = undefined;
          timer = setTimeout(() => void attempt(), retryMs);
        });
      });
      release = await lead();
    } catch (err) {
      logger.warn({ lock: name, err: String(err) }, 'projector.leader.retry');
      await client?.end().catch(() => undefined);
      client = undefined;
      if (!stopped) timer = setTimeout(() => void attempt(), retryMs);
    }
  };
  void attempt();
  return {
    stop: async () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      await release?.();
      await client?.end().catch(() => undefined);
    },
  };
}
