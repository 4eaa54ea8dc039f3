import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { SseStream } from '../../../src/watches/sse';

/** A response whose client never reads: everything written stays buffered. */
class StalledResponse extends EventEmitter {
  writableLength = 0;
  writableEnded = false;
  destroyed = false;
  readonly written: string[] = [];
  status = 0;

  writeHead(status: number): this {
    this.status = status;
    return this;
  }

  write(chunk: string): boolean {
    this.written.push(chunk);
    this.writableLength += Buffer.byteLength(chunk);
    return false;
  }

  end(chunk = ''): this {
    if (chunk) this.written.push(chunk);
    this.writableEnded = true;
    return this;
  }

  destroy(): this {
    this.destroyed = true;
    return this;
  }
}

describe('an SSE stream whose client cannot keep up', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('is sent a last overflow message and dropped once its unsent bytes pass the bound, then cut off if it still reads nothing', () => {
    const raw = new StalledResponse();
    const stream = new SseStream(raw as unknown as ServerResponse, { maxBufferedBytes: 1100, heartbeatMs: 15_000, lingerMs: 5_000, retryMs: 1000 });
    let closed = false;
    stream.onClose(() => (closed = true));
    const big = { text: 'x'.repeat(300) };
    const results = [1, 2, 3, 4].map((n) => stream.send('view', big, String(n)));
    expect(results).toEqual([true, true, true, false]);
    expect(closed).toBe(true);
    expect(raw.writableEnded).toBe(true);
    expect(raw.written[raw.written.length - 1]).toMatch(/^event: overflow\ndata: .*reconnect with Last-Event-ID/);
    expect(stream.send('view', big, '5')).toBe(false);
    expect(raw.destroyed).toBe(false);
    jest.advanceTimersByTime(5_000);
    expect(raw.destroyed).toBe(true);
  });

  it('beats a heart on an idle connection, and tells the client how soon to reconnect', () => {
    const raw = new StalledResponse();
    const stream = new SseStream(raw as unknown as ServerResponse, { maxBufferedBytes: 1_000_000, heartbeatMs: 15_000, lingerMs: 5_000, retryMs: 1000 });
    expect(raw.status).toBe(200);
    expect(raw.written[0]).toContain('retry: 1000\n');
    jest.advanceTimersByTime(45_000);
    expect(raw.written.filter((w) => w === ': keep-alive\n\n')).toHaveLength(3);
    stream.end();
    jest.advanceTimersByTime(45_000);
    expect(raw.written.filter((w) => w === ': keep-alive\n\n')).toHaveLength(3);
  });
});
