import { Controller, Get } from '@nestjs/common';
import { HealthController } from '@hub/platform';
import { Public } from './auth/public.decorator';

/**
 * Open probes: `GET /health/live`, `GET /health/ready` (PostgreSQL answers `select 1`, bounded) and
 * `GET /health`, the process serving (unchanged: 200 `{ status: 'ok' }`, read by the harnesses).
 */
@Public()
@Controller('health')
export class QueryHealthController extends HealthController {
  @Get()
  health(): { status: string } {
    return { status: 'ok' };
  }
}
