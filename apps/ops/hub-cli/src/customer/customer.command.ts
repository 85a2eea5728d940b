import { createWriteStream } from 'node:fs';
import { unlink } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { eraseCustomerRecord, readSubjectAccess, subjectAccessJsonChunks, SUBJECT_ACCESS_FORMAT } from '@hub/customer-records';
import { PostgresTimelineStore, TimelineQueries } from '@hub/timeline';
import { customerId, exactPositionals, stringOption, tenantId } from '../cli.args';
import { write } from '../cli-io';
import { CliFailure, ExitCode, InterruptedError, UsageError } from '../cli.errors';
import type { Command } from '../command';

/**
 * `hub customer access-export`: the data subject's rights of access and portability from a terminal
 * — the same document as the query API's `GET /tenants/:t/customers/:id/access-export`
 * (`readSubjectAccess` of @hub/customer-records), to stdout or to a new file only its owner can read.
 */
export const customerCommand: Command = {
  name: 'customer',
  summary: "a data subject's requests: everything the hub holds about a customer as one JSON document, or erasure",
  usage: 'hub customer access-export <tenant> <customerId> [--out file] | erase <tenant> <customerId> --reason r --requested-by who',
  help: `Writes everything the hub holds about the customer as one JSON document (format
${SUBJECT_ACCESS_FORMAT}, docs/operations.md "Subject access export"): every event of their record
and of the records merged into them, opened with HUB_KEK; their state folded from those events;
identities and who holds each; consent; traits; next-best-action decisions and outcomes; merge
history; their timeline read-model entries (when the database has a read model). An erased
customer's export says so (erasure: when, why, by whom) and shows their personal fields as
"[erased]": the key that opened them is gone.

  --out file   write to this file (created with mode 600; an existing file is never overwritten;
               removed again if the export fails half-way) instead of stdout

\`hub customer erase\` is the query API's POST …/customers/:id/erase from a terminal (one function,
eraseCustomerRecord): the customer's key and those of the records merged into them are destroyed,
each record gets its CustomerErased, their identity claims are released and their timeline rows
purged; it prints the same answer as JSON. Erasing again changes nothing ("duplicate": true) — what
an operator runs after restoring a backup older than the erasure (docs/operations.md, "Backup and
restore").

  --reason r          why (recorded in CustomerErased), e.g. gdpr-art17
  --requested-by who  who asked (recorded), e.g. the ticket or the data protection officer

Exit 1 for an unknown tenant or customer.`,
  options: { out: { type: 'string' }, reason: { type: 'string' }, 'requested-by': { type: 'string' } },
  prepare(values, positionals) {
    const [sub, tenant, customer] = exactPositionals(positionals, ['subcommand', 'tenant', 'customerId']) as [string, string, string];
    if (sub !== 'access-export' && sub !== 'erase') throw new UsageError(`unknown subcommand ${JSON.stringify(sub)}: access-export, erase`);
    tenantId(tenant, '<tenant>');
    customerId(customer, '<customerId>');
    if (sub === 'erase') return prepareErase(values, tenant, customer);
    const out = stringOption(values, 'out');
    if (out === '') throw new UsageError('--out needs a file name');
    return async (ctx) => {
      await ctx.requireTenant(tenant);
      const { customers, identities } = await ctx.stores();
      const queries = new TimelineQueries(ctx.pool);
      const timelineRead = await queries.hasReadModel();
      const now = new Date().toISOString();
      const access = await readSubjectAccess(
        {
          customers,
          identities,
          ...(timelineRead ? { timeline: (t: string, c: string) => queries.exportEntries(t, { customerIds: [c] }, { now }) } : {}),
        },
        { tenantId: tenant, customerId: customer, now },
      );
      if (!access) throw new CliFailure('CLI_UNKNOWN_CUSTOMER', `unknown customer ${tenant}/${customer} in ${ctx.where}`);

      const file = out === undefined ? undefined : createWriteStream(out, { flags: 'wx', mode: 0o600 });
      if (file) {
        const failed = await new Promise<Error | undefined>((resolve) => {
          file.once('open', () => resolve(undefined));
          file.once('error', resolve);
        });
        if (failed) throw new CliFailure('CLI_OUT_FILE', `cannot create ${out}: ${failed.message}`);
      }
      const signal = ctx.io.signal;
      const chunks = (async function* untilInterrupted() {
        for await (const chunk of subjectAccessJsonChunks(access)) {
          if (signal?.aborted) throw new InterruptedError('access export stopped (the output is incomplete)');
          yield chunk;
        }
      })();
      if (file) {
        // The pipeline ends the file when the document is whole and destroys it on any failure: then it is removed.
        await pipeline(Readable.from(chunks), file).catch(async (err: unknown) => {
          await unlink(out!).catch(() => undefined);
          throw err;
        });
      } else {
        for await (const chunk of chunks) await write(ctx.io.stdout, chunk);
      }
      const { head } = access;
      ctx.io.stderr.write(
        `access-export: ${tenant}/${customer} (${head.status}${head.erasure ? `, erased ${head.erasure.erasedAt}` : ''}): ` +
          `${head.records.length} record(s), ${access.events.length} events${timelineRead ? '' : ', no timeline read model'}` +
          `${out === undefined ? '' : ` → ${out}`}\n`,
      );
      return ExitCode.ok;
    };
  },
};

/** `hub customer erase`: the query API's erasure, the same function and the same answer. */
function prepareErase(values: Parameters<Command['prepare']>[0], tenant: string, customer: string): ReturnType<Command['prepare']> {
  const reason = stringOption(values, 'reason');
  const requestedBy = stringOption(values, 'requested-by');
  if (!reason) throw new UsageError('erase needs --reason (why, recorded in CustomerErased)');
  if (!requestedBy) throw new UsageError('erase needs --requested-by (who asked, recorded in CustomerErased)');
  return async (ctx) => {
    await ctx.requireTenant(tenant);
    const stores = await ctx.stores();
    const { revision } = await stores.customers.load(tenant, customer);
    if (revision === 'no_stream') throw new CliFailure('CLI_UNKNOWN_CUSTOMER', `unknown customer ${tenant}/${customer} in ${ctx.where}`);
    const erasure = await eraseCustomerRecord(stores, {
      tenantId: tenant,
      customerId: customer,
      reason,
      requestedBy,
      now: new Date().toISOString(),
    });
    // The projector purges on each CustomerErased as well; purged here too, so the rows are gone when this returns.
    const timeline = (await new TimelineQueries(ctx.pool).hasReadModel()) ? new PostgresTimelineStore(ctx.pool) : undefined;
    const records = [];
    for (const record of erasure.records) {
      const purged = timeline ? await timeline.purgeCustomer(tenant, record.customerId) : null;
      records.push({
        customerId: record.customerId,
        cascadeOf: record.cascadeOf,
        keyDestroyed: record.keyDestroyed,
        duplicate: record.duplicate,
        purged,
      });
    }
    const answer = {
      erased: true,
      keyDestroyed: erasure.keyDestroyed,
      duplicate: erasure.duplicate,
      mergedInto: erasure.mergedInto,
      records,
      notErased: erasure.notErased,
    };
    await write(ctx.io.stdout, `${JSON.stringify(answer, null, 2)}\n`);
    ctx.io.stderr.write(
      `erase: ${tenant}/${customer}: ${erasure.duplicate ? 'already erased, nothing written' : `${records.length} record(s) erased`}\n`,
    );
    return ExitCode.ok;
  };
}
