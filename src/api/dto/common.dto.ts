import { IsIn, IsNotEmpty, IsOptional, IsString, Matches } from 'class-validator';
import { ENTITY_TYPES, type EntityType } from '../../domain/fact/fact.events';
import { ID_PATTERN } from '../../domain/ids';

/** Shape only: the rules (valid days, lengths, URL schemes) live in the domain's decide. */
const PARTIAL_DATE = /^\d{4}(-\d{2}(-\d{2})?)?$/;
const DATE_MESSAGE = '$property must be a date written YYYY, YYYY-MM or YYYY-MM-DD';

/** A date with the precision it was given: YYYY, YYYY-MM or YYYY-MM-DD. */
export const IsPartialDate = () => Matches(PARTIAL_DATE, { message: DATE_MESSAGE });

/** A client-chosen id of a fact, figure or claim (the domain's ID_PATTERN). */
export const IsRecordId = () => Matches(ID_PATTERN, { message: '$property must be 1-80 lower-case letters, digits or dashes' });

export class SourceDto {
  @IsString() @IsNotEmpty() publisher!: string;
  @IsString() @IsNotEmpty() title!: string;
  @IsString() @IsNotEmpty() url!: string;
  @IsString() @IsPartialDate() publishedOn!: string;
  @IsOptional() @IsString() quote?: string;
}

export class EntityDto {
  @IsIn(ENTITY_TYPES) type!: EntityType;
  @IsString() @IsNotEmpty() name!: string;
}

export class PeriodDto {
  @IsString() @IsPartialDate() from!: string;
  @IsOptional() @IsString() @IsPartialDate() to?: string;
}

/** Either `at` (something that happened) or `from` with an optional `to` (a state that held). */
export class ValidTimeDto {
  @IsOptional() @IsString() @IsPartialDate() at?: string;
  @IsOptional() @IsString() @IsPartialDate() from?: string;
  @IsOptional() @IsString() @IsPartialDate() to?: string;
}

/** Corrections and retractions change the record: they say why. */
export class ReasonDto {
  @IsString() @IsNotEmpty() reason!: string;
}

/** Drops keys whose value is undefined, so DTOs map to JSON-safe domain commands. */
export function defined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
