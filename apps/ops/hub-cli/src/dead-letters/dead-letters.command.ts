import { HeaderNames, hubNames } from '@hub/contracts';
import { redriveDeadLetters } from '@hub/messaging';
import { exactPositionals, positiveInt, stringOption, tenantId } from '../cli.args';
import { toJson, write } from '../cli-io';
import { CliFailure, ExitCode, UsageError } from '../cli.errors';
import type { Command } from '../command';

/** The topics whose dead letters can be re-driven, by the names the operator types. */
const SOURCES = ['raw-interactions', 'interactions', 'customer-events'] as const;
type Source = (typeof SOURCES)[number];

const CODE = /^[A-Z0-9_]{1,100}$/;

/**
 * `hub dead-letters redrive`: produce the dead letters of one source topic to it again, once their
 * cause is fixed (`redriveDeadLetters`: a reference is read back at its coordinates and checked
 * against its SHA-256). Prints the report as JSON; exit 1 when a selected message could not be
 * re-driven (gone past the topic's retention, or changed).
 */
export const deadLettersCommand: Command = {
  name: 'dead-letters',
  summary: 'Re-drive dead letters to the topic they came from, once their cause is fixed',
  usage: `hub dead-letters redrive --source ${SOURCES.join('|')} [--tenant T] [--code CODE] [--from-offset N] [--dry-run]`,
  help: [
    'Reads the dead-letter topic up to its end, takes the letters of --source (only those whose hub-tenant-id',
    'is --tenant, whose hub-dlq-code is --code, at or after --from-offset), and produces each message to its',
    'topic again as it was sent, with hub-redriven-from. A letter kept by reference (the raw topic’s) is read',
    'back at its coordinates while the source topic retains it. Prints the report (redriven, gone, changed,',
    'nextOffsets: the --from-offset of the next run). --dry-run finds and checks, produces nothing.',
  ].join('\n'),
  options: {
    source: { type: 'string' },
    tenant: { type: 'string' },
    code: { type: 'string' },
    'from-offset': { type: 'string' },
    'dry-run': { type: 'boolean' },
  },
  prepare(values, positionals) {
    const [verb] = exactPositionals(positionals, ['redrive']);
    if (verb !== 'redrive') throw new UsageError(`unknown subcommand ${JSON.stringify(verb)} (redrive)`);
    const source = stringOption(values, 'source');
    if (!SOURCES.includes(source as Source)) throw new UsageError(`--source must be one of ${SOURCES.join(', ')}`);
    const tenant = stringOption(values, 'tenant');
    if (tenant !== undefined) tenantId(tenant);
    const code = stringOption(values, 'code');
    if (code !== undefined && !CODE.test(code))
      throw new UsageError(`--code must be a dead-letter code (INVALID_EVENT), not ${JSON.stringify(code)}`);
    const from = stringOption(values, 'from-offset');
    const fromOffset = from === undefined ? undefined : String(positiveInt(from, '--from-offset', { min: 0 }));
    const dryRun = values['dry-run'] === true;
    return async (ctx) => {
      const names = hubNames(ctx.config.HUB_NAMESPACE);
      const sourceTopic = {
        'raw-interactions': names.topics.rawInteractions,
        interactions: names.topics.interactions,
        'customer-events': names.topics.customerEvents,
      }[source as Source];
      // A namespace mistyped must not read as "nothing to re-drive", nor as kafkajs retrying a topic that is not there.
      const admin = ctx.kafka.admin();
      await admin.connect();
      let topics: string[];
      try {
        topics = await admin.listTopics();
      } finally {
        await admin.disconnect();
      }
      const missing = [names.topics.deadLetter, sourceTopic].filter((t) => !topics.includes(t));
      if (missing.length > 0)
        throw new CliFailure(
          'CLI_NO_SUCH_TOPIC',
          `Kafka has no topic ${missing.join(', ')}: is HUB_NAMESPACE (${ctx.config.HUB_NAMESPACE ?? 'none'}) the hub's?`,
        );
      const report = await redriveDeadLetters(ctx.kafka, {
        deadLetterTopic: names.topics.deadLetter,
        sourceTopic,
        select: (h) =>
          (tenant === undefined || h[HeaderNames.tenantId] === tenant) && (code === undefined || h[HeaderNames.dlqCode] === code),
        ...(fromOffset !== undefined ? { fromOffset } : {}),
        dryRun,
      });
      await write(ctx.io.stdout, `${toJson({ ...report, dryRun }, 2)}\n`);
      return report.gone.length + report.changed.length > 0 ? ExitCode.failure : ExitCode.ok;
    };
  },
};
