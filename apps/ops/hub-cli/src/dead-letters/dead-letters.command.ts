import { HeaderNames, hubNames } from '@hub/contracts';
import { readDeadLetters, redriveDeadLetters } from '@hub/messaging';
import { exactPositionals, positiveInt, stringOption, tenantId } from '../cli.args';
import { toJson, write } from '../cli-io';
import { CliFailure, ExitCode, UsageError } from '../cli.errors';
import type { ParsedValues } from '../cli.args';
import type { Command, Execute } from '../command';

/** The topics whose dead letters can be re-driven, by the names the operator types. */
const SOURCES = ['raw-interactions', 'interactions', 'customer-events'] as const;
type Source = (typeof SOURCES)[number];

const CODE = /^[A-Z0-9_]{1,100}$/;

const OFFSET = /^\d{1,19}$/;

/**
 * `hub dead-letters list`: the newest dead letters, as the query API's `GET /admin/v1/dead-letters`
 * and the console's Operations page show them (`readDeadLetters`).
 *
 * `hub dead-letters redrive`: produce the dead letters of one source topic to it again, once their
 * cause is fixed (`redriveDeadLetters`: a reference is read back at its coordinates and checked
 * against its SHA-256). Prints the report as JSON; exit 1 when a selected message could not be
 * re-driven (gone past the topic's retention, or changed).
 */
export const deadLettersCommand: Command = {
  name: 'dead-letters',
  summary: 'List dead letters (newest first), or re-drive them to the topic they came from once their cause is fixed',
  usage: `hub dead-letters list [--source ${SOURCES.join('|')}] [--tenant T] [--reason WORDS] [--limit N] [--before OFFSET] | hub dead-letters redrive --source ${SOURCES.join('|')} [--tenant T] [--code CODE] [--from-offset N] [--dry-run]`,
  help: [
    'list: prints { topic, deadLetters, nextBefore, scanned }, newest first: each with its code, reason, source',
    'coordinates, tenant, what it holds as it holds it, and whether it can be re-driven (docs/operations.md,',
    '"Dead letters, lag and queues"). --source, --tenant: only those; --reason: whose code or reason contains',
    'WORDS (any case); --limit (1–200, default 50); --before: below that offset (the previous nextBefore).',
    '',
    'redrive:',
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
    reason: { type: 'string' },
    limit: { type: 'string' },
    before: { type: 'string' },
  },
  prepare(values, positionals) {
    const [verb] = exactPositionals(positionals, ['list|redrive']);
    if (verb === 'list') return prepareList(values);
    if (verb !== 'redrive') throw new UsageError(`unknown subcommand ${JSON.stringify(verb)} (list or redrive)`);
    for (const name of ['reason', 'limit', 'before']) if (values[name] !== undefined) throw new UsageError(`--${name} is for list`);
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

function sourceTopicOf(names: ReturnType<typeof hubNames>, source: Source): string {
  return {
    'raw-interactions': names.topics.rawInteractions,
    interactions: names.topics.interactions,
    'customer-events': names.topics.customerEvents,
  }[source];
}

function prepareList(values: ParsedValues): Execute {
  for (const name of ['code', 'from-offset', 'dry-run']) if (values[name] !== undefined) throw new UsageError(`--${name} is for redrive`);
  const source = stringOption(values, 'source');
  if (source !== undefined && !SOURCES.includes(source as Source)) throw new UsageError(`--source must be one of ${SOURCES.join(', ')}`);
  const tenant = stringOption(values, 'tenant');
  if (tenant !== undefined) tenantId(tenant);
  const reason = stringOption(values, 'reason');
  const limitArg = stringOption(values, 'limit');
  const limit = limitArg === undefined ? 50 : positiveInt(limitArg, '--limit', { max: 200 });
  const before = stringOption(values, 'before');
  if (before !== undefined && !OFFSET.test(before)) throw new UsageError('--before must be an offset (a whole number)');
  return async (ctx) => {
    const names = hubNames(ctx.config.HUB_NAMESPACE);
    const topic = names.topics.deadLetter;
    const admin = ctx.kafka.admin();
    await admin.connect();
    try {
      if (!(await admin.listTopics()).includes(topic))
        throw new CliFailure(
          'CLI_NO_SUCH_TOPIC',
          `Kafka has no topic ${topic}: is HUB_NAMESPACE (${ctx.config.HUB_NAMESPACE ?? 'none'}) the hub's?`,
        );
    } finally {
      await admin.disconnect();
    }
    const page = await readDeadLetters(ctx.kafka, topic, {
      limit,
      ...(before !== undefined ? { before: BigInt(before) } : {}),
      ...(source !== undefined ? { sourceTopic: sourceTopicOf(names, source as Source) } : {}),
      ...(reason !== undefined ? { reason } : {}),
      ...(tenant !== undefined ? { tenantId: tenant } : {}),
    });
    await write(ctx.io.stdout, `${toJson({ topic, ...page }, 2)}\n`);
    return ExitCode.ok;
  };
}
