import { Controller, Get, Header } from '@nestjs/common';
import { METRICS_CONTENT_TYPE, renderMetrics } from '@hub/metrics';
import { HealthController } from '@hub/platform';
import { Public } from './auth/public.decorator';
import { ApiOkResponse, ApiOperation, ApiTags } from '@hub/platform/openapi';

/**
 * Open probes: `GET /health/live`, `GET /health/ready` (PostgreSQL answers `select 1`, bounded) and
 * `GET /health`, the process serving (unchanged: 200 `{ status: 'ok' }`, read by the harnesses).
 */
@Public()
@ApiTags('operations')
@Controller('health')
export class QueryHealthController extends HealthController {
  @Get()
  @ApiOperation({ summary: 'Liveness: open, no key needed' })
  @ApiOkResponse({ description: '`{"status":"ok"}`' })
  health(): { status: string } {
    return { status: 'ok' };
  }
}

/** The process's metrics in the Prometheus text format: open like /health, and not rate limited. */
@Public()
@ApiTags('operations')
@Controller('metrics')
export class MetricsController {
  @Get()
  @ApiOperation({ summary: "The process's metrics in the Prometheus text format; open, not rate-limited" })
  @ApiOkResponse({ description: 'Prometheus text exposition format 0.0.4 (docs/operations.md, "Metrics")' })
  @Header('content-type', METRICS_CONTENT_TYPE)
  metrics(): Promise<string> {
    return renderMetrics();
  }
}
