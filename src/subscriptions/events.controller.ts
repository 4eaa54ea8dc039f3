import { BeforeApplicationShutdown, Controller, Get, Headers, Inject, Query, Req, Res } from '@nestjs/common';
import { ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import { IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ANNALS_CONFIG, type AnnalsConfig } from '../config';
import { EVENT_STORE, type EventStore, type RecordedEvent } from '../event-store/event-store';
import { answer, arr, obj, str } from '../api/openapi-schema';
import { RequestValidationError } from '../api/problem';
import { DOMAIN_EVENT_DECLARATIONS } from '../domain/domain-events';
import { AuthService, CREDENTIAL_ENDED_SSE } from '../auth/auth.service';
import { feedView } from '../erasure/feed-view';
import { EventFeed } from './event-feed';
import { LiveEvents } from './live-events';

/** A position travels as a signed 64-bit integer (SQLite's rowid) and is never negative: 0 is before the first event. */
const POSITION = /^\d{1,19}$/;
const MAX_POSITION = 2n ** 63n - 1n;
const POSITION_MESSAGE = `$property must be a log position: a whole number from 0 to ${MAX_POSITION}`;

const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache, no-transform',
  connection: 'keep-alive',
  'x-accel-buffering': 'no',
};

/** The last message every open stream gets when the service stops: the client reconnects with Last-Event-ID. */
const SHUTDOWN_MESSAGE = `event: shutdown\ndata: ${JSON.stringify({ detail: 'the service is stopping; reconnect with Last-Event-ID to resume' })}\n\n`;

export class EventsQueryDto {
  /** Start after this log position, 0..9223372036854775807 ('0': from the first event); absent: live only. */
  @IsOptional() @Matches(POSITION, { message: POSITION_MESSAGE }) from?: string;
  /** Comma-separated event types, e.g. ClaimAsserted,ClaimCorrected. */
  @IsOptional() @IsString() @MaxLength(1000) types?: string;
  /** Comma-separated stream-name prefixes, e.g. figure- or fact-centcom. */
  @IsOptional() @IsString() @MaxLength(1000) streams?: string;
}

/** A client that lets this much pile up unsent is dropped; it resumes with Last-Event-ID. */
const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;

@ApiTags('events')
@SkipThrottle()
@Controller('events')
export class EventsController implements BeforeApplicationShutdown {
  /** Open streams, ended on shutdown so that the server can close. */
  private readonly open = new Set<(last?: string) => void>();
  /** Sealed values as every answer shows them: plaintext, or `[erased on D]` after an erasure (docs/erasure.md). */
  private readonly view: (event: RecordedEvent) => RecordedEvent;

  constructor(
    @Inject(ANNALS_CONFIG) private readonly config: AnnalsConfig,
    @Inject(EVENT_STORE) store: EventStore,
    private readonly live: LiveEvents,
    private readonly auth: AuthService,
  ) {
    this.view = feedView(store);
  }

  /** The domain's event types as declared (domain/domain-events.ts): the page follows these and shows each by its label. */
  @Get('types')
  @ApiOkResponse(
    answer(
      obj({ items: arr(obj({ type: str(), category: str('its streams are <category>-<id>'), label: str("the page's word for it"), summary: str() }, ['type', 'category', 'label', 'summary'])) }, ['items']),
    ),
  )
  types() {
    return { items: DOMAIN_EVENT_DECLARATIONS.map(({ type, category, label, summary }) => ({ type, category, label, summary })) };
  }

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
    const after = lastEventId !== undefined ? position(lastEventId, 'Last-Event-ID') : position(query.from, 'from');
    // HEAD (which Fastify routes here) gets the stream's headers and no stream, rather than a stream that never ends.
    if (request.method === 'HEAD') return void reply.headers(SSE_HEADERS).send();
    const raw = reply.raw;
    reply.hijack();
    raw.writeHead(200, SSE_HEADERS);
    raw.write(': annals event stream\n\n');
    let ended = false;
    const end = (last = '') => {
      if (ended) return;
      ended = true;
      clearInterval(heartbeat);
      unwatch();
      void feed.stop();
      this.open.delete(end);
      if (!raw.writableEnded) raw.end(last);
    };
    const feed = new EventFeed(
      this.live,
      {
        // After the stream ended, what the follower still hands on goes nowhere.
        send: (events) => ended || raw.write(encode(events, this.view)) || raw.writableLength < MAX_BUFFERED_BYTES,
        // A client that cannot keep up is dropped with the reason; it resumes with Last-Event-ID.
        ended: (reason) => end(`event: error\ndata: ${JSON.stringify({ detail: reason.message })}\n\n`),
      },
      { types: list(query.types), streamPrefixes: list(query.streams) },
      after,
      { retryMs: this.config.timers.followRetryMs },
    );
    const heartbeat = setInterval(() => raw.write(': keep-alive\n\n'), this.config.timers.sseHeartbeatMs);
    this.open.add(end);
    const unwatch = this.auth.whileValid(request, () => end(CREDENTIAL_ENDED_SSE));
    request.raw.on('close', () => end());
    feed.start();
  }

  /**
   * Before the server closes, not after: it waits for open connections, and a stream never ends by
   * itself, so SIGTERM would wait forever. Each client gets a last `shutdown` message.
   */
  beforeApplicationShutdown(): void {
    for (const end of [...this.open]) end(SHUTDOWN_MESSAGE);
  }
}

/** Checked in full before the stream opens, so a bad position is a 400 and not an error event. */
function position(value: string | undefined, field: 'from' | 'Last-Event-ID'): bigint | undefined {
  if (value === undefined || value === '') return undefined;
  const valid = POSITION.test(value) && BigInt(value) <= MAX_POSITION;
  if (!valid) throw new RequestValidationError([{ field, reason: POSITION_MESSAGE.replace('$property ', '') }]);
  return BigInt(value);
}

function list(value: string | undefined): string[] | undefined {
  const items = value?.split(',').map((s) => s.trim()).filter(Boolean);
  return items?.length ? items : undefined;
}

/**
 * A live batch goes to every subscriber with the same filter as the same array (LiveEvents): encoded
 * once, by the first feed that sends it, not once per subscriber. History pages are each feed's own.
 */
const encoded = new WeakMap<readonly RecordedEvent[], Buffer>();

function encode(events: readonly RecordedEvent[], view: (event: RecordedEvent) => RecordedEvent): Buffer {
  let bytes = encoded.get(events);
  if (bytes === undefined) {
    bytes = Buffer.from(events.map((event) => format(event, view)).join(''), 'utf8');
    encoded.set(events, bytes);
  }
  return bytes;
}

/** Formatted once per event, however many subscribers it goes to (the serialisation was 23% of the CPU at 100 subscribers). */
const formatted = new WeakMap<RecordedEvent, string>();

/**
 * bigint is not JSON: revisions and positions travel as strings. A live event is formatted once
 * and its sealed values opened then: a subscriber hears of it as it was when it was written.
 */
export function format(event: RecordedEvent, view: (event: RecordedEvent) => RecordedEvent = (e) => e): string {
  let message = formatted.get(event);
  if (message === undefined) {
    message = formatMessage(view(event));
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
