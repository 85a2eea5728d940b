import nx from '@nx/eslint-plugin';

const frameworkImports = ['@nestjs/*', 'kafkajs', 'bullmq', 'ioredis', 'pg', '@eventstore/*', 'fastify', 'pino'];

/**
 * Two axes (STYLE.md #15). `type`: what a project may lean on. `scope`: which part of the flow.
 * Tests and test kits may also use the testing libraries (`type:testing`); production code may not.
 */
function depConstraints({ forTests }) {
  const t = (tags) => (forTests ? [...tags, 'type:testing'] : tags);
  const s = (tags) => (forTests ? [...tags, 'scope:testing'] : tags);
  return [
    { sourceTag: 'type:contracts', onlyDependOnLibsWithTags: t(['type:contracts']) },
    { sourceTag: 'type:util', onlyDependOnLibsWithTags: t(['type:util', 'type:contracts']) },
    { sourceTag: 'type:domain', onlyDependOnLibsWithTags: t(['type:domain', 'type:contracts']), bannedExternalImports: frameworkImports },
    { sourceTag: 'type:channel-core', onlyDependOnLibsWithTags: t(['type:contracts']), bannedExternalImports: frameworkImports },
    // A channel never imports another channel.
    { sourceTag: 'type:channel', onlyDependOnLibsWithTags: t(['type:channel-core', 'type:domain', 'type:contracts']), bannedExternalImports: frameworkImports },
    { sourceTag: 'type:channel-registry', onlyDependOnLibsWithTags: t(['type:channel', 'type:channel-core', 'type:contracts']) },
    { sourceTag: 'type:data-access', onlyDependOnLibsWithTags: t(['type:data-access', 'type:domain', 'type:contracts', 'type:util']) },
    { sourceTag: 'type:application', onlyDependOnLibsWithTags: t(['type:data-access', 'type:domain', 'type:contracts', 'type:util']) },
    {
      sourceTag: 'type:feature',
      onlyDependOnLibsWithTags: t(['type:application', 'type:data-access', 'type:domain', 'type:contracts', 'type:util', 'type:channel-core', 'type:channel-registry']),
    },
    { sourceTag: 'type:testing', onlyDependOnLibsWithTags: ['type:testing', 'type:data-access', 'type:domain', 'type:contracts', 'type:util'] },
    {
      sourceTag: 'type:app',
      onlyDependOnLibsWithTags: t(['type:feature', 'type:application', 'type:data-access', 'type:domain', 'type:contracts', 'type:util', 'type:channel-registry', 'type:channel-core']),
    },
    // End-to-end tests drive the whole hub from outside.
    { sourceTag: 'type:e2e', onlyDependOnLibsWithTags: ['type:testing', 'type:contracts', 'type:channel', 'type:channel-core', 'type:channel-registry', 'type:application', 'type:data-access', 'type:domain'] },
    { sourceTag: 'scope:ingest', onlyDependOnLibsWithTags: s(['scope:ingest', 'scope:shared']) },
    { sourceTag: 'scope:project', onlyDependOnLibsWithTags: s(['scope:project', 'scope:shared']) },
    { sourceTag: 'scope:decide', onlyDependOnLibsWithTags: s(['scope:decide', 'scope:shared']) },
    // The operator CLI (hub-cli) reads what the projection and the decision sides recorded.
    { sourceTag: 'scope:ops', onlyDependOnLibsWithTags: s(['scope:ops', 'scope:project', 'scope:decide', 'scope:shared']) },
    { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: s(['scope:shared']) },
    { sourceTag: 'scope:testing', onlyDependOnLibsWithTags: ['scope:shared', 'scope:testing'] },
    { sourceTag: 'scope:e2e', onlyDependOnLibsWithTags: ['scope:shared', 'scope:testing', 'scope:ingest', 'scope:project'] },
  ];
}

// The one cross-scope entry point: the timeline's segment queries (its query side's port), which the
// NBA worker's outbound scan uses instead of reading `timeline_customers` itself (issue #14).
const crossScopeEntryPoints = ['@hub/timeline/segments'];
const boundaries = (forTests) => ['error', { enforceBuildableLibDependency: false, allow: crossScopeEntryPoints, depConstraints: depConstraints({ forTests }) }];
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
    },
  },
  { files: testFiles, rules: { '@nx/enforce-module-boundaries': boundaries(true) } },
];
