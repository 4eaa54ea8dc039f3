import { Type } from 'class-transformer';
import { IsIn, IsNotEmpty, IsOptional, IsString, Matches, ValidateNested } from 'class-validator';
import { ENTITY_TYPES, type EntityType } from '../../domain/fact/fact.events';

/** Shape only: the rules (valid days, lengths, URL schemes) live in the domain's decide. */
const PARTIAL_DATE = /^\d{4}(-\d{2}(-\d{2})?)?$/;
const DATE_MESSAGE = '$property must be a date written YYYY, YYYY-MM or YYYY-MM-DD';

export class SourceDto {
  @IsString() @IsNotEmpty() publisher!: string;
  @IsString() @IsNotEmpty() title!: string;
  @IsString() @IsNotEmpty() url!: string;
  @IsString() @Matches(PARTIAL_DATE, { message: DATE_MESSAGE }) publishedOn!: string;
  @IsOptional() @IsString() quote?: string;
}

export class EntityDto {
  @IsIn(ENTITY_TYPES) type!: EntityType;
  @IsString() @IsNotEmpty() name!: string;
}

export class PeriodDto {
  @IsString() @Matches(PARTIAL_DATE, { message: DATE_MESSAGE }) from!: string;
  @IsOptional() @IsString() @Matches(PARTIAL_DATE, { message: DATE_MESSAGE }) to?: string;
}

/** Either `at` (something that happened) or `from` with an optional `to` (a state that held). */
export class ValidTimeDto {
  @IsOptional() @IsString() @Matches(PARTIAL_DATE, { message: DATE_MESSAGE }) at?: string;
  @IsOptional() @IsString() @Matches(PARTIAL_DATE, { message: DATE_MESSAGE }) from?: string;
  @IsOptional() @IsString() @Matches(PARTIAL_DATE, { message: DATE_MESSAGE }) to?: string;
}

/** Corrections and retractions change the record: they say why. */
export class ReasonDto {
  @IsString() @IsNotEmpty() reason!: string;
}

export const nested = <T>(type: () => new () => T) => [ValidateNested(), Type(type)] as const;

/** Drops keys whose value is undefined, so DTOs map to JSON-safe domain commands. */
export function defined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
