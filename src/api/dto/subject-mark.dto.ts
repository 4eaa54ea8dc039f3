import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsNotEmpty, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { parsePointer, valueAt } from '../../domain/json-pointer';
import type { SubjectMark } from '../../event-store/subject-seal';
import { RequestValidationError, type FieldError } from '../problem';

/** Marks one write may carry. */
export const MAX_MARKS = 100;

/** The `subjects` property of a write DTO, as OpenAPI shows it. */
export const SUBJECTS_PROPERTY = {
  type: () => [SubjectMarkDto],
  maxItems: MAX_MARKS,
  description:
    'personal data besides persons\' names: each mark says that the text at `path` of this body (or only `passage` of it) belongs to `subject`, ' +
    'and is sealed with that subject\'s key before the write is hashed; once the subject is erased it reads [erased on D] (docs/erasure.md)',
};

/**
 * A write's mark: the text at `path` in this body, or only `passage` of it, is personal data of
 * `subject`, sealed with that subject's key before the event is hashed and shown as `[erased on D]`
 * once the subject is erased (docs/erasure.md). Persons' entity names are marked without asking.
 */
export class SubjectMarkDto {
  /** Whose it is: a person's name (the same subject as a person entity of that name) or a subject id this service gave (`s…`). */
  @ApiProperty({ description: "whose it is: a person's name (the same subject as a person entity of that name) or a subject id this service gave (s…)", example: 'Amina Yusuf' })
  @IsString() @IsNotEmpty() @MaxLength(300) subject!: string;
  /** An RFC 6901 JSON pointer to a text value of this body, such as `/summary`, `/sources/0/quote` or `/changes/summary`. */
  @ApiProperty({ description: 'an RFC 6901 JSON pointer to a text value of this body: /summary, /sources/0/quote, /changes/summary…', example: '/summary' })
  @IsString() @Matches(/^(\/[^/]*)+$/, { message: '$property must be a JSON pointer such as /summary or /sources/0/quote' }) @MaxLength(200) path!: string;
  /** The exact text to seal inside that value, every place it occurs; absent: the whole value. */
  @ApiPropertyOptional({ description: 'the exact text to seal inside that value, every place it occurs; absent: the whole value', example: 'Amina Yusuf' })
  @IsOptional() @IsString() @IsNotEmpty() @MaxLength(5000) passage?: string;
}

/**
 * Body paths that hold free text a mark may seal (N: an index); anything else (dates, ids, kinds,
 * numbers) must stay readable for answers to be computed on it, and so cannot be marked.
 */
const SOURCE_TEXT = '(publisher|title|quote|url|archivedUrl)';
const CONFIDENCE_TEXT = '/confidence/(note|sourceGrade)';
export const FACT_TEXT = ['/title', '/summary', '/tags/N', '/entities/N/name', `/sources/N/${SOURCE_TEXT}`, CONFIDENCE_TEXT];
export const FIGURE_TEXT = ['/name', '/description', '/scope/places/N'];
export const CLAIM_TEXT = ['/claimant', `/sources/N/${SOURCE_TEXT}`, `/source/${SOURCE_TEXT}`, CONFIDENCE_TEXT];
export const SOURCE_FIELDS_TEXT = [`/${SOURCE_TEXT}`];

/** What a body path is in the event: the same path, but for the rewrites a DTO makes (one `source` stored as a list of one). */
export type ToEventPath = (bodyPath: string) => string;

/**
 * The body's marks checked against the body itself and turned into the seal's marks: each path
 * names a markable text value the body holds, each passage occurs in it. Every bad mark is named
 * in one 400 (`subjects[1].path`), before anything is decided or written.
 */
export function subjectMarksOf(
  body: object,
  subjects: readonly SubjectMarkDto[] | undefined,
  markable: readonly string[],
  prefix = '',
  toEventPath: ToEventPath = (path) => path,
): SubjectMark[] {
  if (!subjects?.length) return [];
  const allowed = new RegExp(`^${prefix}(${markable.map((m) => m.replace(/\/N(?=\/|$)/g, '/(0|[1-9]\\d*)')).join('|')})$`);
  const errors: FieldError[] = [];
  const marks = subjects.map((mark, i): SubjectMark | undefined => {
    const field = `subjects[${i}]`;
    if (!allowed.test(mark.path)) {
      errors.push({ field: `${field}.path`, reason: `${field}.path must point to a text value that can be marked: ${markable.map((m) => prefix + m).join(', ')}` });
      return undefined;
    }
    const value = valueAt(body, parsePointer(mark.path, `${field}.path`));
    if (typeof value !== 'string') {
      errors.push({ field: `${field}.path`, reason: `${field}.path ${mark.path} names no text value of this body` });
      return undefined;
    }
    if (mark.passage !== undefined && !value.includes(mark.passage)) {
      errors.push({ field: `${field}.passage`, reason: `${field}.passage does not occur in ${mark.path} (give the exact text, as written there)` });
      return undefined;
    }
    return { subject: mark.subject.trim(), path: toEventPath(mark.path), field, text: mark.passage ?? value, ...(mark.passage === undefined ? {} : { passage: mark.passage }) };
  });
  if (errors.length > 0) throw new RequestValidationError(errors);
  return marks as SubjectMark[];
}
