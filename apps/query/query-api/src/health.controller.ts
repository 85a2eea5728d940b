import { Controller, Get, Header } from '@nestjs/common';
import { METRICS_CONTENT_TYPE, renderMetrics } from '@hub/metrics';
import { Public } from './auth/public.decorator';

@Public()
@Controller('health')
export class HealthController {
  @Get()
  health(): { status: string } {
    return { status: 'ok' };
  }
}

/** The process's metrics in the Prometheus text format: open like /health, and not rate limited. */
@Public()
@Controller('metrics')
export class MetricsController {
  @Get()
  @Header('content-type', METRICS_CONTENT_TYPE)
  metrics(): Promise<string> {
    return renderMetrics();
  }
}
