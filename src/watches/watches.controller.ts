import { BeforeApplicationShutdown, Body, Controller, Delete, Get, Headers, HttpCode, Inject, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiProduces, ApiTags } from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ANNALS_CONFIG, type AnnalsConfig } from '../config';
import { ANONYMOUS, AuthService, CREDENTIAL_ENDED_SSE, principalOf } from '../auth/auth.service';
import type { WriteContext } from '../api/command-gateway';
import { Write } from '../api/write-context.decorator';
import { ATOM_CONTENT_TYPE, atomFeed } from './atom';
import type { SequencedNotice } from './notice';
import { SSE_HEADERS, SseStreams } from './sse';
import { WatchEngine } from './watch-engine';
import { CreateWatchDto, NoticesQueryDto, NoticeStreamQueryDto, sequenceOrPosition, WatchesQueryDto } from './watches.dto';
import { publicBase } from './watches.config';
import { asWatchs, WatchesService, type Caller } from './watches.service';

/** Notices an Atom feed holds: the latest ones (older ones stay readable at /watches/:id/notices?after=). */
const ATOM_ENTRIES = 50;
const BACKLOG_PAGE = 500;

/**
 * Watches: saved questions whose answers are re-asked after every event that can change them.
 * Readers list and read watches and their notices (the notices hold nothing a reader could not
 * read at GET /figures, /facts, /timeline); editors create them and delete their own, admins any.
 * A webhook's URL is shown only to its watch's owner and to admins; its secret only once, at creation.
 */
@ApiTags('watches')
@Controller()
export class WatchesController implements BeforeApplicationShutdown {
  private readonly streams = new SseStreams();
  /** Feed ids and links: the configured public URL, never the request's Host header (a client could make them anything). */
  private readonly base: string;

  constructor(
    private readonly watches: WatchesService,
    private readonly engine: WatchEngine,
    private readonly auth: AuthService,
    @Inject(ANNALS_CONFIG) config: AnnalsConfig,
  ) {
    this.base = publicBase(config);
  }

  /**
   * 201 with the watch, the answer it gives now and, with a webhookUrl, the signing secret (shown
   * once; again only to a retry with the same Idempotency-Key, which answers the same watch).
   */
  @Post('watches')
  async create(@Body() body: CreateWatchDto, @Write() context: WriteContext, @Res({ passthrough: true }) reply: FastifyReply) {
    const marks = body.marks();
    const created = await this.watches.create({
      question: body.toQuestion(),
      owner: context.actor ?? ANONYMOUS,
      title: body.title,
      marks,
      fields: body.fields(),
      webhookUrl: body.webhookUrl,
      idempotencyKey: context.idempotencyKey,
    });
    void reply.header('location', `/watches/${created.watch.id}`);
    return {
      watch: created.watch,
      answer: created.answer,
      ...(created.secret ? { webhook: { url: body.webhookUrl, secret: created.secret, note: 'keep the secret: it is not shown again' } } : {}),
    };
  }

  /** A page of the watches, oldest first: `limit` (≤ 500) and the `nextCursor` of the page before. */
  @Get('watches')
  list(@Query() query: WatchesQueryDto, @Req() request: FastifyRequest) {
    return this.watches.list(this.callerOf(request), query.limit, query.cursor);
  }

  /** The watch and the answer it stored last. */
  @Get('watches/:id')
  get(@Param('id') id: string, @Req() request: FastifyRequest) {
    return this.watches.get(id, this.callerOf(request));
  }

  /** Its owner or an admin. The notices it recorded stay in /notices; undelivered webhooks are cancelled. */
  @Delete('watches/:id')
  @HttpCode(204)
  async remove(@Param('id') id: string, @Req() request: FastifyRequest): Promise<void> {
    await this.watches.remove(id, this.callerOf(request));
  }

  /** Its notices after `after` (a sequence), oldest first; without `after`, the latest `limit`. */
  @Get('watches/:id/notices')
  notices(@Param('id') id: string, @Query() query: NoticesQueryDto) {
    return { items: this.watches.notices(id, sequenceOrPosition(query.after, 'after'), query.limit) };
  }

  /** Server-sent events: its notices as they are recorded (`event: notice`, id = sequence); from `after` or Last-Event-ID first. */
  @Get('watches/:id/notices/stream')
  @SkipThrottle()
  @ApiProduces('text/event-stream')
  stream(@Param('id') id: string, @Query() query: NoticesQueryDto, @Headers('last-event-id') lastEventId: string | undefined, @Req() request: FastifyRequest, @Res() reply: FastifyReply): void {
    this.watches.record(id);
    this.openNoticeStream(id, new Set([id]), lastEventId, query.after, request, reply);
  }

  @Get('watches/:id/notices.atom')
  @ApiProduces('application/atom+xml')
  atom(@Param('id') id: string, @Req() request: FastifyRequest, @Res() reply: FastifyReply): void {
    const { watch } = this.watches.get(id, this.callerOf(request));
    const base = this.base;
    const feed = atomFeed(
      { self: `${base}/watches/${encodeURIComponent(watch.id)}/notices.atom`, title: `Annals watch: ${watch.title ?? watch.description}`, link: `${base}${watch.path}`, since: watch.createdAt },
      this.watches.notices(id, undefined, ATOM_ENTRIES),
      base,
    );
    void reply.header('content-type', ATOM_CONTENT_TYPE).send(feed);
  }

  /** Every watch's notices (see /watches/:id/notices). */
  @Get('notices')
  allNotices(@Query() query: NoticesQueryDto) {
    return { items: this.watches.notices(undefined, sequenceOrPosition(query.after, 'after'), query.limit) };
  }

  /** Every watch's notices as they are recorded, or those of `watches` (comma-separated ids) only. */
  @Get('notices/stream')
  @SkipThrottle()
  @ApiProduces('text/event-stream')
  allStream(@Query() query: NoticeStreamQueryDto, @Headers('last-event-id') lastEventId: string | undefined, @Req() request: FastifyRequest, @Res() reply: FastifyReply): void {
    this.openNoticeStream(undefined, query.watches ? new Set(query.watches.split(',')) : undefined, lastEventId, query.after, request, reply);
  }

  @Get('notices.atom')
  @ApiProduces('application/atom+xml')
  allAtom(@Res() reply: FastifyReply): void {
    const base = this.base;
    const feed = atomFeed(
      { self: `${base}/notices.atom`, title: 'Annals: every watch', link: `${base}/watches`, since: new Date(0).toISOString() },
      this.watches.notices(undefined, undefined, ATOM_ENTRIES),
      base,
    );
    void reply.header('content-type', ATOM_CONTENT_TYPE).send(feed);
  }

  beforeApplicationShutdown(): void {
    this.streams.endAll();
  }

  /** With no key ever created the service is a single user's and everything is open (README "Access control"): that user may do all. */
  private callerOf(request: FastifyRequest): Caller {
    const principal = principalOf(request);
    if (!principal) return { name: ANONYMOUS, admin: !this.auth.keys.configured() };
    return { name: principal.name, admin: principal.role === 'admin' };
  }

  /**
   * Backlog then live with no gap: both happen in one synchronous step (the store is synchronous,
   * and the engine tells listeners right after its commit, also synchronously), so no notice can
   * be committed between reading the backlog and listening.
   */
  private openNoticeStream(
    /** The watch whose notices are read (checked before: it exists); undefined: every notice, filtered by watchIds. */
    watchId: string | undefined,
    watchIds: ReadonlySet<string> | undefined,
    lastEventId: string | undefined,
    after: string | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
  ): void {
    const from = sequenceOrPosition(lastEventId, 'Last-Event-ID') ?? sequenceOrPosition(after, 'after');
    if (request.method === 'HEAD') return void reply.headers(SSE_HEADERS).send();
    reply.hijack();
    const stream = this.streams.open(reply.raw);
    stream.onClose(this.auth.whileValid(request, () => stream.end(CREDENTIAL_ENDED_SSE)));
    let last = from ?? -1n;
    // One stored notice may be several watches' (their subject's): each is sent, under the one sequence, before `last` moves past it.
    const sendAll = (sequence: bigint, notices: readonly SequencedNotice[]) => {
      if (sequence <= last) return true;
      last = sequence;
      return notices.every((notice) => stream.send('notice', notice, notice.sequence));
    };
    if (from !== undefined) {
      for (;;) {
        if (watchId === undefined && watchIds !== undefined) {
          const page = this.watches.noticesOf(watchIds, last, BACKLOG_PAGE);
          const bySequence = new Map<string, SequencedNotice[]>();
          for (const notice of page.notices) bySequence.set(notice.sequence, [...(bySequence.get(notice.sequence) ?? []), notice]);
          if (![...bySequence].every(([sequence, notices]) => sendAll(BigInt(sequence), notices)) || page.last === undefined) break;
          if (page.last > last) last = page.last;
        } else {
          const page = this.watches.notices(watchId, last, BACKLOG_PAGE);
          if (!page.every((notice) => sendAll(BigInt(notice.sequence), [notice])) || page.length < BACKLOG_PAGE) break;
        }
      }
    } else {
      last = BigInt(this.watches.notices(undefined, undefined, 1)[0]?.sequence ?? '-1');
    }
    if (stream.isClosed) return;
    const wanted = watchId !== undefined ? new Set([watchId]) : watchIds;
    const stop = this.engine.onNotices((committed) => {
      for (const { notice, watches } of committed) {
        const mine =
          wanted === undefined ? [this.watches.shown(notice)] : watches.filter((w) => wanted.has(w.id)).map((w) => asWatchs(notice, w, this.watches.text));
        if (mine.length > 0 && !sendAll(BigInt(notice.sequence), mine)) return;
      }
    });
    stream.onClose(stop);
  }
}
