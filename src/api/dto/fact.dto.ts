import { IsArray, IsNotEmpty, IsObject, IsOptional, IsString, ValidateNested } from 'class-validator';
import { Type } from 'class-transformer';
import type { CorrectFact, RecordFact } from '../../domain/fact/fact';
import type { ValidTime } from '../../domain/valid-time';
import { ConfidenceDto, defined, EntityDto, IsRecordId, ReasonDto, SourceDto, ValidTimeDto } from './common.dto';

export class RecordFactDto {
  /** Optional: a readable slug such as `centcom-votel-tenure`; a uuid is chosen when absent. */
  @IsOptional() @IsString() @IsRecordId() id?: string;
  @IsString() @IsNotEmpty() title!: string;
  @IsString() summary!: string;
  @IsArray() @IsString({ each: true }) tags!: string[];
  @IsArray() @ValidateNested({ each: true }) @Type(() => EntityDto) entities!: EntityDto[];
  @IsArray() @ValidateNested({ each: true }) @Type(() => SourceDto) sources!: SourceDto[];
  @IsObject() @ValidateNested() @Type(() => ValidTimeDto) validTime!: ValidTimeDto;
  @IsOptional() @ValidateNested() @Type(() => ConfidenceDto) confidence?: ConfidenceDto;

  toCommand(factId: string): RecordFact {
    return {
      type: 'RecordFact',
      ...(this.confidence ? { confidence: defined({ ...this.confidence }) } : {}),
      factId,
      title: this.title,
      summary: this.summary,
      tags: this.tags,
      entities: this.entities.map((e) => defined({ ...e })),
      sources: this.sources.map((s) => defined({ ...s })),
      validTime: defined({ ...this.validTime }) as ValidTime,
    };
  }
}

export class FactChangesDto {
  @IsOptional() @IsString() @IsNotEmpty() title?: string;
  @IsOptional() @IsString() summary?: string;
  @IsOptional() @IsArray() @IsString({ each: true }) tags?: string[];
  @IsOptional() @IsArray() @ValidateNested({ each: true }) @Type(() => EntityDto) entities?: EntityDto[];
  @IsOptional() @IsArray() @ValidateNested({ each: true }) @Type(() => SourceDto) sources?: SourceDto[];
  @IsOptional() @ValidateNested() @Type(() => ValidTimeDto) validTime?: ValidTimeDto;
  @IsOptional() @ValidateNested() @Type(() => ConfidenceDto) confidence?: ConfidenceDto;
}

export class CorrectFactDto extends ReasonDto {
  @IsObject() @ValidateNested() @Type(() => FactChangesDto) changes!: FactChangesDto;

  toCommand(factId: string): CorrectFact {
    const c = this.changes;
    return {
      type: 'CorrectFact',
      factId,
      changes: defined({
        title: c.title,
        summary: c.summary,
        tags: c.tags,
        entities: c.entities?.map((e) => defined({ ...e })),
        sources: c.sources?.map((s) => defined({ ...s })),
        validTime: c.validTime ? (defined({ ...c.validTime }) as ValidTime) : undefined,
        confidence: c.confidence && defined({ ...c.confidence }),
      }),
    };
  }
}
