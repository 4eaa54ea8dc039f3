import { IsIn, IsNotEmpty, IsOptional, IsString, Matches, ValidateBy } from 'class-validator';
import { CONFIDENCE_LEVELS, type ConfidenceLevel } from '../../domain/confidence';
import { DATE_NOTATION, parseDate } from '../../domain/edtf';
import { DomainError } from '../../domain/errors';
import { OPEN, UNKNOWN, validatePeriod } from '../../domain/valid-time';
import { ENTITY_TYPES, type EntityType } from '../../domain/fact/fact.events';
import { ID_PATTERN } from '../../domain/ids';

/**
 * The date rules at the edge, so that a body's every error comes in one answer: each check is the
 * domain's own (edtf.ts, valid-time.ts), asked here too rather than written twice; decide asks it again.
 */
function domainReason(check: () => unknown): string | null {
  try {
    check();
    return null;
  } catch (error) {
    if (error instanceof DomainError) return error.message;
    throw error;
  }
}

const isPeriodMark = (value: unknown) => value === OPEN || value === UNKNOWN;

/** A date with the precision it was given (YYYY, YYYY-MM, YYYY-MM-DD) or an EDTF window ('[2017-06-30..2017-07-28]'), read by the domain's parser. */
export const IsPartialDate = () =>
  ValidateBy({
    name: 'isPartialDate',
    validator: {
      validate: (value) => domainReason(() => parseDate(value, 'date')) === null,
      defaultMessage: (args) => domainReason(() => parseDate(args?.value, args?.property ?? 'date')) ?? `${args?.property} must be a date written ${DATE_NOTATION}`,
    },
  });

/** A period's end: a date as above, '..' (open: from before anything known, or still holding) or '' (unknown). */
export const IsPeriodEnd = () =>
  ValidateBy({
    name: 'isPeriodEnd',
    validator: {
      validate: (value) => isPeriodMark(value) || domainReason(() => parseDate(value, 'date')) === null,
      defaultMessage: (args) => {
        const generic = `${args?.property} must be a date written ${DATE_NOTATION}, '..' (open) or '' (unknown)`;
        // A value that looks like a date is told which rule it breaks ('has no month 13'); anything else, what a period end may be.
        const looksLikeDate = typeof args?.value === 'string' && /^[[\d]/.test(args.value);
        return (looksLikeDate && domainReason(() => parseDate(args.value, args.property))) || generic;
      },
    },
  });

/** A period's `to` against its `from` (valid-time.ts's rule: it may not end before it starts, and needs a date at one end). */
export const IsAfterFrom = () =>
  ValidateBy({
    name: 'isAfterFrom',
    validator: {
      validate: (_value, args) => periodReason(args?.object) === null,
      defaultMessage: (args) => periodReason(args?.object) ?? '',
    },
  });

function periodReason(object: unknown): string | null {
  const { from, to } = (object ?? {}) as { from?: unknown; to?: unknown };
  // Each end's own rule is its own field's error: only a pair of readable ends is compared.
  const readable = (end: unknown) => isPeriodMark(end) || domainReason(() => parseDate(end, 'date')) === null;
  if (!readable(from) || !readable(to)) return null;
  return domainReason(() => validatePeriod({ from, to }, 'period'))?.replace(/^period\./, '').replace(/ period\./g, ' ') ?? null;
}

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
  @IsOptional() @IsString() @IsPeriodEnd() @IsAfterFrom() to?: string;
}

/** Either `at` (something that happened) or `from` with an optional `to` (a state that held). */
export class ValidTimeDto {
  @IsOptional() @IsString() @IsPartialDate() at?: string;
  @IsOptional() @IsString() @IsPeriodEnd() from?: string;
  @IsOptional() @IsString() @IsPeriodEnd() @IsAfterFrom() to?: string;
}

/** Corrections and retractions change the record: they say why. */
export class ReasonDto {
  @IsString() @IsNotEmpty() reason!: string;
}

/** Drops keys whose value is undefined, so DTOs map to JSON-safe domain commands. */
export function defined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
