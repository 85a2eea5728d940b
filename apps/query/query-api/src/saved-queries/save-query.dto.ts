import { IsIn, IsObject, IsString, Length } from 'class-validator';
import { SAVED_QUERY_PATHS, type SavedQueryPath } from './saved-queries.store';
import { ApiProperty } from '@hub/platform/openapi';

/** `POST /tenants/:t/saved-queries`: `params` are then validated by the DTO of the listing `path` names. */
export class SaveQueryDto {
  @ApiProperty({ type: String, minLength: 1, maxLength: 100 }) @IsString() @Length(1, 100) name!: string;
  @ApiProperty({ enum: SAVED_QUERY_PATHS })
  @IsIn(SAVED_QUERY_PATHS, { message: `path must be one of ${SAVED_QUERY_PATHS.join(', ')}` })
  path!: SavedQueryPath;
  @ApiProperty({ type: 'object', additionalProperties: true, description: "The listing's query parameters (no `cursor`, no `identity`)" })
  @IsObject()
  params!: Record<string, unknown>;
}
