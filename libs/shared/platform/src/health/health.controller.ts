import { Controller, Get, Inject, Injectable, Res, ServiceUnavailableException, type OnApplicationShutdown } from '@nestjs/common';
import { HealthCheckService, HealthIndicatorService, type HealthCheckResult, type HealthIndicatorResult } from '@nestjs/terminus';
import type { FastifyReply } from 'fastify';
import { probeFailure, type DependencyProbe } from './dependency-probes';

/** The probes an app's readiness asks (a provider of `DependencyProbe[]`). */
export const HEALTH_PROBES = Symbol('HEALTH_PROBES');

/** What `GET /health/ready` answers with 503: the hub's error shape, one problem per dependency down. */
export interface NotReadyBody {
  error: 'not_ready';
  message: string;
  problems: { path: string; code: 'dependency_down'; message: string }[];
  status: 'error';
  details: HealthCheckResult['details'];
}

/**
 * `GET /health/live`: the process serves requests (its event loop turns); never asks a dependency,
 * so an orchestrator does not restart an app for a broker outage it rides out by itself.
 * `GET /health/ready`: every dependency of the app answers, each within its probe's bound: 200 with
 * each one's details, else 503 naming the ones down and why. Both bypass the app's exception filters
 * and interceptors (they answer through the reply) so every app answers them alike.
 */
@Controller('health')
export class HealthController {
  constructor(
    private readonly checks: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    @Inject(HEALTH_PROBES) private readonly probes: readonly DependencyProbe[],
  ) {}

  @Get('live')
  async live(@Res() reply: FastifyReply): Promise<void> {
    const result = await this.checks.check([() => this.indicators.check('process').up({ uptimeSeconds: Math.round(process.uptime()) })]);
    await reply.code(200).header('cache-control', 'no-store').send(result);
  }

  @Get('ready')
  async ready(@Res() reply: FastifyReply): Promise<void> {
    const result = await readiness(this.checks, this.indicators, this.probes);
    await reply
      .code(result.status === 'ok' ? 200 : 503)
      .header('cache-control', 'no-store')
      .send(result.status === 'ok' ? result : notReadyBody(result));
  }
}

/** Every probe at once through terminus: its result whether up or down (terminus throws on down). */
export async function readiness(
  health: HealthCheckService,
  indicators: HealthIndicatorService,
  probes: readonly DependencyProbe[],
): Promise<HealthCheckResult> {
  const run = async (probe: DependencyProbe): Promise<HealthIndicatorResult> => {
    const indicator = indicators.check(probe.name);
    try {
      return indicator.up(await probe.check());
    } catch (err) {
      return indicator.down({ message: probeFailure(err) });
    }
  };
  try {
    return await health.check(probes.map((probe) => () => run(probe)));
  } catch (err) {
    if (err instanceof ServiceUnavailableException) return err.getResponse() as HealthCheckResult;
    throw err;
  }
}

export function notReadyBody(result: HealthCheckResult): NotReadyBody {
  const down = Object.entries(result.error ?? {});
  const problems = down.map(([path, detail]) => ({
    path,
    code: 'dependency_down' as const,
    message: typeof detail?.['message'] === 'string' ? detail['message'] : `${path} is down`,
  }));
  return {
    error: 'not_ready',
    message: `not ready: ${problems.map((p) => `${p.path} (${p.message})`).join('; ') || 'a dependency is down'}`,
    problems,
    status: 'error',
    details: result.details,
  };
}

/** Closes what the probes hold (the Kafka probe's admin client) when the app shuts down. */
@Injectable()
export class HealthProbesCloser implements OnApplicationShutdown {
  constructor(@Inject(HEALTH_PROBES) private readonly probes: readonly DependencyProbe[]) {}

  async onApplicationShutdown(): Promise<void> {
    await Promise.all(this.probes.map((p) => p.close?.()));
  }
}
