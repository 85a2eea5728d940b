// `npm run test:unit`: the pure tests only — no *.int.spec.ts, no *.e2e.spec.ts, and no global setup,
// so nothing checks for (or needs) PostgreSQL, Redis or Kafka. For a quick loop while writing domain
// code or a channel's mapping; `npm test` still runs every tier (and starts the infrastructure).
const base = require('./jest.config.js');

/** @type {import('jest').Config} */
module.exports = {
  ...base,
  testPathIgnorePatterns: [...base.testPathIgnorePatterns, '\\.int\\.spec\\.ts$', '\\.e2e\\.spec\\.ts$'],
  globalSetup: undefined,
  globalTeardown: undefined,
};
