import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { ClassConstructor } from 'class-transformer';
import { getMetadataStorage } from 'class-validator';
import { ConfigError, HttpEdgeEnv, loadConfig } from '@hub/config';
import type { IngestChannelId } from '@hub/contracts';
import { channelDefinitions } from '@hub/channel-registry';
import { IngestEnv, ingestChannelsOf } from '@hub/ingest';
import { IngestApiEnv } from '@hub/ingest-api';
import { NbaWorkerEnv } from '../apps/decide/nba-worker/src/nba-worker.env';
import { OutgoingWebhooksEnv } from '../apps/deliver/outgoing-webhooks/src/outgoing-webhooks.env';
import { OutboundEnv } from '../apps/deliver/outbound/src/outbound.env';
import { ProjectorEnv } from '../apps/project/timeline-projector/src/projector.env';
import { QueryApiEdgeEnv, QueryApiEnv } from '../apps/query/query-api/src/query-api.module';

/**
 * What the deployment files (infra/docker, infra/docker-compose.yml, infra/k8s) are checked against:
 * the apps as the code defines them — which Nx projects are deployed, which variables each reads (its
 * typed env classes, STYLE.md #16), and where it serves its probes.
 */

export const ROOT = join(__dirname, '..');

/** Apps built for Node (the build list) that do not run as a long-lived process, and why. */
export const NOT_DEPLOYED: Readonly<Record<string, string>> = {
  'hub-cli': 'an operator CLI, run on demand (docker run … hub-cli node main.js <command>, or a Kubernetes Job)',
};

/** The build list, read from the apps' project files (one definition: @hub/testing's, which builds and starts them). */
export { builtNodeApps } from '@hub/testing';

/** Variables a process reads outside the env classes, each with the file that reads it (checked to name it). */
const READ_DIRECTLY: readonly { name: string; file: string; apps: 'all' | readonly string[] }[] = [
  { name: 'INGEST_CHANNEL', file: 'libs/ingest/webhooks/src/ingest-channel.ts', apps: ['ingest-webhooks'] },
  { name: 'INGEST_CHANNELS', file: 'libs/ingest/webhooks/src/ingest-channel.ts', apps: ['ingest-webhooks'] },
  { name: 'INGEST_PROVIDERS', file: 'libs/ingest/webhooks/src/bootstrap-ingest-app.ts', apps: ['ingest-webhooks'] },
  { name: 'OTEL_EXPORTER_OTLP_ENDPOINT', file: 'libs/shared/platform/src/tracing.ts', apps: 'all' },
  { name: 'OTEL_SDK_DISABLED', file: 'libs/shared/platform/src/tracing.ts', apps: 'all' },
  // The images' HEALTHCHECK (infra/docker/healthcheck.js) reads which app it probes.
  { name: 'HUB_APP', file: 'infra/docker/healthcheck.js', apps: 'all' },
];

/** The variables a class-validator env class declares (its own and inherited properties with a decorator). */
export function envNamesOf(schema: ClassConstructor<object>): string[] {
  return [
    ...new Set(
      getMetadataStorage()
        .getTargetValidationMetadatas(schema, '', true, false)
        .map((m) => m.propertyName),
    ),
  ];
}

export interface DeployedApp {
  /** The Nx project, the image's APP build argument. */
  project: string;
  /** The variable naming the port `/health/live` and `/health/ready` answer on, and its default in the code. */
  probe: { variable: 'PORT' | 'HEALTH_PORT'; defaultPort: number };
  /** The env classes the app loads under `env` (an ingestion app's depend on its channels). */
  schemas(env: NodeJS.ProcessEnv): ClassConstructor<object>[];
  /** What the app checks at boot outside its env classes. */
  bootChecks?(env: NodeJS.ProcessEnv): void;
}

/** The ingestion app's settings, and its channels' when INGEST_CHANNEL(S) names them (else envValueProblems says what is wrong). */
function ingestSchemas(env: NodeJS.ProcessEnv): ClassConstructor<object>[] {
  let channels: readonly IngestChannelId[] = [];
  try {
    channels = ingestChannelsOf(env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
  }
  const ofChannels = channels.flatMap((c) => channelDefinitions(c).map((d) => d.configSchema));
  return [IngestEnv, HttpEdgeEnv, ...new Set(ofChannels)];
}

function probeDefault(schema: ClassConstructor<{ PORT?: number; HEALTH_PORT?: number | 'off' }>, variable: 'PORT' | 'HEALTH_PORT'): number {
  const value = new schema()[variable];
  if (typeof value !== 'number') throw new Error(`${schema.name}.${variable} has no numeric default`);
  return value;
}

/** Every app that runs as a long-lived process, keyed by Nx project. */
export const DEPLOYED_APPS: Readonly<Record<string, DeployedApp>> = {
  'ingest-webhooks': {
    project: 'ingest-webhooks',
    probe: { variable: 'PORT', defaultPort: probeDefault(IngestEnv, 'PORT') },
    schemas: ingestSchemas,
    bootChecks: (env) => void ingestChannelsOf(env),
  },
  'ingest-api': {
    project: 'ingest-api',
    probe: { variable: 'PORT', defaultPort: probeDefault(IngestApiEnv, 'PORT') },
    schemas: () => [IngestApiEnv, HttpEdgeEnv],
  },
  'timeline-projector': {
    project: 'timeline-projector',
    probe: { variable: 'HEALTH_PORT', defaultPort: probeDefault(ProjectorEnv, 'HEALTH_PORT') },
    schemas: () => [ProjectorEnv],
  },
  'nba-worker': {
    project: 'nba-worker',
    probe: { variable: 'HEALTH_PORT', defaultPort: probeDefault(NbaWorkerEnv, 'HEALTH_PORT') },
    schemas: () => [NbaWorkerEnv],
  },
  'outgoing-webhooks': {
    project: 'outgoing-webhooks',
    probe: { variable: 'HEALTH_PORT', defaultPort: probeDefault(OutgoingWebhooksEnv, 'HEALTH_PORT') },
    schemas: () => [OutgoingWebhooksEnv],
  },
  outbound: {
    project: 'outbound',
    probe: { variable: 'HEALTH_PORT', defaultPort: probeDefault(OutboundEnv, 'HEALTH_PORT') },
    schemas: () => [OutboundEnv],
  },
  'query-api': {
    project: 'query-api',
    probe: { variable: 'PORT', defaultPort: probeDefault(QueryApiEnv, 'PORT') },
    schemas: () => [QueryApiEnv, QueryApiEdgeEnv],
  },
};

/** The names in `env` that `app` does not read (a typo, or a variable of another app). */
export function unknownEnvNames(app: DeployedApp, env: NodeJS.ProcessEnv): string[] {
  const known = new Set([
    ...app.schemas(env).flatMap(envNamesOf),
    ...READ_DIRECTLY.filter((r) => r.apps === 'all' || r.apps.includes(app.project)).map((r) => r.name),
  ]);
  return Object.keys(env).filter((name) => !known.has(name));
}

/** What the app's env classes say about the values in `env` (validated as at boot); empty when it would boot. */
export function envValueProblems(app: DeployedApp, env: NodeJS.ProcessEnv): string[] {
  const checks = [...app.schemas(env).map((schema) => () => void loadConfig(app.project, schema, env)), () => app.bootChecks?.(env)];
  return checks.flatMap((check) => {
    try {
      check();
      return [];
    } catch (err) {
      if (err instanceof ConfigError) return err.problems;
      throw err;
    }
  });
}

/** Each READ_DIRECTLY entry's file does read it: the allowance above cannot outlive the code. */
export function directReadProblems(): string[] {
  return READ_DIRECTLY.filter((r) => !readFileSync(join(ROOT, r.file), 'utf8').includes(r.name)).map(
    (r) => `${r.name} is not read by ${r.file}`,
  );
}

/** Files under `dir` (recursively, no node_modules) whose name matches. */
export function filesUnder(dir: string, name: RegExp): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (entry === 'node_modules' || entry === 'lib' || entry.startsWith('.')) continue;
    if (statSync(path).isDirectory()) out.push(...filesUnder(path, name));
    else if (name.test(entry)) out.push(relative(ROOT, path));
  }
  return out.sort();
}
