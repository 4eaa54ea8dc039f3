import { ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsNotEmpty, IsObject, IsOptional, IsString, ValidateNested } from 'class-validator';
import { Type } from 'class-transformer';
import type { CorrectFact, RecordFact } from '../../domain/fact/fact';
import type { ValidTime } from '../../domain/valid-time';
import type { SubjectMark } from '../../event-store/subject-seal';
import { ConfidenceDto, defined, EntityDto, IsRecordId, ReasonDto, SourceDto, ValidTimeDto } from './common.dto';
import { FACT_TEXT, MAX_MARKS, SOURCE_FIELDS_TEXT, SubjectMarkDto, subjectMarksOf, SUBJECTS_PROPERTY } from './subject-mark.dto';

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
  /** Personal data besides persons' names: values or passages of this body that belong to a subject (docs/erasure.md). */
  @ApiPropertyOptional(SUBJECTS_PROPERTY) @IsOptional() @IsArray() @ArrayMaxSize(MAX_MARKS) @ValidateNested({ each: true }) @Type(() => SubjectMarkDto) subjects?: SubjectMarkDto[];

  /** The marks, checked against this body (400 naming each bad one); paths are the event's too. */
  marks(): SubjectMark[] {
    return subjectMarksOf(this, this.subjects, FACT_TEXT);
  }

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
  /** Values or passages of the changes that belong to a subject: paths such as `/changes/summary` (docs/erasure.md). */
  @ApiPropertyOptional(SUBJECTS_PROPERTY) @IsOptional() @IsArray() @ArrayMaxSize(MAX_MARKS) @ValidateNested({ each: true }) @Type(() => SubjectMarkDto) subjects?: SubjectMarkDto[];

  marks(): SubjectMark[] {
    return subjectMarksOf(this, this.subjects, FACT_TEXT, '/changes');
  }

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

/** POST /facts/{id}/sources: the source, and the marks of its personal data (`/quote`). */
export class AddFactSourceDto extends SourceDto {
  @ApiPropertyOptional(SUBJECTS_PROPERTY) @IsOptional() @IsArray() @ArrayMaxSize(MAX_MARKS) @ValidateNested({ each: true }) @Type(() => SubjectMarkDto) subjects?: SubjectMarkDto[];

  /** The source's paths are the event's under `/source`. */
  marks(): SubjectMark[] {
    return subjectMarksOf(this, this.subjects, SOURCE_FIELDS_TEXT, '', (path) => `/source${path}`);
  }
}
