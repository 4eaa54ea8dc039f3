import { Body, Controller, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { ApiBody, ApiCreatedResponse, ApiHeader, ApiOkResponse, ApiTags } from '@nestjs/swagger';

import { answer } from './openapi-schema';
import type { FastifyReply } from 'fastify';
import { notFound } from '../domain/errors';
import { factDecider } from '../domain/fact/fact';
import { TimelineQueries } from '../projections/timeline/timeline.queries';
import { CommandGateway, newId, type WriteContext, type WriteResult } from './command-gateway';
import { defined, ReasonDto } from './dto/common.dto';
import { AddFactSourceDto, CorrectFactDto, RecordFactDto } from './dto/fact.dto';
import { KnownAtDto } from './dto/query.dto';
import { ON_BEHALF_OF, Write } from './write-context.decorator';
import { Citable } from './citable';

@ApiTags('facts')
@ApiHeader({ name: 'X-Actor', required: false, description: ON_BEHALF_OF })
@Controller('facts')
export class FactsController {
  constructor(
    private readonly gateway: CommandGateway,
    private readonly timeline: TimelineQueries,
  ) {}

  /** Records a new fact. 201 with its revision (also the ETag) and log position. */
  @Post()
  @ApiCreatedResponse(answer('WriteResult'))
  async record(@Body() body: RecordFactDto, @Write() context: WriteContext, @Res({ passthrough: true }) reply: FastifyReply): Promise<WriteResult> {
    const id = body.id ?? newId(context, 'fact');
    const result = await this.gateway.execute(factDecider, body.toCommand(id), id, { ...context, marks: body.marks() });
    void reply.header('etag', `"${result.revision}"`).header('location', `/facts/${id}`);
    return result;
  }

  /** The fact now, or as the service knew it at `knownAt`. */
  @Get(':id')
  @ApiOkResponse(answer('Fact'))
  @Citable()
  get(@Param('id') id: string, @Query() query: KnownAtDto, @Res({ passthrough: true }) reply: FastifyReply) {
    const fact = this.timeline.fact(id, query.knownAtDate());
    if (!fact) throw notFound(`fact ${id} not found`, 'id');
    void reply.header('etag', `"${fact.revision}"`);
    return fact;
  }

  /** Every version of the fact, oldest first, with who changed it and why. */
  @Get(':id/history')
  @ApiOkResponse(answer('FactHistory'))
  @Citable()
  history(@Param('id') id: string, @Query() query: KnownAtDto) {
    const versions = this.timeline.history(id, query.knownAtDate());
    if (versions.length === 0) throw notFound(`fact ${id} not found`, 'id');
    return { id, versions };
  }

  /** Fixes how the fact was recorded; the old text stays in the history. Send If-Match to refuse a stale edit. */
  @Post(':id/corrections')
  @ApiOkResponse(answer('WriteResult'))
  @HttpCode(200)
  @ApiHeader({ name: 'If-Match', required: false, description: 'The revision you read (ETag); 412 if it changed since' })
  async correct(@Param('id') id: string, @Body() body: CorrectFactDto, @Write() context: WriteContext, @Res({ passthrough: true }) reply: FastifyReply) {
    return this.answer(reply, await this.gateway.execute(factDecider, body.toCommand(id), id, { ...context, reason: body.reason, marks: body.marks() }));
  }

  /** Withdraws the record; it stays in the history, marked retracted. */
  @Post(':id/retraction')
  @ApiOkResponse(answer('WriteResult'))
  @HttpCode(200)
  @ApiHeader({ name: 'If-Match', required: false, description: 'The revision you read (ETag); 412 if it changed since' })
  async retract(@Param('id') id: string, @Body() body: ReasonDto, @Write() context: WriteContext, @Res({ passthrough: true }) reply: FastifyReply) {
    const command = { type: 'RetractFact' as const, factId: id };
    return this.answer(reply, await this.gateway.execute(factDecider, command, id, { ...context, reason: body.reason }));
  }

  /** Adds a source found later: more evidence for the fact, not a correction of it (no reason needed). */
  @Post(':id/sources')
  @HttpCode(200)
  @ApiOkResponse(answer('WriteResult'))
  @ApiBody({
    type: AddFactSourceDto,
    examples: { 'Try it out': { value: { publisher: 'Reuters', title: 'Syrian forces declare victory over Islamic State at Baghouz', url: 'https://www.reuters.com/', publishedOn: '2019-03-23' } } },
  })
  @ApiHeader({ name: 'If-Match', required: false, description: 'The revision you read (ETag); 412 if it changed since' })
  async addSource(@Param('id') id: string, @Body() body: AddFactSourceDto, @Write() context: WriteContext, @Res({ passthrough: true }) reply: FastifyReply) {
    const { subjects: _, ...source } = body;
    const command = { type: 'AddFactSource' as const, factId: id, source: defined({ ...source }) };
    return this.answer(reply, await this.gateway.execute(factDecider, command, id, { ...context, marks: body.marks() }));
  }

  private answer(reply: FastifyReply, result: WriteResult): WriteResult {
    void reply.header('etag', `"${result.revision}"`);
    return result;
  }
}
