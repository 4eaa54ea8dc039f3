import type { ServerResponse } from 'node:http';

export const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache, no-transform',
  connection: 'keep-alive',
  'x-accel-buffering': 'no',
};

export interface SseLimits {
  /** A client that lets this much pile up unsent is sent a last message and dropped. */
  readonly maxBufferedBytes: number;
  /** A comment line this often keeps an idle connection open through proxies. */
  readonly heartbeatMs: number;
  /** How long a dropped client's last bytes may take before its socket is destroyed. */
  readonly lingerMs: number;
  /** Sent as the stream's `retry:` field: how soon a dropped client should reconnect. */
  readonly retryMs: number;
}

export const DEFAULT_SSE_LIMITS: SseLimits = { maxBufferedBytes: 4 * 1024 * 1024, heartbeatMs: 15_000, lingerMs: 5_000, retryMs: 1_000 };

/** One server-sent message; `data` is sent as one line of JSON. */
export function sseMessage(event: string, data: unknown, id?: string): string {
  return `${id === undefined ? '' : `id: ${id}\n`}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

export const SHUTDOWN_MESSAGE = sseMessage('shutdown', { detail: 'the service is stopping; reconnect with Last-Event-ID to resume' });

const overflowMessage = (limit: number) =>
  sseMessage('overflow', {
    detail: `this client fell more than ${limit} bytes behind and is disconnected; reconnect with Last-Event-ID to resume`,
  });

/**
 * One open stream: writes messages, beats a heart, and ends itself when the client stops reading
 * (its unsent bytes pass the bound) rather than buffer without limit. A client that resumes with
 * Last-Event-ID misses nothing, so dropping it costs it a reconnect, never a change.
 */
export class SseStream {
  private readonly heartbeat: NodeJS.Timeout;
  private closed = false;
  private readonly closeListeners: (() => void)[] = [];

  constructor(
    private readonly raw: ServerResponse,
    private readonly limits: SseLimits = DEFAULT_SSE_LIMITS,
  ) {
    raw.writeHead(200, SSE_HEADERS);
    raw.write(`: annals\nretry: ${limits.retryMs}\n\n`);
    this.heartbeat = setInterval(() => this.write(': keep-alive\n\n'), limits.heartbeatMs);
    this.heartbeat.unref?.();
    raw.on('close', () => this.end());
  }

  get isClosed(): boolean {
    return this.closed;
  }

  onClose(listener: () => void): void {
    if (this.closed) listener();
    else this.closeListeners.push(listener);
  }

  /** Writes a message; false once the stream is closed (by the client, overflow or shutdown). */
  send(event: string, data: unknown, id?: string): boolean {
    return this.write(sseMessage(event, data, id));
  }

  end(last = ''): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.heartbeat);
    if (!this.raw.writableEnded) this.raw.end(last);
    for (const listener of this.closeListeners.splice(0)) listener();
  }

  private write(text: string): boolean {
    if (this.closed) return false;
    this.raw.write(text);
    if (this.raw.writableLength > this.limits.maxBufferedBytes) {
      this.end(overflowMessage(this.limits.maxBufferedBytes));
      // end() waits for the client to read what is buffered; one that never does is cut off.
      const linger = setTimeout(() => this.raw.destroy(), this.limits.lingerMs);
      linger.unref?.();
      this.raw.once('finish', () => clearTimeout(linger));
      return false;
    }
    return true;
  }
}

/** The open streams of one controller, ended with a last message when the service stops. */
export class SseStreams {
  private readonly streams = new Set<SseStream>();

  constructor(readonly limits: SseLimits = DEFAULT_SSE_LIMITS) {}

  open(raw: ServerResponse): SseStream {
    const stream = new SseStream(raw, this.limits);
    this.streams.add(stream);
    stream.onClose(() => this.streams.delete(stream));
    return stream;
  }

  endAll(): void {
    for (const stream of [...this.streams]) stream.end(SHUTDOWN_MESSAGE);
  }
}
