import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsIn, IsInt, IsOptional, IsString, IsUrl, Matches, Max, MaxLength, Min, ValidateIf, ValidateNested, type ValidationOptions } from 'class-validator';
import { IsRecordId } from '../api/dto/common.dto';
import { MAX_MARKS, SubjectMarkDto, subjectMarksOf, SUBJECTS_PROPERTY } from '../api/dto/subject-mark.dto';
import type { SubjectMark } from '../event-store/subject-seal';
import { RequestValidationError } from '../api/problem';
import { isoDay } from '../domain/valid-time';
import { QUESTION_KINDS, type Question } from './question';

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const DAY_MESSAGE = '$property must be a day written YYYY-MM-DD';
const SEQUENCE = /^\d{1,19}$/;

/** The world's day a question is asked as of; no knownAt: views and watches follow the record as it is now. */
export class ViewClocksDto {
  @IsOptional() @Matches(DAY, { message: DAY_MESSAGE }) asOf?: string;
}

/** The timeline's filters, as GET /timeline takes them (its first page). */
export class TimelineViewDto extends ViewClocksDto {
  @IsOptional() @Matches(DAY, { message: DAY_MESSAGE }) from?: string;
  @IsOptional() @Matches(DAY, { message: DAY_MESSAGE }) to?: string;
  @IsOptional() @IsString() @MaxLength(100) tag?: string;
  @IsOptional() @IsString() @MaxLength(200) entity?: string;
  @IsOptional() @IsString() @MaxLength(200) text?: string;
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(500) limit: number = 50;
}

/**
 * Optional, but not nullable: class-validator's IsOptional lets `null` through unchecked, and a
 * `"tag": null` then reached the question as a tag (a 500 when the index lowercased it). Absent is
 * absent; any other value, null included, meets the field's rules.
 */
const Absent = (options?: ValidationOptions) => ValidateIf((_: unknown, value: unknown) => value !== undefined, options);

const TIMELINE_ONLY = ['tag', 'entity', 'text', 'from', 'to', 'limit'] as const;

/**
 * What a watch's `subjects` may mark: its title, and the question's free-text filters (`text`, `tag`,
 * `entity`). Marked, they are stored sealed and opened where the engine asks the question
 * (question-seal.ts); an `entity` naming a person the key store knows is sealed without a mark
 * (docs/erasure.md, "A watch's question").
 */
export const WATCH_TEXT = ['/title', '/text', '/tag', '/entity'];

/**
 * A watch: which question (kind and its id or filters, asOf), an optional title, and an optional
 * webhook to deliver its notices to (signed with a secret shown once, in the answer to this request).
 */
export class CreateWatchDto {
  @IsIn(QUESTION_KINDS) kind!: Question['kind'];
  @ValidateIf((o: CreateWatchDto) => o.kind === 'figure' || o.figureId !== undefined) @IsString() @IsRecordId() figureId?: string;
  @ValidateIf((o: CreateWatchDto) => o.kind === 'fact' || o.factId !== undefined) @IsString() @IsRecordId() factId?: string;
  @Absent() @Matches(DAY, { message: DAY_MESSAGE }) asOf?: string;
  @Absent() @Matches(DAY, { message: DAY_MESSAGE }) from?: string;
  @Absent() @Matches(DAY, { message: DAY_MESSAGE }) to?: string;
  @Absent() @IsString() @MaxLength(100) tag?: string;
  @Absent() @IsString() @MaxLength(200) entity?: string;
  @Absent() @IsString() @MaxLength(200) text?: string;
  @Absent() @IsInt() @Min(1) @Max(500) limit?: number;
  @Absent() @IsString() @MaxLength(200) title?: string;
  /** Where to POST each notice (http or https). */
  @Absent()
  @IsString()
  @MaxLength(2000)
  @IsUrl({ protocols: ['http', 'https'], require_protocol: true, require_tld: false }, { message: '$property must be an http or https URL' })
  webhookUrl?: string;
  @ApiPropertyOptional(SUBJECTS_PROPERTY) @IsOptional() @IsArray() @ArrayMaxSize(MAX_MARKS) @ValidateNested({ each: true }) @Type(() => SubjectMarkDto) subjects?: SubjectMarkDto[];

  /** The body's marks, checked against it as a fact's are (a 400 naming each bad one). */
  marks(): SubjectMark[] {
    return subjectMarksOf(this, this.subjects, WATCH_TEXT);
  }

  /** The body as the seal checks it: every field sent but the marks (a marked text must stand nowhere else in clear). */
  fields(): Record<string, unknown> {
    return Object.fromEntries(Object.entries(this).filter(([key, value]) => key !== 'subjects' && value !== undefined));
  }

  toQuestion(): Question {
    const extra = (fields: readonly (keyof CreateWatchDto)[]) => {
      const given = fields.filter((f) => this[f] !== undefined);
      if (given.length > 0) throw new RequestValidationError(given.map((field) => ({ field, reason: `does not apply to a ${this.kind} watch` })));
    };
    const asOf = this.asOf === undefined ? {} : { asOf: isoDay(this.asOf, 'asOf') };
    switch (this.kind) {
      case 'figure':
        extra(['factId', ...TIMELINE_ONLY]);
        return { kind: 'figure', figureId: this.figureId as string, ...asOf };
      case 'fact':
        extra(['figureId', ...TIMELINE_ONLY]);
        return { kind: 'fact', factId: this.factId as string, ...asOf };
      case 'timeline':
        extra(['figureId', 'factId']);
        return timelineQuestion({ ...this, limit: this.limit ?? 50 });
    }
  }
}

export function timelineQuestion(filters: Omit<TimelineViewDto, 'limit'> & { limit: number }): Question {
  const question: Record<string, unknown> = { kind: 'timeline' };
  for (const key of ['asOf', 'tag', 'entity', 'text', 'from', 'to'] as const) {
    const value = filters[key];
    if (value !== undefined) question[key] = key === 'asOf' || key === 'from' || key === 'to' ? isoDay(value, key) : value;
  }
  question.limit = filters.limit;
  return question as unknown as Question;
}

/** GET /watches: a page, oldest first, as the API's other lists page (README "Paging"). */
export class WatchesQueryDto {
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(500) limit: number = 50;
  /** The nextCursor of the previous page. */
  @IsOptional() @IsString() @MaxLength(400) @Matches(/^[A-Za-z0-9_-]+$/, { message: '$property must be a nextCursor this service gave' }) cursor?: string;
}

export class NoticesQueryDto {
  /** Notices after this sequence number (a notice's `sequence`); absent: the latest ones. */
  @IsOptional() @Matches(SEQUENCE, { message: '$property must be a notice sequence number' }) after?: string;
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(500) limit: number = 50;
}

/** The stream of every watch's notices, or of these watches only (the page follows its own). */
export class NoticeStreamQueryDto extends NoticesQueryDto {
  /** Comma-separated watch ids, at most 100. */
  @IsOptional() @IsString() @MaxLength(4000) @Matches(/^[0-9a-f-]{1,64}(,[0-9a-f-]{1,64}){0,99}$/, { message: '$property must be up to 100 watch ids, comma-separated' }) watches?: string;
}

/** Last-Event-ID or `after` of a stream: a whole number, checked before the stream opens. */
export function sequenceOrPosition(value: string | undefined, field: string): bigint | undefined {
  if (value === undefined || value === '') return undefined;
  if (!SEQUENCE.test(value) || BigInt(value) > 2n ** 63n - 1n) {
    throw new RequestValidationError([{ field, reason: 'must be a whole number from 0 to 9223372036854775807' }]);
  }
  return BigInt(value);
}
