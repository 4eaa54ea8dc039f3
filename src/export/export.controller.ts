import { Controller, Get, Headers, Param, Query, Res } from '@nestjs/common';
import { ApiProduces, ApiTags } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import type { FastifyReply } from 'fastify';
import { ClocksDto } from '../api/dto/query.dto';
import { RequestValidationError } from '../api/problem';
import { notFound } from '../domain/errors';
import { FigureQueries } from '../projections/figures/figures.queries';
import { TimelineQueries } from '../projections/timeline/timeline.queries';
import { claimsCsv, claimsJsonLd, scriptSafeJson, timelineCsv, timelineFacts, timelineJs, type ClaimsFormat, type TimelineFormat } from './views';

const DAY = /^\d{4}-\d{2}-\d{2}$/;

export class ClaimsExportQueryDto extends ClocksDto {
  /** csv (the claims import layout) or jsonld (schema.org Claim); default from Accept, else csv. */
  @IsOptional() @IsIn(['csv', 'jsonld']) format?: ClaimsFormat;
}

export class TimelineExportQueryDto extends ClocksDto {
  /** csv (the facts import layout) or timelinejs (Knight Lab's TimelineJS3 JSON); default from Accept, else csv. */
  @IsOptional() @IsIn(['csv', 'timelinejs']) format?: TimelineFormat;
  @IsOptional() @Matches(DAY, { message: '$property must be a day written YYYY-MM-DD' }) from?: string;
  @IsOptional() @Matches(DAY, { message: '$property must be a day written YYYY-MM-DD' }) to?: string;
  @IsOptional() @IsString() @MaxLength(100) tag?: string;
  @IsOptional() @IsString() @MaxLength(200) entity?: string;
  @IsOptional() @Transform(({ value }) => (value === 'true' ? true : value === 'false' ? false : value)) @IsBoolean() includeRetracted?: boolean;
}

/** The content types a view can be asked for with Accept, and the format each means. */
const ACCEPTED: Record<string, string> = { 'text/csv': 'csv', 'application/ld+json': 'jsonld', 'application/json': 'timelinejs' };
const CONTENT_TYPES: Record<string, string> = {
  csv: 'text/csv; charset=utf-8',
  jsonld: 'application/ld+json; charset=utf-8',
  timelinejs: 'application/json; charset=utf-8',
};

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
  @ApiProduces('text/csv', 'application/ld+json')
  claims(@Param('id') id: string, @Query() query: ClaimsExportQueryDto, @Headers('accept') accept: string | undefined, @Res({ passthrough: true }) reply: FastifyReply) {
    const format = chooseFormat(query.format, accept, ['csv', 'jsonld']);
    const clocks = query.clocks();
    const figure = this.figures.summaryOf(id, clocks);
    if (!figure) throw notFound(`figure ${id} not found`, 'id');
    const claims = this.figures.claims(id, clocks);
    void reply.header('content-type', CONTENT_TYPES[format]);
    if (format === 'csv') {
      void reply.header('content-disposition', `attachment; filename="${id}-claims.csv"`);
      return claimsCsv(claims);
    }
    return scriptSafeJson(claimsJsonLd(figure, claims, clocks));
  }

  @Get('timeline')
  @ApiProduces('text/csv', 'application/json')
  exportTimeline(@Query() query: TimelineExportQueryDto, @Headers('accept') accept: string | undefined, @Res({ passthrough: true }) reply: FastifyReply) {
    const format = chooseFormat(query.format, accept, ['csv', 'timelinejs']);
    const clocks = query.clocks();
    const { format: _, asOf: __, knownAt: ___, ...filters } = query;
    const facts = timelineFacts(this.timeline, { ...filters, ...clocks });
    void reply.header('content-type', CONTENT_TYPES[format]);
    if (format === 'csv') {
      void reply.header('content-disposition', 'attachment; filename="timeline.csv"');
      return timelineCsv(facts);
    }
    return scriptSafeJson(timelineJs(facts, clocks));
  }
}

/** `?format=` wins; else the first Accept type this view has; else its first format. */
function chooseFormat<F extends string>(format: F | undefined, accept: string | undefined, formats: readonly F[]): F {
  if (format) return format;
  for (const type of (accept ?? '').split(',').map((t) => t.split(';')[0].trim().toLowerCase())) {
    const wanted = ACCEPTED[type] as F | undefined;
    if (wanted && formats.includes(wanted)) return wanted;
  }
  const asked = (accept ?? '').trim();
  if (asked && !/\*\/\*|text\/\*|application\/\*/.test(asked)) {
    throw new RequestValidationError([{ field: 'Accept', reason: `this export answers ${formats.map((f) => CONTENT_TYPES[f].split(';')[0]).join(' or ')}; or pass ?format=` }]);
  }
  return formats[0];
}
