import { randomBytes } from 'node:crypto';
import { formatKeyScopes, KEY_SCOPES, parseKeyScopes, sha256Hex, type KeyScope } from '@hub/platform';
import { exactPositionals, stringOption, tenantId } from '../cli.args';
import { toJson, write } from '../cli-io';
import { ExitCode, UsageError } from '../cli.errors';
import type { Command } from '../command';

/** A new query API key: 32 random bytes, base64url (43 characters, no padding). */
export function newApiKey(random: (n: number) => Buffer = randomBytes): string {
  return random(32).toString('base64url');
}

/** The configuration entry of a key: `<tenant>:<sha256 hex of the key>:<scopes>` (HUB_API_KEYS) or `<operator>:<sha256 hex>` (HUB_ADMIN_API_KEYS). */
export function keyEntry(owner: string, key: string, scopes?: ReadonlySet<KeyScope>): string {
  return scopes ? `${owner}:${sha256Hex(key)}:${formatKeyScopes(scopes)}` : `${owner}:${sha256Hex(key)}`;
}

const OPERATOR = /^[a-z0-9][a-z0-9._@-]{0,63}$/;

/**
 * `hub keys create`: a new query API key and the entry that configures it. The key is printed once
 * and stored nowhere: the hub is configured with its digest only (docs/operations.md, "API keys").
 */
export const keysCommand: Command = {
  name: 'keys',
  summary: 'create a query API key (tenant key with scopes, or operator key) and its configuration entry',
  usage: 'hub keys create <tenant> [--scope read,write,erase,audit] | hub keys create --operator <name>',
  help: `Prints JSON: { key, keyId, setting, entry }. Give \`key\` to its holder (it is shown once and
stored nowhere); add \`entry\` to \`setting\` (HUB_API_KEYS or HUB_ADMIN_API_KEYS) and restart the query API.

  <tenant>           the one tenant the key opens
  --scope S[,S…]     what the key may do there: read (GET routes, merge preview), write (merges,
                     unmerges, decision outcomes, saved queries), erase (GDPR erasure), audit (the
                     tenant's audit log); default read.
                     Scopes are independent: write does not include read, nor erase write.
  --operator NAME    an operator key instead (replays over HTTP); no tenant, no scopes

To change an existing key's scopes, edit the scopes after its digest in HUB_API_KEYS (the key stays).
To rotate: create a new key, add its entry beside the old one, hand it out, then remove the old entry.`,
  options: { scope: { type: 'string' }, operator: { type: 'string' } },
  prepare(values, positionals) {
    if (positionals[0] !== 'create')
      throw new UsageError(
        positionals[0] === undefined
          ? 'missing subcommand: create'
          : `unknown subcommand ${JSON.stringify(positionals[0])}; the only one is create`,
      );
    const operator = stringOption(values, 'operator');
    const scopeArg = stringOption(values, 'scope');
    let owner: string;
    let scopes: ReadonlySet<KeyScope> | undefined;
    if (operator !== undefined) {
      exactPositionals(positionals, ['create']);
      if (!OPERATOR.test(operator)) throw new UsageError('--operator must be lower-case letters, digits, ., _, @ or -, at most 64');
      if (scopeArg !== undefined) throw new UsageError('--scope is for tenant keys; an operator key has no tenant scopes');
      owner = operator;
    } else {
      const [, tenant] = exactPositionals(positionals, ['create', 'tenant']) as [string, string];
      owner = tenantId(tenant, '<tenant>');
      scopes = parseKeyScopes(
        (scopeArg ?? 'read')
          .split(/[,+]/)
          .map((s) => s.trim())
          .filter(Boolean)
          .join('+'),
      );
      if (!scopes || scopes.size === 0) throw new UsageError(`--scope must list scopes among ${KEY_SCOPES.join(', ')}`);
    }
    return async (ctx) => {
      const key = newApiKey();
      const entry = keyEntry(owner, key, scopes);
      await write(
        ctx.io.stdout,
        `${toJson({ key, keyId: sha256Hex(key).slice(0, 8), setting: scopes ? 'HUB_API_KEYS' : 'HUB_ADMIN_API_KEYS', entry }, 2)}\n`,
      );
      return ExitCode.ok;
    };
  },
};
