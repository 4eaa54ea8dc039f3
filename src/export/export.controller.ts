import { Controller, Get, Headers, Param, Query, Res } from '@nestjs/common';
import { ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import { answerIn } from '../api/openapi-schema';
import { Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import type { FastifyReply } from 'fastify';
import { ClocksDto } from '../api/dto/query.dto';
import { RequestValidationError } from '../api/problem';
import { notFound } from '../domain/errors';
import { FigureQueries } from '../projections/figures/figures.queries';
import { TimelineQueries } from '../projections/timeline/timeline.queries';
import {
  CLAIMS_FORMATS,
  exportContents,
  formatNamed,
  formatNames,
  renderExport,
  TIMELINE_FORMATS,
  type ClaimsFormat,
  type ExportFormat,
  type TimelineFormat,
} from './export-formats';
import { timelineFacts } from './views';

const DAY = /^\d{4}-\d{2}-\d{2}$/;

export class ClaimsExportQueryDto extends ClocksDto {
  /** One of CLAIMS_FORMATS (csv: the claims import layout; jsonld: schema.org Claim); default from Accept, else the first. */
  @IsOptional() @IsIn(formatNames(CLAIMS_FORMATS)) format?: ClaimsFormat;
}

export class TimelineExportQueryDto extends ClocksDto {
  /** One of TIMELINE_FORMATS (csv: the facts import layout; timelinejs: Knight Lab's TimelineJS3 JSON); default from Accept, else the first. */
  @IsOptional() @IsIn(formatNames(TIMELINE_FORMATS)) format?: TimelineFormat;
  @IsOptional() @Matches(DAY, { message: '$property must be a day written YYYY-MM-DD' }) from?: string;
  @IsOptional() @Matches(DAY, { message: '$property must be a day written YYYY-MM-DD' }) to?: string;
  @IsOptional() @IsString() @MaxLength(100) tag?: string;
  @IsOptional() @IsString() @MaxLength(200) entity?: string;
  @IsOptional() @Transform(({ value }) => (value === 'true' ? true : value === 'false' ? false : value)) @IsBoolean() includeRetracted?: boolean;
}

/**
 * The views people use elsewhere, at any asOf/knownAt: a figure's claims as CSV or schema.org
 * JSON-LD, the timeline as CSV or TimelineJS JSON. `?format=` or `Accept` chooses.
 */
@ApiTags('export')
@Controller('export')
export class ExportController {
  constructor(
    private readonly figures: FigureQueries,
    private readonly timeline: TimelineQueries,
  ) {}

  @Get('figures/:id/claims')
  @ApiOkResponse(answerIn(exportContents(CLAIMS_FORMATS)))
  @ApiProduces(...CLAIMS_FORMATS.map((f) => f.mediaType))
  claims(@Param('id') id: string, @Query() query: ClaimsExportQueryDto, @Headers('accept') accept: string | undefined, @Res({ passthrough: true }) reply: FastifyReply) {
    const format = chooseFormat(query.format, accept, CLAIMS_FORMATS);
    const clocks = query.clocks();
    const figure = this.figures.summaryOf(id, clocks);
    if (!figure) throw notFound(`figure ${id} not found`, 'id');
    return answer(reply, format, { figureId: id, figure, claims: this.figures.claims(id, clocks), clocks });
  }

  @Get('timeline')
  @ApiOkResponse(answerIn(exportContents(TIMELINE_FORMATS)))
  @ApiProduces(...TIMELINE_FORMATS.map((f) => f.mediaType))
  exportTimeline(@Query() query: TimelineExportQueryDto, @Headers('accept') accept: string | undefined, @Res({ passthrough: true }) reply: FastifyReply) {
    const format = chooseFormat(query.format, accept, TIMELINE_FORMATS);
    const clocks = query.clocks();
    const { format: _, asOf: __, knownAt: ___, ...filters } = query;
    return answer(reply, format, { facts: timelineFacts(this.timeline, { ...filters, ...clocks }), clocks });
  }
}

function answer<Input>(reply: FastifyReply, format: ExportFormat<Input>, input: Input): string {
  void reply.header('content-type', `${format.mediaType}; charset=utf-8`);
  if (format.attachment) void reply.header('content-disposition', `attachment; filename="${format.attachment(input)}"`);
  return renderExport(format, input);
}

/** `?format=` wins; else the first Accept type this view has; else its first format. */
function chooseFormat<Input>(name: string | undefined, accept: string | undefined, formats: readonly ExportFormat<Input>[]): ExportFormat<Input> {
  if (name) return formatNamed(formats, name);
  for (const type of (accept ?? '').split(',').map((t) => t.split(';')[0].trim().toLowerCase())) {
    const wanted = formats.find((f) => f.mediaType === type);
    if (wanted) return wanted;
  }
  const asked = (accept ?? '').trim();
  if (asked && !/\*\/\*|text\/\*|application\/\*/.test(asked)) {
    throw new RequestValidationError([{ field: 'Accept', reason: `this export answers ${formats.map((f) => f.mediaType).join(' or ')}; or pass ?format=` }]);
  }
  return formats[0];
}
