// One Jest run for the whole workspace: one summary line for CI, one global setup that
// starts Kafka once (tests use fresh ids instead of truncating, STYLE.md #14).
const { compilerOptions } = require('./tsconfig.base.json');

// tsconfig paths as Jest module names. A wildcard alias (`@hub/channels-*` → libs/ingest/channels/*, which
// resolves `@hub/channels-sms` to its index.ts and `@hub/channels-sms/testing` to testing/index.ts)
// comes after the exact ones, which take precedence as in TypeScript: Jest takes the first match.
const escape = (text) => text.replace(/[.*+?^${}()|[\]\\/-]/g, (c) => `\\${c}`);
const aliases = Object.entries(compilerOptions.paths);
const moduleNameMapper = Object.fromEntries(
  [...aliases.filter(([alias]) => !alias.includes('*')), ...aliases.filter(([alias]) => alias.includes('*'))].map(([alias, [target]]) => [
    `^${alias.split('*').map(escape).join('(.*)')}$`,
    `<rootDir>/${target.replace('*', '$1')}`,
  ]),
);

const swc = [
  '@swc/jest',
  {
    jsc: {
      target: 'es2022',
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
    },
    module: { type: 'commonjs' },
    sourceMaps: 'inline',
  },
];

// Dependencies published only as ES modules, which Jest's CommonJS runtime cannot load (Node itself
// requires them since 20.19): compiled to CommonJS like our own sources. @fastify/static 10 (the
// console's files, through @nestjs/platform-fastify's peer range) needs content-disposition 3; the query
// API checks OpenID Connect tokens with jose 6.
const esmOnly = ['content-disposition', 'jose'];
const swcJs = ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'ecmascript' } }, module: { type: 'commonjs' } }];

/** @type {import('jest').Config} */
module.exports = {
  rootDir: __dirname,
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': swc, [`/node_modules/(${esmOnly.join('|')})/.+\\.js$`]: swcJs },
  transformIgnorePatterns: [`/node_modules/(?!(${esmOnly.join('|')})/)`],
  moduleNameMapper,
  testMatch: ['<rootDir>/{apps,libs,tools,infra,scripts}/**/*.spec.ts'],
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/tmp/', '<rootDir>/dist/'],
  globalSetup: '<rootDir>/libs/shared/testing/src/jest/global-setup.ts',
  globalTeardown: '<rootDir>/libs/shared/testing/src/jest/global-teardown.ts',
  testTimeout: 60_000,
  maxWorkers: 2,
};
