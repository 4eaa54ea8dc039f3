import { IsIn, IsNotEmpty, IsOptional, IsString, Matches } from 'class-validator';
import { CONFIDENCE_LEVELS, type ConfidenceLevel } from '../../domain/confidence';
import { DATE_NOTATION } from '../../domain/edtf';
import { ENTITY_TYPES, type EntityType } from '../../domain/fact/fact.events';
import { ID_PATTERN } from '../../domain/ids';

/** Shape only: the rules (valid days, windows, lengths, URL schemes) live in the domain's decide (edtf.ts). */
const DATE_TEXT = /^(\d{4}(-\d{2}(-\d{2})?)?|\[[\d.,-]+\])$/;
const PERIOD_END = /^(\d{4}(-\d{2}(-\d{2})?)?|\[[\d.,-]+\]|\.\.|)$/;

/** A date with the precision it was given (YYYY, YYYY-MM, YYYY-MM-DD) or an EDTF window ('[2017-06-30..2017-07-28]'). */
export const IsPartialDate = () => Matches(DATE_TEXT, { message: `$property must be a date written ${DATE_NOTATION}` });

/** A period's end: a date as above, '..' (open: from before anything known, or still holding) or '' (unknown). */
export const IsPeriodEnd = () =>
  Matches(PERIOD_END, { message: `$property must be a date written ${DATE_NOTATION}, '..' (open) or '' (unknown)` });

/** A client-chosen id of a fact, figure or claim (the domain's ID_PATTERN). */
export const IsRecordId = () => Matches(ID_PATTERN, { message: '$property must be 1-80 lower-case letters, digits or dashes' });

/** `publisher` is who reported it (the outlet); a page without a date gives `accessedOn` instead of `publishedOn`. */
export class SourceDto {
  @IsString() @IsNotEmpty() publisher!: string;
  @IsString() @IsNotEmpty() title!: string;
  @IsString() @IsNotEmpty() url!: string;
  @IsOptional() @IsString() @IsPartialDate() publishedOn?: string;
  @IsOptional() @IsString() @IsPartialDate() accessedOn?: string;
  /** A copy that outlives the page, e.g. a web archive URL. */
  @IsOptional() @IsString() @IsNotEmpty() archivedUrl?: string;
  @IsOptional() @IsString() quote?: string;
}

/** high / medium / low, the grade in the source's own scheme if any (confirmed, fair, weak…), and why. */
export class ConfidenceDto {
  @IsIn(CONFIDENCE_LEVELS) level!: ConfidenceLevel;
  @IsOptional() @IsString() sourceGrade?: string;
  @IsOptional() @IsString() note?: string;
}

export class EntityDto {
  @IsIn(ENTITY_TYPES) type!: EntityType;
  @IsString() @IsNotEmpty() name!: string;
}

/** `to` absent or '..': it still holds; `to: ''`: it ended, we do not know when. `from: '..'`: open start. */
export class PeriodDto {
  @IsString() @IsPeriodEnd() from!: string;
  @IsOptional() @IsString() @IsPeriodEnd() to?: string;
}

/** Either `at` (something that happened) or `from` with an optional `to` (a state that held). */
export class ValidTimeDto {
  @IsOptional() @IsString() @IsPartialDate() at?: string;
  @IsOptional() @IsString() @IsPeriodEnd() from?: string;
  @IsOptional() @IsString() @IsPeriodEnd() to?: string;
}

/** Corrections and retractions change the record: they say why. */
export class ReasonDto {
  @IsString() @IsNotEmpty() reason!: string;
}

/** Drops keys whose value is undefined, so DTOs map to JSON-safe domain commands. */
export function defined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
