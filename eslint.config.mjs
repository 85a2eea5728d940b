import nx from '@nx/eslint-plugin';

const frameworkImports = ['@nestjs/*', 'kafkajs', 'bullmq', 'ioredis', 'pg', '@eventstore/*', 'fastify', 'pino'];

/**
 * Two axes (STYLE.md #15). `type`: what a project may lean on. `stage`: which stage of the flow owns
 * it, the folder it sits in (apps/<stage>/, libs/<stage>/; docs/architecture.md): a stage may use its
 * own projects, those of the stages upstream of it that it reads, and the shared ones.
 * Tests and test kits may also use the testing libraries (`type:testing`); production code may not.
 */
function depConstraints({ forTests }) {
  const t = (tags) => (forTests ? [...tags, 'type:testing'] : tags);
  return [
    { sourceTag: 'type:contracts', onlyDependOnLibsWithTags: t(['type:contracts']) },
    { sourceTag: 'type:util', onlyDependOnLibsWithTags: t(['type:util', 'type:contracts']) },
    { sourceTag: 'type:domain', onlyDependOnLibsWithTags: t(['type:domain', 'type:contracts']), bannedExternalImports: frameworkImports },
    // @hub/client: what a platform links to talk to the hub from outside — the contracts and kafkajs, nothing of the hub's inside.
    {
      sourceTag: 'type:client',
      onlyDependOnLibsWithTags: t(['type:domain', 'type:contracts']),
      bannedExternalImports: frameworkImports.filter((name) => name !== 'kafkajs'),
    },
    { sourceTag: 'type:channel-core', onlyDependOnLibsWithTags: t(['type:contracts']), bannedExternalImports: frameworkImports },
    // A channel never imports another channel.
    {
      sourceTag: 'type:channel',
      onlyDependOnLibsWithTags: t(['type:channel-core', 'type:domain', 'type:contracts']),
      bannedExternalImports: frameworkImports,
    },
    { sourceTag: 'type:channel-registry', onlyDependOnLibsWithTags: t(['type:channel', 'type:channel-core', 'type:contracts']) },
    { sourceTag: 'type:data-access', onlyDependOnLibsWithTags: t(['type:data-access', 'type:domain', 'type:contracts', 'type:util']) },
    { sourceTag: 'type:application', onlyDependOnLibsWithTags: t(['type:data-access', 'type:domain', 'type:contracts', 'type:util']) },
    {
      sourceTag: 'type:feature',
      onlyDependOnLibsWithTags: t([
        'type:application',
        'type:data-access',
        'type:domain',
        'type:contracts',
        'type:util',
        'type:channel-core',
        'type:channel-registry',
      ]),
    },
    {
      sourceTag: 'type:testing',
      onlyDependOnLibsWithTags: ['type:testing', 'type:data-access', 'type:domain', 'type:contracts', 'type:util'],
    },
    {
      sourceTag: 'type:app',
      onlyDependOnLibsWithTags: t([
        'type:feature',
        'type:application',
        'type:data-access',
        'type:domain',
        'type:contracts',
        'type:util',
        'type:channel-registry',
        'type:channel-core',
      ]),
    },
    // End-to-end tests drive the whole hub from outside.
    {
      sourceTag: 'type:e2e',
      onlyDependOnLibsWithTags: [
        'type:testing',
        'type:contracts',
        'type:channel',
        'type:channel-core',
        'type:channel-registry',
        'type:application',
        'type:data-access',
        'type:domain',
      ],
    },
    // The flow: ingest → record → project → query, and record → decide. Ingest publishes to Kafka and reads no stage after it.
    { sourceTag: 'stage:ingest', onlyDependOnLibsWithTags: ['stage:ingest', 'stage:shared'] },
    // The system of record: the customer streams, their store, keys and repository.
    { sourceTag: 'stage:record', onlyDependOnLibsWithTags: ['stage:record', 'stage:shared'] },
    // The timeline projection and its relay (apps/project/timeline-projector also runs the record stage's recorder).
    { sourceTag: 'stage:project', onlyDependOnLibsWithTags: ['stage:project', 'stage:record', 'stage:shared'] },
    { sourceTag: 'stage:decide', onlyDependOnLibsWithTags: ['stage:decide', 'stage:record', 'stage:shared'] },
    // Delivery: outgoing webhooks (decisions, work items and customer changes, to platforms that do not read Kafka) and the
    // outbound sender (decided actions through the channels' providers, reading the record for the latest state).
    { sourceTag: 'stage:deliver', onlyDependOnLibsWithTags: ['stage:deliver', 'stage:decide', 'stage:record', 'stage:shared'] },
    // The query API reads the timeline, the record and the decisions (explanations, the menu), and manages webhook subscriptions.
    {
      sourceTag: 'stage:query',
      onlyDependOnLibsWithTags: ['stage:query', 'stage:project', 'stage:decide', 'stage:deliver', 'stage:record', 'stage:shared'],
    },
    // The operator CLI (hub-cli) reads what the record, the projection and the decision sides recorded,
    // and migrates every component's tables, the delivery stage's included (`hub migrate`).
    {
      sourceTag: 'stage:ops',
      onlyDependOnLibsWithTags: ['stage:ops', 'stage:project', 'stage:decide', 'stage:deliver', 'stage:record', 'stage:shared'],
    },
    { sourceTag: 'stage:shared', onlyDependOnLibsWithTags: ['stage:shared'] },
    // End-to-end tests sign as the providers sign (ingest's testing kits) and stand in for the providers the hub sends through (deliver's).
    {
      sourceTag: 'stage:e2e',
      onlyDependOnLibsWithTags: ['stage:shared', 'stage:ingest', 'stage:record', 'stage:project', 'stage:deliver'],
    },
  ];
}

// The one cross-stage entry point: the timeline's segment queries (its query side's port), which the
// NBA worker's outbound scan uses instead of reading `timeline_customers` itself (issue #14).
const crossStageEntryPoints = ['@hub/timeline/segments'];
const boundaries = (forTests) => [
  'error',
  { enforceBuildableLibDependency: false, allow: crossStageEntryPoints, depConstraints: depConstraints({ forTests }) },
];
const testFiles = ['**/*.spec.ts', '**/testing/**/*.ts', '**/__fixtures__/**/*.ts'];

export default [
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  { ignores: ['**/node_modules', '**/dist', 'tmp', '.run', '.nx', 'infra/kafka/lib', '**/*.mjs', '**/*.js'] },
  {
    files: ['**/*.ts', '**/*.tsx'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/ban-ts-comment': 'error',
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unused-vars': ['warn', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@nx/enforce-module-boundaries': boundaries(false),
      // Its decorators through @hub/platform/openapi, which applies them when a document is first asked
      // for: the package itself (its scanner, lodash, js-yaml) stays out of every app's boot.
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: '@nestjs/swagger',
              allowTypeImports: true,
              message: 'Import its decorators from @hub/platform/openapi (applied when the document is first asked for); types are fine.',
            },
          ],
        },
      ],
    },
  },
  { files: testFiles, rules: { '@nx/enforce-module-boundaries': boundaries(true) } },
];
