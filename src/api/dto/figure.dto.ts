import { Type } from 'class-transformer';
import { IsArray, IsIn, IsNotEmpty, IsNumber, IsObject, IsOptional, IsString, ValidateNested } from 'class-validator';
import type { AssertClaim, CorrectClaim, DefineFigure } from '../../domain/figure/figure';
import { CLAIM_QUALIFIERS, type ClaimQualifier, type ClaimValue } from '../../domain/figure/figure.events';
import { defined, IsPartialDate, IsRecordId, PeriodDto, ReasonDto, SourceDto } from './common.dto';

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

/** `exact` takes value; `range` takes min and max; `bound` takes value and qualifier (at_least, almost…). */
export class ClaimValueDto {
  @IsIn(['exact', 'range', 'bound']) kind!: ClaimValue['kind'];
  @IsOptional() @IsNumber({ allowNaN: false, allowInfinity: false }) value?: number;
  @IsOptional() @IsNumber({ allowNaN: false, allowInfinity: false }) min?: number;
  @IsOptional() @IsNumber({ allowNaN: false, allowInfinity: false }) max?: number;
  @IsOptional() @IsIn(CLAIM_QUALIFIERS) qualifier?: ClaimQualifier;
}

export class AssertClaimDto {
  @IsOptional() @IsString() @IsRecordId() id?: string;
  @IsString() @IsNotEmpty() claimant!: string;
  @IsObject() @ValidateNested() @Type(() => ClaimValueDto) value!: ClaimValueDto;
  @IsString() @IsPartialDate() assertedOn!: string;
  @IsOptional() @ValidateNested() @Type(() => PeriodDto) period?: PeriodDto;
  @IsObject() @ValidateNested() @Type(() => SourceDto) source!: SourceDto;

  toCommand(figureId: string, claimId: string): AssertClaim {
    return defined({
      type: 'AssertClaim' as const,
      figureId,
      claimId,
      claimant: this.claimant,
      value: defined({ ...this.value }) as ClaimValue,
      assertedOn: this.assertedOn,
      period: this.period && defined({ ...this.period }),
      source: defined({ ...this.source }),
    });
  }
}

export class ClaimChangesDto {
  @IsOptional() @IsString() @IsNotEmpty() claimant?: string;
  @IsOptional() @ValidateNested() @Type(() => ClaimValueDto) value?: ClaimValueDto;
  @IsOptional() @IsString() @IsPartialDate() assertedOn?: string;
  @IsOptional() @ValidateNested() @Type(() => PeriodDto) period?: PeriodDto;
  @IsOptional() @ValidateNested() @Type(() => SourceDto) source?: SourceDto;
}

export class CorrectClaimDto extends ReasonDto {
  @IsObject() @ValidateNested() @Type(() => ClaimChangesDto) changes!: ClaimChangesDto;

  toCommand(figureId: string, claimId: string): CorrectClaim {
    const c = this.changes;
    return {
      type: 'CorrectClaim',
      figureId,
      claimId,
      changes: defined({
        claimant: c.claimant,
        value: c.value && (defined({ ...c.value }) as ClaimValue),
        assertedOn: c.assertedOn,
        period: c.period && defined({ ...c.period }),
        source: c.source && defined({ ...c.source }),
      }),
    };
  }
}
