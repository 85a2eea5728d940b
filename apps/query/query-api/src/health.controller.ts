import { Controller, Get } from '@nestjs/common';
import { HealthController } from '@hub/platform';
import { Public } from './auth/public.decorator';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';

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
