import { BeforeApplicationShutdown, Controller, Get, Headers, Param, Query, Req, Res } from '@nestjs/common';
import { ApiProduces, ApiTags } from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { isoDay } from '../domain/valid-time';
import type { Question } from './question';
import { AuthService, CREDENTIAL_ENDED_SSE } from '../auth/auth.service';
import { SSE_HEADERS, sseMessage, SseStreams } from './sse';
import { WatchEngine } from './watch-engine';
import { sequenceOrPosition, timelineQuestion, TimelineViewDto, ViewClocksDto } from './watches.dto';
import { WatchesService } from './watches.service';

/**
 * Views as server-sent events: the answer a read query gives, sent whole at once and again each
 * time an event changes it (`event: view`, id = the log position the answer is at). Whole rather
 * than a patch: a client then needs no patch library and never applies a patch to the wrong base
 * after a reconnect, and only changed answers are sent. A client that reconnects with
 * Last-Event-ID gets the current answer at once if an event since that position can have changed
 * it, and nothing otherwise (it holds the current one already).
 */
@ApiTags('views')
@SkipThrottle()
@Controller('views')
export class ViewsController implements BeforeApplicationShutdown {
  private readonly streams = new SseStreams();

  constructor(
    private readonly engine: WatchEngine,
    private readonly watches: WatchesService,
    private readonly auth: AuthService,
  ) {}

  /** A figure's latest claims, spread and every claimant's history as of asOf, as GET /figures/:id answers (without its stream revision). */
  @Get('figures/:id')
  @ApiProduces('text/event-stream')
  figure(@Param('id') id: string, @Query() query: ViewClocksDto, @Headers('last-event-id') lastEventId: string | undefined, @Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    return this.open({ kind: 'figure', figureId: id, ...(query.asOf ? { asOf: isoDay(query.asOf, 'asOf') } : {}) }, lastEventId, request, reply);
  }

  /** A fact as GET /facts/:id answers it; with asOf, null until it may have happened, then with its certainty. */
  @Get('facts/:id')
  @ApiProduces('text/event-stream')
  fact(@Param('id') id: string, @Query() query: ViewClocksDto, @Headers('last-event-id') lastEventId: string | undefined, @Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    return this.open({ kind: 'fact', factId: id, ...(query.asOf ? { asOf: isoDay(query.asOf, 'asOf') } : {}) }, lastEventId, request, reply);
  }

  /** GET /timeline's first page for these filters and, with asOf, the states in effect that day. */
  @Get('timeline')
  @ApiProduces('text/event-stream')
  timeline(@Query() query: TimelineViewDto, @Headers('last-event-id') lastEventId: string | undefined, @Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    return this.open(timelineQuestion(query), lastEventId, request, reply);
  }

  beforeApplicationShutdown(): void {
    this.streams.endAll();
  }

  private async open(question: Question, lastEventId: string | undefined, request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const after = sequenceOrPosition(lastEventId, 'Last-Event-ID');
    this.watches.assertExists(question);
    if (request.method === 'HEAD') return void reply.headers(SSE_HEADERS).send();
    reply.hijack();
    const stream = this.streams.open(reply.raw);
    stream.onClose(this.auth.whileValid(request, () => stream.end(CREDENTIAL_ENDED_SSE)));
    try {
      const stop = await this.engine.subscribe(question, after, (answer, position) => void stream.send('view', answer, position.toString()));
      stream.onClose(stop);
    } catch (error) {
      stream.end(sseMessage('error', { detail: error instanceof Error ? error.message : String(error) }));
    }
  }
}
