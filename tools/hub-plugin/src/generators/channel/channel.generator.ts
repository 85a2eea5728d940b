import { join } from 'node:path';
import { formatFiles, generateFiles, logger, names, readJson, type GeneratorCallback, type Tree } from '@nx/devkit';
import type { ChannelGeneratorSchema } from './schema';
import { scaffoldFixtures } from './fixtures';
import {
  appendReExportLine,
  appendToStringArrayConst,
  exportName,
  readReExportNames,
  readStringArrayConst,
  SourceAnchorError,
} from './source-edits';

/**
 * `nx g @hub/tools:channel <name>`: scaffolds a channel that verifies, validates, maps and passes
 * the conformance kit as generated, in one folder, and registers it where the compiler asks for it,
 * one line in each of three files:
 *
 *   libs/ingest/channels/<name>/                         the library (adapter, payload, config, fixtures, testing/, spec),
 *                                                        with its entry points index.ts and testing/index.ts
 *   libs/shared/contracts/src/channels.ts                `'<name>'` appended to CHANNEL_IDS (on its line)
 *   libs/ingest/channels/registry/src/channels.ts        `export { <x>Channel as '<name>' } from '@hub/channels-<name>';`
 *   libs/ingest/channels/registry/src/testing/setups.ts  `export { <x>TestSetup as '<name>' } from '@hub/channels-<name>/testing';`
 *
 * It needs no app: the one ingestion program (apps/ingest/webhooks) serves it as `ingest-<name>`
 * with `INGEST_CHANNEL=<name>`. tsconfig.base.json is read, not edited: its wildcard alias
 * `@hub/channels-*` → `libs/ingest/channels/*` resolves `@hub/channels-<name>` and
 * `@hub/channels-<name>/testing` to the entry points above. Everything is checked before anything
 * is written: a channel that exists in any of those places, a registration file without the lines
 * it appends to, or a tsconfig without that alias stops the generator with nothing changed.
 */

export const SHARED_FILES = {
  channelIds: 'libs/shared/contracts/src/channels.ts',
  registry: 'libs/ingest/channels/registry/src/channels.ts',
  registryTesting: 'libs/ingest/channels/registry/src/testing/setups.ts',
  tsconfig: 'tsconfig.base.json',
  ids: 'libs/shared/contracts/src/ids.ts',
  events: 'libs/shared/contracts/src/events.ts',
} as const;

/** Folders under libs/ingest/channels that are not channels, and ids the hub uses otherwise (ingest-api, ingest-webhooks). */
const RESERVED = ['core', 'registry', 'system', 'api', 'testing', 'webhooks'];
const KEBAB = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

export interface NormalizedChannelOptions {
  name: string;
  className: string;
  propertyName: string;
  constantName: string;
  provider: string;
  /** The env var prefix of the provider: `line-works` → `LINE_WORKS`. */
  providerConstant: string;
  displayName: string;
  route: string;
  docsUrl: string;
  /** Whether docsUrl is the placeholder (the adapter then says so). */
  docsUrlIsPlaceholder: boolean;
  libRoot: string;
  importPath: string;
}

const titleCase = (kebab: string): string =>
  kebab
    .split('-')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join(' ');

export function normalizeOptions(options: ChannelGeneratorSchema): NormalizedChannelOptions {
  const name = (options.name ?? '').trim();
  const problems: string[] = [];
  if (!KEBAB.test(name) || name.length > 32)
    problems.push(`name "${name}" must be a kebab-case id of at most 32 characters, e.g. line-chat`);
  if (RESERVED.includes(name)) problems.push(`name "${name}" is reserved (${RESERVED.join(', ')})`);
  const provider = (options.provider ?? name).trim();
  if (!KEBAB.test(provider) || provider.length > 32)
    problems.push(`provider "${provider}" must be kebab-case, at most 32 characters, e.g. line`);
  const route = (options.route ?? `/webhooks/${name}`).trim();
  if (!/^(\/[A-Za-z0-9._~-]+)+$/.test(route)) problems.push(`route "${route}" must be a path such as /webhooks/${name}`);
  const displayName = (options.displayName ?? (provider === name ? titleCase(name) : `${titleCase(name)} (${titleCase(provider)})`)).trim();
  if (displayName === '' || displayName.length > 80 || /[\\'\r\n`$]/.test(displayName))
    problems.push(`displayName must be 1–80 characters without quotes, backslashes, $ or line breaks`);
  const docsUrl = (options.docsUrl ?? `https://hub.example.com/docs/channels/${name}`).trim();
  if (!/^https:\/\/[^\s'\\`]+$/.test(docsUrl)) problems.push(`docsUrl "${docsUrl}" must be an https URL`);
  if (problems.length > 0) throw new Error(`nx g @hub/tools:channel: ${problems.join('; ')}`);
  const n = names(name);
  return {
    name,
    className: n.className,
    propertyName: n.propertyName,
    constantName: n.constantName,
    provider,
    providerConstant: names(provider).constantName,
    displayName,
    route,
    docsUrl,
    docsUrlIsPlaceholder: options.docsUrl === undefined,
    libRoot: `libs/ingest/channels/${name}`,
    importPath: `@hub/channels-${name}`,
  };
}

function read(tree: Tree, file: string): string {
  const text = tree.read(file, 'utf-8');
  if (text === null) throw new SourceAnchorError(file, 'the file');
  return text;
}

/** A constant of the form `export const NAME = <literal>;` read from a workspace file. */
function readConstant(tree: Tree, file: string, name: string, literal: RegExp): string {
  const match = new RegExp(`export const ${name} = ${literal.source};`).exec(read(tree, file));
  if (!match?.[1]) throw new SourceAnchorError(file, `\`export const ${name} = …;\``);
  return match[1];
}

interface Plan {
  writes: [file: string, content: string][];
}

/** The alias every channel library is imported through; the generator adds no path of its own. */
export const CHANNELS_ALIAS = { '@hub/channels-*': ['libs/ingest/channels/*'] } as const;

/** Reads and checks everything, computes every edit; writes nothing. */
function plan(tree: Tree, o: NormalizedChannelOptions): Plan {
  const channelIdsSource = read(tree, SHARED_FILES.channelIds);
  const registrySource = read(tree, SHARED_FILES.registry);
  const registryTestingSource = read(tree, SHARED_FILES.registryTesting);
  const tsconfig = readJson<{ compilerOptions?: { paths?: Record<string, string[]> } }>(tree, SHARED_FILES.tsconfig);
  const paths = tsconfig.compilerOptions?.paths;
  if (!paths) throw new SourceAnchorError(SHARED_FILES.tsconfig, '"compilerOptions.paths"');
  const [alias, targets] = Object.entries(CHANNELS_ALIAS)[0]!;
  if (JSON.stringify(paths[alias]) !== JSON.stringify(targets))
    throw new SourceAnchorError(
      SHARED_FILES.tsconfig,
      `the path "${alias}": ${JSON.stringify(targets)} (every channel library is imported through it)`,
    );

  const testingImportPath = `${o.importPath}/testing`;
  const existing = [
    tree.exists(o.libRoot) && `${o.libRoot}/ exists`,
    readStringArrayConst(SHARED_FILES.channelIds, channelIdsSource, 'CHANNEL_IDS').includes(o.name) &&
      `CHANNEL_IDS already has '${o.name}'`,
    readReExportNames(SHARED_FILES.registry, registrySource).includes(o.name) && `${SHARED_FILES.registry} already registers ${o.name}`,
    readReExportNames(SHARED_FILES.registryTesting, registryTestingSource).includes(o.name) &&
      `${SHARED_FILES.registryTesting} already registers ${o.name}`,
    (paths[o.importPath] || paths[testingImportPath]) && `${SHARED_FILES.tsconfig} already maps ${o.importPath}`,
  ].filter((x): x is string => typeof x === 'string');
  if (existing.length > 0) {
    throw new Error(`nx g @hub/tools:channel: channel "${o.name}" already exists (${existing.join('; ')}). Nothing was changed.`);
  }

  return {
    writes: [
      [SHARED_FILES.channelIds, appendToStringArrayConst(SHARED_FILES.channelIds, channelIdsSource, 'CHANNEL_IDS', o.name)],
      [
        SHARED_FILES.registry,
        appendReExportLine(
          SHARED_FILES.registry,
          registrySource,
          `export { ${o.propertyName}Channel as ${exportName(o.name)} } from '${o.importPath}';`,
        ),
      ],
      [
        SHARED_FILES.registryTesting,
        appendReExportLine(
          SHARED_FILES.registryTesting,
          registryTestingSource,
          `export { ${o.propertyName}TestSetup as ${exportName(o.name)} } from '${testingImportPath}';`,
        ),
      ],
    ],
  };
}

/**
 * The formatter config files Nx 23 recognises (nx/src/utils/formatters). A formatter counts as
 * configured only through one of these or package.json "prettier": Nx's own fallback (prettier in
 * devDependencies) would reformat the registry files of a workspace that was never run through
 * prettier with its defaults.
 */
const FORMATTER_CONFIGS = [
  ...['.prettierrc', '.prettierrc.json', '.prettierrc.yml', '.prettierrc.yaml', '.prettierrc.json5', '.prettierrc.toml'],
  ...['js', 'ts', 'mjs', 'mts', 'cjs', 'cts'].flatMap((ext) => [`.prettierrc.${ext}`, `prettier.config.${ext}`]),
  '.oxfmtrc.json',
  '.oxfmtrc.jsonc',
];

export function formatterConfigured(tree: Tree): boolean {
  return (
    FORMATTER_CONFIGS.some((f) => tree.exists(f)) ||
    (tree.exists('package.json') && readJson<{ prettier?: unknown }>(tree, 'package.json').prettier !== undefined)
  );
}

export async function channelGenerator(tree: Tree, options: ChannelGeneratorSchema): Promise<GeneratorCallback> {
  const o = normalizeOptions(options);
  const idNamespace = readConstant(tree, SHARED_FILES.ids, 'HUB_ID_NAMESPACE', /'([0-9a-f-]{36})'/);
  const schemaVersion = Number(readConstant(tree, SHARED_FILES.events, 'INTERACTION_RECEIVED_SCHEMA_VERSION', /(\d+)/));
  const edits = plan(tree, o);

  generateFiles(tree, join(__dirname, 'files'), '.', {
    ...o,
    secretEnv: `${o.providerConstant}_WEBHOOK_SECRET`,
    signatureHeader: `x-${o.provider}-signature`,
    tmpl: '',
  });
  const fixtures = scaffoldFixtures({ channelId: o.name, provider: o.provider, idNamespace, schemaVersion });
  for (const [kind, { file, json }] of Object.entries(fixtures)) {
    tree.write(`${o.libRoot}/src/__fixtures__/${kind}/${file}`, `${JSON.stringify(json, null, 2)}\n`);
  }
  for (const [file, content] of edits.writes) tree.write(file, content);

  if (formatterConfigured(tree)) await formatFiles(tree);

  return () => {
    logger.info(
      [
        '',
        `Channel ${o.name} scaffolded; its spec passes as generated. Next (docs/adding-a-channel.md):`,
        `  1. record ${o.provider}'s payloads into ${o.libRoot}/src/__fixtures__/{valid,malformed,unmappable}/`,
        `  2. write its payload class, verify (signature scheme) and map in ${o.libRoot}/src/`,
        `  3. npm run test:unit -- ${o.libRoot}   then   npx nx show projects && npx eslint ${o.libRoot}`,
        `  4. run it: INGEST_CHANNEL=${o.name} ${o.providerConstant}_WEBHOOK_SECRET=… npx nx run ingest-webhooks:dev   (or npm run build, then node dist/apps/ingest-webhooks/main.js)`,
        `  5. add its rows to the docs tables that list channels (docs/adding-a-channel.md, "6. Document it")`,
      ].join('\n'),
    );
  };
}

export default channelGenerator;
