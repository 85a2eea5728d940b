// The images' HEALTHCHECK (infra/docker/Dockerfile): GET /health/live on the port the app serves its
// probes on, with Node's own fetch (no curl in the image). Liveness only: readiness asks Kafka,
// PostgreSQL and Redis, and an orchestrator must not restart an app for an outage it rides out.
// Copied beside main.js into every image; plain CommonJS so it runs without the workspace.
'use strict';

/**
 * Each app's probe port when the environment names none: the defaults of its env class
 * (HttpEnv.PORT, QueryApiEnv.PORT, ProjectorEnv.HEALTH_PORT, NbaWorkerEnv.HEALTH_PORT,
 * OutgoingWebhooksEnv.HEALTH_PORT), which
 * infra/docker/dockerfile.spec.ts checks against the code.
 */
const PROBES = {
  'ingest-webhooks': { variable: 'PORT', port: 3000 },
  'ingest-api': { variable: 'PORT', port: 3000 },
  'query-api': { variable: 'PORT', port: 3100 },
  'timeline-projector': { variable: 'HEALTH_PORT', port: 3101 },
  'nba-worker': { variable: 'HEALTH_PORT', port: 3102 },
  outbound: { variable: 'HEALTH_PORT', port: 3106 },
  'outgoing-webhooks': { variable: 'HEALTH_PORT', port: 3103 },
};

/** The port `/health/live` answers on for `app` under `env`; undefined when the app serves no probe (HEALTH_PORT=off, hub-cli). */
function probePort(app, env) {
  const probe = PROBES[app];
  if (probe === undefined) return undefined;
  const value = env[probe.variable];
  if (value === 'off') return undefined;
  return value === undefined || value === '' ? probe.port : Number(value);
}

module.exports = { PROBES, probePort };

if (require.main === module) {
  const port = probePort(process.env.HUB_APP ?? '', process.env);
  // No probe server (HEALTH_PORT=off): nothing to ask; the process being up is all there is.
  if (port === undefined) process.exit(0);
  fetch(`http://127.0.0.1:${port}/health/live`, { signal: AbortSignal.timeout(4000) })
    .then((res) => process.exit(res.status === 200 ? 0 : 1))
    .catch(() => process.exit(1));
}
