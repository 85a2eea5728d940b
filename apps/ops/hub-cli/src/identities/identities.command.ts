import { identityHashing } from '@hub/config';
import { migrateIdentityClaims } from '@hub/customer-records';
import { exactPositionals, stringOption, tenantId } from '../cli.args';
import { toJson, write } from '../cli-io';
import { ExitCode, UsageError } from '../cli.errors';
import type { Command } from '../command';

/**
 * `hub identities migrate`: move every identity claim still held under an older stream name (the
 * unkeyed legacy name, or the previous `IDENTITY_HASH_KEY`'s) to its name under the current key,
 * and release the old streams (`migrateIdentityClaims`). Run once after upgrading to keyed names,
 * and after every key rotation (docs/operations.md, "Identity hash key").
 */
export const identitiesCommand: Command = {
  name: 'identities',
  summary: 'identity claim streams: migrate them to the current IDENTITY_HASH_KEY',
  usage: 'hub identities migrate [--tenant T] [--dry-run]',
  help: `Moves every identity claim still held under an older stream name — the unkeyed name of
hubs before identity names were keyed, or the name under the previous IDENTITY_HASH_KEY — to the
name the identity has under the current IDENTITY_HASH_KEY, and releases the old stream, so only the
current name resolves the identity. Idempotent: a second run writes nothing. Safe while the apps run.
Prints a JSON report: { keyFingerprint, examined, moved, superseded, erased, current }.

  --tenant T    only this tenant's claim streams (default: every tenant's)
  --dry-run     count what would move; write nothing

Needs the same IDENTITY_HASH_KEY as the apps (and HUB_KEK: a claim's identity is read in clear to
name its new stream).`,
  options: { tenant: { type: 'string' }, 'dry-run': { type: 'boolean' } },
  prepare(values, positionals) {
    const [sub] = exactPositionals(positionals, ['subcommand']);
    if (sub !== 'migrate') throw new UsageError(`unknown subcommand ${JSON.stringify(sub)}: migrate`);
    const tenantArg = stringOption(values, 'tenant');
    const tenant = tenantArg === undefined ? undefined : tenantId(tenantArg);
    const dryRun = values['dry-run'] === true;
    return async (ctx) => {
      const hashing = identityHashing(ctx.config);
      if (hashing.developmentKey) ctx.logger.warn({ nodeEnv: ctx.config.NODE_ENV }, 'identity.hash_key.development');
      const { store, identities } = await ctx.stores();
      const report = await migrateIdentityClaims(
        { store, identities },
        {
          ...(tenant !== undefined ? { tenantId: tenant } : {}),
          now: new Date().toISOString(),
          dryRun,
          onStream: (o) => ctx.logger.debug(o, 'cli.identities.stream'),
        },
      );
      await write(ctx.io.stdout, `${toJson({ keyFingerprint: hashing.current.fingerprint, dryRun, ...report }, 2)}\n`);
      return ExitCode.ok;
    };
  },
};
