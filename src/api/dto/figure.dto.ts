import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsIn, IsNotEmpty, IsNumber, IsObject, IsOptional, IsString, ValidateNested } from 'class-validator';
import type { AssertClaim, CorrectClaim, DefineFigure } from '../../domain/figure/figure';
import { CLAIM_QUALIFIERS, CLAIM_RANKS, type ClaimQualifier, type ClaimRankValue, type ClaimValue } from '../../domain/figure/figure.events';
import { ENTITY_TYPES, type EntityType } from '../../domain/fact/fact.events';
import type { SubjectMark } from '../../event-store/subject-seal';
import { ConfidenceDto, defined, IsPartialDate, IsRecordId, PeriodDto, ReasonDto, SourceDto } from './common.dto';
import { CLAIM_TEXT, FIGURE_TEXT, MAX_MARKS, SubjectMarkDto, subjectMarksOf, SUBJECTS_PROPERTY } from './subject-mark.dto';

/** One `source`, as older clients send it, is stored as a list of one: its marks point there. */
const sourceAsList = (path: string) => path.replace(/^(\/changes)?\/source\//, '$1/sources/0/');

export class ScopeDto {
  @IsArray() @IsString({ each: true }) places!: string[];
  @IsOptional() @ValidateNested() @Type(() => PeriodDto) period?: PeriodDto;
}

export class DefineFigureDto {
  @IsOptional() @IsString() @IsRecordId() id?: string;
  @IsString() @IsNotEmpty() name!: string;
  @IsString() @IsNotEmpty() unit!: string;
  @IsOptional() @IsString() description?: string;
  @IsObject() @ValidateNested() @Type(() => ScopeDto) scope!: ScopeDto;
  /** Values or passages of this body that belong to a subject (docs/erasure.md). */
  @ApiPropertyOptional(SUBJECTS_PROPERTY) @IsOptional() @IsArray() @ArrayMaxSize(MAX_MARKS) @ValidateNested({ each: true }) @Type(() => SubjectMarkDto) subjects?: SubjectMarkDto[];

  marks(): SubjectMark[] {
    return subjectMarksOf(this, this.subjects, FIGURE_TEXT);
  }

  toCommand(figureId: string): DefineFigure {
    return defined({
      type: 'DefineFigure' as const,
      figureId,
      name: this.name,
      unit: this.unit,
      description: this.description,
      scope: defined({ places: this.scope.places, period: this.scope.period && defined({ ...this.scope.period }) }),
    });
  }
}

/**
 * `exact` takes value; `range` takes min and max, and may take a qualifier; `bound` takes value and
 * qualifier (at_least, almost…). A key the kind does not take is refused by the domain, not dropped.
 */
export class ClaimValueDto {
  @IsIn(['exact', 'range', 'bound']) kind!: ClaimValue['kind'];
  @IsOptional() @IsNumber({ allowNaN: false, allowInfinity: false }) value?: number;
  @IsOptional() @IsNumber({ allowNaN: false, allowInfinity: false }) min?: number;
  @IsOptional() @IsNumber({ allowNaN: false, allowInfinity: false }) max?: number;
  @IsOptional() @IsIn(CLAIM_QUALIFIERS) qualifier?: ClaimQualifier;
}

/** preferred / normal / deprecated; a deprecation says why. */
export class RankDto {
  @IsIn(CLAIM_RANKS) value!: ClaimRankValue;
  @IsOptional() @IsString() reason?: string;
}

/** POST …/rank: the reason is both the rank's reason and the change's, in the event metadata. */
export class RankClaimDto extends ReasonDto {
  @IsIn(CLAIM_RANKS) value!: ClaimRankValue;
}

export class AssertClaimDto {
  @IsOptional() @IsString() @IsRecordId() id?: string;
  /** The party that made the claim; who reported it is each source's publisher. */
  @IsString() @IsNotEmpty() claimant!: string;
  /** What the claimant is; a `person` claimant is sealed as the subject of its name, like a person entity. */
  @IsOptional() @IsIn(ENTITY_TYPES) claimantType?: EntityType;
  @IsObject() @ValidateNested() @Type(() => ClaimValueDto) value!: ClaimValueDto;
  @IsString() @IsPartialDate() assertedOn!: string;
  @IsOptional() @ValidateNested() @Type(() => PeriodDto) period?: PeriodDto;
  @IsOptional() @IsArray() @ValidateNested({ each: true }) @Type(() => SourceDto) sources?: SourceDto[];
  /** One source, as clients sent it before `sources`: stored as a list of one. */
  @IsOptional() @IsObject() @ValidateNested() @Type(() => SourceDto) source?: SourceDto;
  @IsOptional() @ValidateNested() @Type(() => ConfidenceDto) confidence?: ConfidenceDto;
  /** For a number derived from other claims of this figure: their ids. */
  @IsOptional() @IsArray() @IsString({ each: true }) inferredFrom?: string[];
  @IsOptional() @ValidateNested() @Type(() => RankDto) rank?: RankDto;
  /** Values or passages of this body that belong to a subject (docs/erasure.md). */
  @ApiPropertyOptional(SUBJECTS_PROPERTY) @IsOptional() @IsArray() @ArrayMaxSize(MAX_MARKS) @ValidateNested({ each: true }) @Type(() => SubjectMarkDto) subjects?: SubjectMarkDto[];

  marks(): SubjectMark[] {
    return subjectMarksOf(this, this.subjects, CLAIM_TEXT, '', sourceAsList);
  }

  toCommand(figureId: string, claimId: string): AssertClaim {
    return defined({
      type: 'AssertClaim' as const,
      figureId,
      claimId,
      claimant: this.claimant,
      claimantType: this.claimantType,
      value: defined({ ...this.value }) as ClaimValue,
      assertedOn: this.assertedOn,
      period: this.period && defined({ ...this.period }),
      sources: this.sources?.map((s) => defined({ ...s })),
      source: this.source && defined({ ...this.source }),
      confidence: this.confidence && defined({ ...this.confidence }),
      inferredFrom: this.inferredFrom,
      rank: this.rank && defined({ ...this.rank }),
    });
  }
}

export class ClaimChangesDto {
  @IsOptional() @IsString() @IsNotEmpty() claimant?: string;
  @IsOptional() @IsIn(ENTITY_TYPES) claimantType?: EntityType;
  @IsOptional() @ValidateNested() @Type(() => ClaimValueDto) value?: ClaimValueDto;
  @IsOptional() @IsString() @IsPartialDate() assertedOn?: string;
  @IsOptional() @ValidateNested() @Type(() => PeriodDto) period?: PeriodDto;
  @IsOptional() @ValidateNested() @Type(() => SourceDto) source?: SourceDto;
  @IsOptional() @IsArray() @ValidateNested({ each: true }) @Type(() => SourceDto) sources?: SourceDto[];
  @IsOptional() @ValidateNested() @Type(() => ConfidenceDto) confidence?: ConfidenceDto;
  @IsOptional() @IsArray() @IsString({ each: true }) inferredFrom?: string[];
}

export class CorrectClaimDto extends ReasonDto {
  @IsObject() @ValidateNested() @Type(() => ClaimChangesDto) changes!: ClaimChangesDto;
  /** Values or passages of the changes that belong to a subject: paths such as `/changes/sources/0/quote`. */
  @ApiPropertyOptional(SUBJECTS_PROPERTY) @IsOptional() @IsArray() @ArrayMaxSize(MAX_MARKS) @ValidateNested({ each: true }) @Type(() => SubjectMarkDto) subjects?: SubjectMarkDto[];

  marks(): SubjectMark[] {
    return subjectMarksOf(this, this.subjects, CLAIM_TEXT, '/changes', sourceAsList);
  }

  toCommand(figureId: string, claimId: string): CorrectClaim {
    const c = this.changes;
    return {
      type: 'CorrectClaim',
      figureId,
      claimId,
      changes: defined({
        claimant: c.claimant,
        claimantType: c.claimantType,
        value: c.value && (defined({ ...c.value }) as ClaimValue),
        assertedOn: c.assertedOn,
        period: c.period && defined({ ...c.period }),
        source: c.source && defined({ ...c.source }),
        sources: c.sources?.map((s) => defined({ ...s })),
        confidence: c.confidence && defined({ ...c.confidence }),
        inferredFrom: c.inferredFrom,
      }),
    };
  }
}
