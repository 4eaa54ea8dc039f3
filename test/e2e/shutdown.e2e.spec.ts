import { mkdtempSync, rmSync } from 'node:fs';
import { get, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startService, type ServiceProcess } from '../support/service-process';

/** SIGTERM with a live SSE client once left the service running forever: the server waited for the stream. */
describe('shutdown with an open event stream', () => {
  let dir: string;
  let service: ServiceProcess | undefined;

  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'annals-shutdown-'))));
  afterEach(() => {
    if (service && service.child.exitCode === null && service.child.signalCode === null) service.child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('sends each subscriber a shutdown message and exits on SIGTERM', async () => {
    service = await startService(dir);
    const stream = await new Promise<IncomingMessage>((resolve, reject) => get(`${service!.base}/events?from=0`, resolve).on('error', reject));
    expect(stream.statusCode).toBe(200);
    let received = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => (received += chunk));
    const streamEnded = new Promise<void>((resolve) => stream.on('close', resolve));

    service.child.kill('SIGTERM');
    // Bounded only so that a regression fails instead of hanging: a clean exit takes well under a second.
    let timer: NodeJS.Timeout | undefined;
    const exit = await Promise.race([service.exited, new Promise<'still running'>((resolve) => (timer = setTimeout(() => resolve('still running'), 10_000)))]);
    clearTimeout(timer);

    // Nest's shutdown hook closes the app, then re-raises the signal so that the exit reports it.
    expect(exit).toEqual({ code: null, signal: 'SIGTERM' });
    await streamEnded;
    expect(received).toMatch(/event: shutdown\ndata: \{"detail":"[^"]*Last-Event-ID[^"]*"\}\n\n$/);
  }, 90_000);
});
