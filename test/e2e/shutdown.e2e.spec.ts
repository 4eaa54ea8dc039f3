import { mkdtempSync, rmSync } from 'node:fs';
import { get, type IncomingMessage } from 'node:http';
import { connect } from 'node:net';
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

  it('exits on SIGTERM while a client holds a connection it has sent nothing on (a browser opens them ahead)', async () => {
    service = await startService(dir);
    const url = new URL(service.base);
    const socket = connect(Number(url.port), url.hostname);
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    const socketClosed = new Promise<void>((resolve) => socket.once('close', () => resolve()));

    service.child.kill('SIGTERM');
    // Bounded only so that a regression fails instead of hanging: the server waited for Node's 60 s headers timeout.
    let timer: NodeJS.Timeout | undefined;
    const exit = await Promise.race([service.exited, new Promise<'still running'>((resolve) => (timer = setTimeout(() => resolve('still running'), 20_000)))]);
    clearTimeout(timer);

    expect(exit).toEqual({ code: null, signal: 'SIGTERM' });
    await socketClosed;
    expect(socket.bytesRead).toBe(0);
  }, 90_000);
});
