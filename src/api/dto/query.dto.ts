import { Transform, Type } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsISO8601, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { isoDay } from '../../domain/valid-time';

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const DAY_MESSAGE = '$property must be a day written YYYY-MM-DD';

const INSTANT_MESSAGE = '$property must be an ISO 8601 instant with a time, e.g. 2026-01-01T00:00:00Z';

/** The service's clock alone: what it said at an instant. */
export class KnownAtDto {
  /** What the service said at this instant (ISO 8601 with a time, e.g. 2026-01-01T00:00:00Z). */
  @IsOptional()
  @IsISO8601({ strict: true, strictSeparator: true }, { message: INSTANT_MESSAGE })
  @Matches(/T/, { message: INSTANT_MESSAGE })
  knownAt?: string;

  knownAtDate(): Date | undefined {
    return this.knownAt === undefined ? undefined : new Date(this.knownAt);
  }
}

/** The two clocks a reader can set: the world's date and the service's instant. */
export class ClocksDto extends KnownAtDto {
  /** The world on this day: what had happened by then, what held then. */
  @IsOptional() @Matches(DAY, { message: DAY_MESSAGE }) asOf?: string;

  clocks(): { asOf?: string; knownAt?: Date } {
    return {
      asOf: this.asOf === undefined ? undefined : isoDay(this.asOf, 'asOf'),
      knownAt: this.knownAtDate(),
    };
  }
}

export class TimelineQueryDto extends ClocksDto {
  @IsOptional() @Matches(DAY, { message: DAY_MESSAGE }) from?: string;
  @IsOptional() @Matches(DAY, { message: DAY_MESSAGE }) to?: string;
  @IsOptional() @IsString() @MaxLength(100) tag?: string;
  @IsOptional() @IsString() @MaxLength(200) entity?: string;
  @IsOptional() @IsString() @MaxLength(200) text?: string;
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(500) limit: number = 50;
  /** The nextCursor of the previous page. */
  @IsOptional() @IsString() @MaxLength(400) @Matches(/^[A-Za-z0-9_-]+$/, { message: '$property must be a nextCursor this service gave' }) cursor?: string;
  @IsOptional() @IsIn(['asc', 'desc']) order?: 'asc' | 'desc';
  @IsOptional() @Transform(({ value }) => (value === 'true' ? true : value === 'false' ? false : value)) @IsBoolean() includeRetracted?: boolean;
}

/** Deeper pages are refused: an offset must also stay far inside what SQLite binds (a 64-bit integer). */
export const MAX_OFFSET = 1_000_000;

export class PageDto extends ClocksDto {
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(500) limit: number = 50;
  @IsOptional() @Type(() => Number) @IsInt() @Min(0) @Max(MAX_OFFSET) offset: number = 0;
}
