// A separate entry point: only the HTTP apps use it (not the workers nor the CLI), and even they load
// @nestjs/swagger only when a document is first asked for (./deferred-swagger).
export * from './openapi';
export {
  ApiBearerAuth,
  ApiBody,
  ApiConsumes,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiProperty,
  ApiPropertyOptional,
  ApiQuery,
  ApiResponse,
  ApiSecurity,
  ApiTags,
} from './deferred-swagger';
