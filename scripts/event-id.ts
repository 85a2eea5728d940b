/**
 * `npm run -s event-id -- <channel> <provider> <the provider's stable id>...`: prints the event id
 * `deterministicId(channel, provider, ...ids)` gives, so a fixture's `expected.events[].metadata.eventId`
 * is written from the ids the contract says it derives from (docs/adding-a-channel.md, "Record the
 * provider's payloads"), not copied from what the adapter under test produced.
 */
import { deterministicId } from '@hub/contracts';

export const EVENT_ID_USAGE =
  'usage: npm run -s event-id -- <channel> <provider> <stable id>... (e.g. telegram telegram callback 530266791637462389)';

/** The event id of these parts, or a usage error when fewer than a channel, a provider and one id are given. */
export function eventIdOf(parts: readonly string[]): string {
  if (parts.length < 3 || parts.some((p) => p === '')) throw new Error(EVENT_ID_USAGE);
  return deterministicId(...parts);
}

if (require.main === module) {
  try {
    process.stdout.write(`${eventIdOf(process.argv.slice(2))}\n`);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(2);
  }
}
