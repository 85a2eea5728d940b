import pino, { type Logger } from 'pino';

export const LOGGER = Symbol('LOGGER');
export type HubLogger = Logger;

/**
 * Structured JSON logs: the message is a dotted event name (`ingest.webhook.rejected`), the
 * fields carry the reason code and the correlation id (STYLE.md #18).
 */
export function createLogger(app: string, level = process.env['LOG_LEVEL'] ?? 'info'): HubLogger {
  return pino({ name: app, level, base: { app }, timestamp: pino.stdTimeFunctions.isoTime });
}
