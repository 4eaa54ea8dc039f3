import { Controller, Get, Headers, Inject, OnApplicationShutdown, Query, Req, Res } from '@nestjs/common';
import { ApiProduces, ApiTags } from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import { IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { EVENT_STORE, type EventStore, type RecordedEvent } from '../event-store/event-store';
import { RequestValidationError } from '../api/problem';
import { EventFeed } from './event-feed';
import { LiveEvents } from './live-events';

export class EventsQueryDto {
  /** Start after this log position ('0' or a position from an earlier event); absent: live only. */
  @IsOptional() @Matches(/^-?\d{1,20}$/, { message: '$property must be a log position' }) from?: string;
  /** Comma-separated event types, e.g. ClaimAsserted,ClaimCorrected. */
  @IsOptional() @IsString() @MaxLength(1000) types?: string;
  /** Comma-separated stream-name prefixes, e.g. figure- or fact-centcom. */
  @IsOptional() @IsString() @MaxLength(1000) streams?: string;
}

/** A client that lets this much pile up unsent is dropped; it resumes with Last-Event-ID. */
const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;
const HEARTBEAT_MS = 15_000;

@ApiTags('events')
@SkipThrottle()
@Controller('events')
export class EventsController implements OnApplicationShutdown {
  /** Open streams, ended on shutdown so that the server can close. */
  private readonly open = new Set<() => void>();

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly live: LiveEvents,
  ) {}

  /**
   * Server-sent events: every event from `from` (or Last-Event-ID) on, then live, each once and in
   * log order. Each message's id is the event's position: a reconnecting client resumes from it.
   */
  @Get()
  @ApiProduces('text/event-stream')
  async stream(
    @Query() query: EventsQueryDto,
    @Headers('last-event-id') lastEventId: string | undefined,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const after = position(lastEventId ?? query.from);
    const raw = reply.raw;
    reply.hijack();
    raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    raw.write(': annals event stream\n\n');
    const feed = new EventFeed(
      this.store,
      (listener) => this.live.listen(listener),
      { send: (events) => raw.write(events.map(format).join('')) || raw.writableLength < MAX_BUFFERED_BYTES },
      { types: list(query.types), streamPrefixes: list(query.streams) },
      after,
    );
    const heartbeat = setInterval(() => raw.write(': keep-alive\n\n'), HEARTBEAT_MS);
    const end = (last = '') => {
      clearInterval(heartbeat);
      feed.stop();
      this.open.delete(end);
      if (!raw.writableEnded) raw.end(last);
    };
    this.open.add(end);
    request.raw.on('close', () => end());
    try {
      await feed.start();
    } catch (error) {
      end(`event: error\ndata: ${JSON.stringify({ detail: error instanceof Error ? error.message : String(error) })}\n\n`);
    }
  }

  onApplicationShutdown(): void {
    for (const end of [...this.open]) end();
  }
}

function position(value: string | undefined): bigint | undefined {
  if (value === undefined || value === '') return undefined;
  if (!/^-?\d{1,20}$/.test(value)) throw new RequestValidationError([{ field: 'Last-Event-ID', reason: 'must be a log position' }]);
  return BigInt(value);
}

function list(value: string | undefined): string[] | undefined {
  const items = value?.split(',').map((s) => s.trim()).filter(Boolean);
  return items?.length ? items : undefined;
}

/** Formatted once per event, however many subscribers it goes to (the serialisation was 23% of the CPU at 100 subscribers). */
const formatted = new WeakMap<RecordedEvent, string>();

/** bigint is not JSON: revisions and positions travel as strings. */
export function format(event: RecordedEvent): string {
  let message = formatted.get(event);
  if (message === undefined) {
    message = formatMessage(event);
    formatted.set(event, message);
  }
  return message;
}

function formatMessage(event: RecordedEvent): string {
  const body = JSON.stringify({
    id: event.id,
    streamId: event.streamId,
    revision: event.revision.toString(),
    position: event.position.toString(),
    type: event.type,
    data: event.data,
    metadata: event.metadata,
    recordedAt: event.recordedAt.toISOString(),
  });
  return `id: ${event.position}\nevent: ${event.type}\ndata: ${body}\n\n`;
}
