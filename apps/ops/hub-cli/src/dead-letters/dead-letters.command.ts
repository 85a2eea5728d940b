import { hubNames } from '@hub/contracts';
import { readDeadLetters, redriveDeadLetters, type RedriveSelection } from '@hub/messaging';
import { exactPositionals, positiveInt, stringOption, tenantId } from '../cli.args';
import { toJson, write } from '../cli-io';
import { ExitCode, UsageError } from '../cli.errors';
import type { Command } from '../command';

const OFFSET = /^\d{1,19}$/;

/**
 * `hub dead-letters list|redrive`: the dead-letter topic from a terminal, through the same functions
 * as the query API's `/admin/v1/dead-letters` and the console's Operations page (`@hub/messaging`).
 */
export const deadLettersCommand: Command = {
  name: 'dead-letters',
  summary: 'list the dead letters (newest first) or re-drive them onto their source topic',
  usage:
    'hub dead-letters list [--topic T] [--reason WORDS] [--tenant T] [--limit N] [--before OFFSET] | hub dead-letters redrive (--partition P --offset O | --topic T [--limit N])',
  help: `Reads the dead-letter topic of HUB_NAMESPACE (hub.dead-letter.v1) on KAFKA_BROKERS; prints JSON.

list       { topic, deadLetters, nextBefore, scanned }, newest first (docs/operations.md, "Dead letters,
           lag and queues"): each with its code, reason, source topic/partition/offset, tenant, what it
           holds as it holds it, and whether it can be re-driven.
  --topic T        only those consumed from topic T
  --reason WORDS   only those whose code or reason contains WORDS (any case)
  --tenant T       only those of tenant T
  --limit N        at most N (1–200; default 50)
  --before OFFSET  only those below OFFSET (the previous page's nextBefore)

redrive    puts dead letters back on the topic they were consumed from, as they were (plus the header
           hub-redriven-from), once the cause is fixed; prints { redriven, skipped }.
  --partition P --offset O   the one dead letter at that partition and offset
  --topic T [--limit N]      the newest N (default 100, at most 1000) consumed from topic T`,
  options: {
    topic: { type: 'string' },
    reason: { type: 'string' },
    tenant: { type: 'string' },
    limit: { type: 'string' },
    before: { type: 'string' },
    partition: { type: 'string' },
    offset: { type: 'string' },
  },
  prepare(values, positionals) {
    const sub = positionals[0];
    if (sub !== 'list' && sub !== 'redrive')
      throw new UsageError(
        sub === undefined ? 'missing subcommand: list or redrive' : `unknown subcommand ${JSON.stringify(sub)}; list or redrive`,
      );
    exactPositionals(positionals, ['list|redrive']);
    const topic = stringOption(values, 'topic');
    const limitArg = stringOption(values, 'limit');
    if (sub === 'list') {
      for (const name of ['partition', 'offset']) if (values[name] !== undefined) throw new UsageError(`--${name} is for redrive`);
      const limit = limitArg === undefined ? 50 : positiveInt(limitArg, '--limit', { max: 200 });
      const before = stringOption(values, 'before');
      if (before !== undefined && !OFFSET.test(before)) throw new UsageError('--before must be an offset (a whole number)');
      const reason = stringOption(values, 'reason');
      const tenant = stringOption(values, 'tenant');
      return async (ctx) => {
        const dlq = hubNames(ctx.config.HUB_NAMESPACE).topics.deadLetter;
        const page = await readDeadLetters(ctx.kafka, dlq, {
          limit,
          ...(before !== undefined ? { before: BigInt(before) } : {}),
          ...(topic !== undefined ? { sourceTopic: topic } : {}),
          ...(reason !== undefined ? { reason } : {}),
          ...(tenant !== undefined ? { tenantId: tenantId(tenant) } : {}),
        });
        await write(ctx.io.stdout, `${toJson({ topic: dlq, ...page }, 2)}\n`);
        return ExitCode.ok;
      };
    }
    for (const name of ['reason', 'tenant', 'before']) if (values[name] !== undefined) throw new UsageError(`--${name} is for list`);
    const partition = stringOption(values, 'partition');
    const offset = stringOption(values, 'offset');
    let which: RedriveSelection;
    if (topic !== undefined) {
      if (partition !== undefined || offset !== undefined) throw new UsageError('give --topic, or --partition and --offset, not both');
      which = { sourceTopic: topic, limit: limitArg === undefined ? 100 : positiveInt(limitArg, '--limit', { max: 1_000 }) };
    } else {
      if (partition === undefined || offset === undefined)
        throw new UsageError('give --partition and --offset (one dead letter), or --topic');
      if (limitArg !== undefined) throw new UsageError('--limit goes with --topic');
      if (!OFFSET.test(offset)) throw new UsageError('--offset must be a whole number');
      which = { partition: positiveInt(partition, '--partition', { min: 0, max: 100_000 }), offset: BigInt(offset) };
    }
    return async (ctx) => {
      const result = await redriveDeadLetters(ctx.kafka, hubNames(ctx.config.HUB_NAMESPACE).topics.deadLetter, which);
      await write(ctx.io.stdout, `${toJson(result, 2)}\n`);
      return result.redriven.length === 0 && result.skipped.length > 0 ? ExitCode.failure : ExitCode.ok;
    };
  },
};
