import nx from '@nx/eslint-plugin';

const frameworkImports = ['@nestjs/*', 'kafkajs', 'bullmq', 'ioredis', 'pg', '@eventstore/*', 'fastify', 'pino'];

export default [
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  { ignores: ['**/node_modules', '**/dist', 'tmp', '.run', '.nx', 'infra/kafka/lib', '**/*.mjs', '**/*.js'] },
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/ban-ts-comment': 'error',
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allow: [],
          depConstraints: [
            // Two axes (STYLE.md #15). type: what a project is allowed to lean on.
            { sourceTag: 'type:contracts', onlyDependOnLibsWithTags: ['type:contracts'] },
            { sourceTag: 'type:util', onlyDependOnLibsWithTags: ['type:util', 'type:contracts'] },
            {
              sourceTag: 'type:domain',
              onlyDependOnLibsWithTags: ['type:domain', 'type:contracts'],
              bannedExternalImports: frameworkImports,
            },
            { sourceTag: 'type:channel-core', onlyDependOnLibsWithTags: ['type:contracts'], bannedExternalImports: frameworkImports },
            // A channel never imports another channel.
            { sourceTag: 'type:channel', onlyDependOnLibsWithTags: ['type:channel-core', 'type:domain', 'type:contracts'], bannedExternalImports: frameworkImports },
            { sourceTag: 'type:channel-registry', onlyDependOnLibsWithTags: ['type:channel', 'type:channel-core', 'type:contracts'] },
            { sourceTag: 'type:data-access', onlyDependOnLibsWithTags: ['type:data-access', 'type:domain', 'type:contracts', 'type:util'] },
            { sourceTag: 'type:application', onlyDependOnLibsWithTags: ['type:data-access', 'type:domain', 'type:contracts', 'type:util'] },
            {
              sourceTag: 'type:feature',
              onlyDependOnLibsWithTags: ['type:application', 'type:data-access', 'type:domain', 'type:contracts', 'type:util', 'type:channel-core', 'type:channel-registry'],
            },
            { sourceTag: 'type:testing', onlyDependOnLibsWithTags: ['type:testing', 'type:data-access', 'type:domain', 'type:contracts', 'type:util'] },
            { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:feature', 'type:application', 'type:data-access', 'type:domain', 'type:contracts', 'type:util', 'type:channel-registry', 'type:channel-core', 'type:testing'] },
            // scope: which part of the flow. Ingestion never reaches into decision-making, and back.
            { sourceTag: 'scope:ingest', onlyDependOnLibsWithTags: ['scope:ingest', 'scope:shared'] },
            { sourceTag: 'scope:project', onlyDependOnLibsWithTags: ['scope:project', 'scope:shared'] },
            { sourceTag: 'scope:decide', onlyDependOnLibsWithTags: ['scope:decide', 'scope:shared'] },
            { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'] },
          ],
        },
      ],
    },
  },
];
