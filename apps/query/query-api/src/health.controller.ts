import { Controller, Get } from '@nestjs/common';
import { Public } from './auth/public.decorator';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';

@Public()
@ApiTags('operations')
@Controller('health')
export class HealthController {
  @Get()
  @ApiOperation({ summary: 'Liveness: open, no key needed' })
  @ApiOkResponse({ description: '`{"status":"ok"}`' })
  health(): { status: string } {
    return { status: 'ok' };
  }
}
