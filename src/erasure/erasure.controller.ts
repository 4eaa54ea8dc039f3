import { Body, Controller, Get, HttpCode, Post } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsNotEmpty, IsString, Matches, MaxLength } from 'class-validator';
import { answerIn } from '../api/openapi-schema';
import type { WriteContext } from '../api/command-gateway';
import { Write } from '../api/write-context.decorator';
import { Role } from '../auth/role.decorator';
import { ErasureService } from './erasure.service';
import { WithholdingService } from './withholding.service';

export class EraseSubjectDto {
  /** The subject's opaque id, or the name it was recorded under (sent in the body, never in a URL that access logs keep). */
  @IsString() @IsNotEmpty() @MaxLength(1000) subject!: string;
  @IsString() @IsNotEmpty() @MaxLength(2000) reason!: string;
}

/** Erasure of a subject's personal data (docs/erasure.md): admin only. */
@ApiTags('admin')
@Role('admin')
@Controller('admin/subjects')
export class ErasureController {
  constructor(private readonly erasure: ErasureService) {}

  /** Destroys the subject's key and records a signed SubjectErased event; answers once no read model holds the plaintext. */
  @Post('erase')
  @HttpCode(200)
  @ApiOkResponse(answerIn({ 'application/json': { type: 'object', description: 'subject (opaque id), erasedAt, position of the SubjectErased event, statement (a signed note)' } }))
  erase(@Body() body: EraseSubjectDto, @Write() context: WriteContext) {
    return this.erasure.erase(body.subject.trim(), body.reason.trim(), context.actor?.trim() || 'anonymous');
  }

  /** How many subjects the key store holds, how many were erased, and how many could not be opened. */
  @Get()
  @ApiOkResponse(answerIn({ 'application/json': { type: 'object', description: 'subjects, erased, keysUnavailable, file' } }))
  status() {
    return this.erasure.status();
  }
}

export class WithholdContentDto {
  /** The id of the event whose content is withheld (a fact's or a figure's event, as the log export and the history name it). */
  @IsString() @IsNotEmpty() @MaxLength(100) event!: string;
  /** RFC 6901 JSON pointers to text values of the event's data, e.g. `/summary`, `/sources/0/quote`, `/changes/title`. */
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(50)
  @IsString({ each: true })
  @MaxLength(1000, { each: true })
  @Matches(/^\//, { each: true, message: 'each of paths must be a JSON pointer into the event\'s data, such as /summary' })
  paths!: string[];
  @IsString() @IsNotEmpty() @MaxLength(2000) reason!: string;
}

/** Withholding content recorded unmarked (docs/erasure.md): admin only. */
@ApiTags('admin')
@Role('admin')
@Controller('admin')
export class WithholdingController {
  constructor(private readonly withholding: WithholdingService) {}

  /** Records a signed ContentWithheld event and replaces the values in the stored event (its hash kept); answers once no read model holds them. */
  @Post('withhold')
  @HttpCode(200)
  @ApiOkResponse(
    answerIn({
      'application/json': { type: 'object', description: 'event, paths, withholding (the ContentWithheld event id), position, withheldAt, statement (a signed note), purged' },
    }),
  )
  withhold(@Body() body: WithholdContentDto, @Write() context: WriteContext) {
    return this.withholding.withhold(body.event.trim(), body.paths, body.reason.trim(), context.actor?.trim() || 'anonymous');
  }
}
