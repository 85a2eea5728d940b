import { IsIn, IsObject, IsString, Length } from 'class-validator';
import { SAVED_QUERY_PATHS, type SavedQueryPath } from './saved-queries.store';

/** `POST /tenants/:t/saved-queries`: `params` are then validated by the DTO of the listing `path` names. */
export class SaveQueryDto {
  @IsString() @Length(1, 100) name!: string;
  @IsIn(SAVED_QUERY_PATHS, { message: `path must be one of ${SAVED_QUERY_PATHS.join(', ')}` }) path!: SavedQueryPath;
  @IsObject() params!: Record<string, unknown>;
}
