import { Body, Controller, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { ApiCreatedResponse, ApiHeader, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { answer } from './openapi-schema';
import type { FastifyReply } from 'fastify';
import { invalid, notFound } from '../domain/errors';
import { ID_PATTERN } from '../domain/ids';
import { figureDecider } from '../domain/figure/figure';
import { FigureQueries } from '../projections/figures/figures.queries';
import { CommandGateway, newId, type WriteContext, type WriteResult } from './command-gateway';
import { ReasonDto } from './dto/common.dto';
import { AssertClaimDto, CorrectClaimDto, DefineFigureDto, RankClaimDto } from './dto/figure.dto';
import { ClocksDto, FigureQueryDto, FiguresPageDto, HistoryQueryDto } from './dto/query.dto';
import { ON_BEHALF_OF, Write } from './write-context.decorator';
import { Citable } from './citable';

const IF_MATCH = { name: 'If-Match', required: false, description: 'The figure revision you read (ETag); 412 if it changed since' };

@ApiTags('figures')
@ApiHeader({ name: 'X-Actor', required: false, description: ON_BEHALF_OF })
@Controller('figures')
export class FiguresController {
  constructor(
    private readonly gateway: CommandGateway,
    private readonly figures: FigureQueries,
  ) {}

  @Post()
  @ApiCreatedResponse(answer('WriteResult'))
  async define(@Body() body: DefineFigureDto, @Write() context: WriteContext, @Res({ passthrough: true }) reply: FastifyReply): Promise<WriteResult> {
    const id = body.id ?? newId(context, 'figure');
    const result = await this.gateway.execute(figureDecider, body.toCommand(id), id, { ...context, marks: body.marks() });
    void reply.header('etag', `"${result.revision}"`).header('location', `/figures/${id}`);
    return result;
  }

  @Get()
  @ApiOkResponse(answer('FigurePage'))
  @Citable()
  list(@Query() query: FiguresPageDto) {
    const after = query.cursor === undefined ? '' : decodeFigureCursor(query.cursor);
    const { items, more } = this.figures.figurePage(query.clocks(), query.limit, query.offset, after, query.claimsLimit);
    // A keyset cursor (the last figure's id): the next page is an index seek, however deep.
    return { items, nextCursor: more ? Buffer.from(items[items.length - 1].id).toString('base64url') : null };
  }

  /**
   * Claims side by side (latest per claimant as of `asOf`), their spread, and the first page of each
   * claimant's revision history (`historyLimit` claims); `historyNext` and a Link rel="next" page the rest.
   */
  @Get(':id')
  @ApiOkResponse(answer('FigureWithHistory'))
  @Citable()
  get(@Param('id') id: string, @Query() query: FigureQueryDto, @Res({ passthrough: true }) reply: FastifyReply) {
    const figure = this.figures.figure(id, query.clocks(), { limit: query.historyLimit });
    if (!figure) throw notFound(`figure ${id} not found`, 'id');
    void reply.header('etag', `"${figure.revision}"`);
    linkNext(reply, id, query, query.historyLimit, figure.historyNext);
    return figure;
  }

  /** The next page of a figure's revision history: pass the `historyNext` of the page before as `cursor`, with the same asOf. */
  @Get(':id/history')
  @ApiOkResponse(answer('FigureHistoryPage'))
  @Citable()
  history(@Param('id') id: string, @Query() query: HistoryQueryDto, @Res({ passthrough: true }) reply: FastifyReply) {
    const { asOf, knownAt } = query.clocks();
    const page = this.figures.history(id, { asOf, knownAt }, { limit: query.limit, cursor: query.cursor });
    if (!page) throw notFound(`figure ${id} not found`, 'id');
    linkNext(reply, id, query, query.limit, page.historyNext);
    return { id, asOf: asOf ?? null, knownAt: knownAt?.toISOString() ?? null, ...page };
  }

  /** A claimant's value for the figure. A later claim by the same claimant is its revision. */
  @Post(':id/claims')
  @ApiCreatedResponse(answer('WriteResult'))
  @ApiHeader(IF_MATCH)
  async assert(@Param('id') figureId: string, @Body() body: AssertClaimDto, @Write() context: WriteContext, @Res({ passthrough: true }) reply: FastifyReply) {
    const claimId = body.id ?? newId(context, `claim:${figureId}`);
    const result = await this.gateway.execute(figureDecider, body.toCommand(figureId, claimId), claimId, { ...context, marks: body.marks() });
    void reply.header('etag', `"${result.revision}"`).header('location', `/figures/${figureId}`);
    return result;
  }

  @Post(':id/claims/:claimId/corrections')
  @ApiOkResponse(answer('WriteResult'))
  @HttpCode(200)
  @ApiHeader(IF_MATCH)
  async correct(
    @Param('id') figureId: string,
    @Param('claimId') claimId: string,
    @Body() body: CorrectClaimDto,
    @Write() context: WriteContext,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const result = await this.gateway.execute(figureDecider, body.toCommand(figureId, claimId), claimId, { ...context, reason: body.reason, marks: body.marks() });
    void reply.header('etag', `"${result.revision}"`);
    return result;
  }

  @Post(':id/claims/:claimId/retraction')
  @ApiOkResponse(answer('WriteResult'))
  @HttpCode(200)
  @ApiHeader(IF_MATCH)
  async retract(
    @Param('id') figureId: string,
    @Param('claimId') claimId: string,
    @Body() body: ReasonDto,
    @Write() context: WriteContext,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const command = { type: 'RetractClaim' as const, figureId, claimId };
    const result = await this.gateway.execute(figureDecider, command, claimId, { ...context, reason: body.reason });
    void reply.header('etag', `"${result.revision}"`);
    return result;
  }

  /** Ranks a claim preferred, normal or deprecated (the reason is kept with the rank and in the audit trail). */
  @Post(':id/claims/:claimId/rank')
  @ApiOkResponse(answer('WriteResult'))
  @HttpCode(200)
  @ApiHeader(IF_MATCH)
  async rank(
    @Param('id') figureId: string,
    @Param('claimId') claimId: string,
    @Body() body: RankClaimDto,
    @Write() context: WriteContext,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const command = { type: 'RankClaim' as const, figureId, claimId, rank: { value: body.value, reason: body.reason } };
    const result = await this.gateway.execute(figureDecider, command, claimId, { ...context, reason: body.reason });
    void reply.header('etag', `"${result.revision}"`);
    return result;
  }
}

/** A figure cursor is a figure id; anything else is the client's mistake, not an empty page. */
function decodeFigureCursor(cursor: string): string {
  const id = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!ID_PATTERN.test(id)) throw invalid('cursor must be a nextCursor this service gave', 'cursor');
  return id;
}

/** RFC 8288: the next page of the history, with the clocks it was asked with (the cursor pins the record read). */
function linkNext(reply: FastifyReply, id: string, clocks: ClocksDto, limit: number, cursor: string | null): void {
  if (cursor === null) return;
  const params = new URLSearchParams();
  if (clocks.asOf !== undefined) params.set('asOf', clocks.asOf);
  if (clocks.knownAt !== undefined) params.set('knownAt', clocks.knownAt);
  params.set('limit', String(limit));
  params.set('cursor', cursor);
  void reply.header('link', `</figures/${encodeURIComponent(id)}/history?${params.toString()}>; rel="next"`);
}
