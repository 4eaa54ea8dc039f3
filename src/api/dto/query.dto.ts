import { Transform, Type } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { isoDay } from '../../domain/valid-time';
import { IsIsoInstant, parseIsoInstant } from './iso-instant';

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const DAY_MESSAGE = '$property must be a day written YYYY-MM-DD';

const INSTANT_MESSAGE = '$property must be an ISO 8601 instant with a time, e.g. 2026-01-01T00:00:00Z (basic 20260101T000000Z, week 2025-W01-4T00:00Z and ordinal 2026-001T00:00Z forms too; no offset means UTC)';

/** The service's clock alone: what it said at an instant. */
export class KnownAtDto {
  /** What the service said at this instant: ISO 8601 with a time, e.g. 2026-01-01T00:00:00Z (basic, week and ordinal forms too; no offset is UTC). */
  @IsOptional()
  @IsIsoInstant({ message: INSTANT_MESSAGE })
  knownAt?: string;

  knownAtDate(): Date | undefined {
    return this.knownAt === undefined ? undefined : parseIsoInstant(this.knownAt);
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
  /** Kept for existing clients; `cursor` costs the same at any depth. */
  @IsOptional() @Type(() => Number) @IsInt() @Min(0) @Max(MAX_OFFSET) offset: number = 0;
  /** The nextCursor of the previous page. */
  @IsOptional() @IsString() @MaxLength(400) @Matches(/^[A-Za-z0-9_-]+$/, { message: '$property must be a nextCursor this service gave' }) cursor?: string;
}

/** A figure in a list (GET /figures, the timeline's figures) shows at most this many claimants' claims; its own answer shows them all. */
export const LIST_CLAIMS = { default: 10, max: 100 } as const;

/** GET /figures: a page of figures, each with at most `claimsLimit` claims (the spread's two ends always among them). */
export class FiguresPageDto extends PageDto {
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(LIST_CLAIMS.max) claimsLimit: number = LIST_CLAIMS.default;
}

/** A page of a figure's history holds at most this many claims (each with its record of corrections, retractions, ranks). */
export const HISTORY_PAGE = { default: 20, max: 500 } as const;

const HISTORY_CURSOR_MESSAGE = '$property must be a historyNext this service gave';

/** GET /figures/:id: the figure as of the clocks, with the first page of its history. */
export class FigureQueryDto extends ClocksDto {
  /** How many claims the first page of the history holds; `historyNext` (and a Link rel="next") pages the rest. */
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(HISTORY_PAGE.max) historyLimit: number = HISTORY_PAGE.default;
}

/** GET /figures/:id/history: a page of the history, after the cursor the previous page gave. */
export class HistoryQueryDto extends ClocksDto {
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(HISTORY_PAGE.max) limit: number = HISTORY_PAGE.default;
  /** The historyNext of the previous page (opaque). */
  @IsOptional() @IsString() @MaxLength(1000) @Matches(/^[A-Za-z0-9_-]+$/, { message: HISTORY_CURSOR_MESSAGE }) cursor?: string;
}
