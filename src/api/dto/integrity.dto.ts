import { Type } from 'class-transformer';
import { IsInt, IsOptional, Matches, Max, Min } from 'class-validator';
import { IsLogPosition } from './log-position';

const MAX_SIZE = Number.MAX_SAFE_INTEGER;

export class InclusionQueryDto {
  /** The event's id (a uuid); give this or position. */
  @IsOptional()
  @Matches(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, { message: '$property must be an event id (a uuid)' })
  eventId?: string;

  /** The event's position in the global log; give this or eventId. */
  @IsOptional()
  @IsLogPosition({ message: '$property must be a log position: a whole number from 0 to 9223372036854775807' })
  position?: string;

  /** The tree size the proof is for; defaults to the latest checkpoint's. */
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(MAX_SIZE) treeSize?: number;
}

export class ConsistencyQueryDto {
  /** The size of the checkpoint you kept. */
  @Type(() => Number) @IsInt() @Min(0) @Max(MAX_SIZE) from!: number;

  /** The newer size; defaults to the latest checkpoint's. */
  @IsOptional() @Type(() => Number) @IsInt() @Min(0) @Max(MAX_SIZE) to?: number;
}
