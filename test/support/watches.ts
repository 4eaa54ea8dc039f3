import type { INestApplicationContext } from '@nestjs/common';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EVENT_STORE, type EventStore } from '../../src/event-store/event-store';
import type { SharedWatches } from '../../src/watches/shared-watches';
import { WatchEngine } from '../../src/watches/watch-engine';
import { SHARED_WATCHES } from '../../src/watches/watches.module';

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until `check` answers something other than undefined; fails after `ms` (a hang is a failure, not a timing claim). */
export async function eventually<T>(check: () => Promise<T | undefined> | T | undefined, what: string, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** Resolves once the watch engine has evaluated every event in the log: after it, no notice for those events can still come. */
export async function watchesSettled(app: INestApplicationContext): Promise<void> {
  const store = app.get<EventStore>(EVENT_STORE);
  const engine = app.get(WatchEngine);
  const head = await store.headPosition();
  await eventually(() => (engine.evaluated >= head ? true : undefined), `the watch engine to reach position ${head}`);
  // Beside a shared engine the lease holder evaluates the watches: settled once its record of them is applied here.
  const shared = app.get<SharedWatches | null>(SHARED_WATCHES, { strict: false });
  if (shared) await eventually(async () => ((await shared.settledThrough(head)) ? true : undefined), `the watch lease holder's evaluation to reach the last domain event at or before ${head}`);
}

export interface Received {
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** A real webhook receiver on 127.0.0.1: records every POST and answers `status`. */
export class Receiver {
  readonly received: Received[] = [];
  status = 204;
  private server: Server | undefined;

  constructor(private port = 0) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}/hook`;
  }

  async start(): Promise<this> {
    this.server = createServer((request, response) => {
      let body = '';
      request.setEncoding('utf8');
      request.on('data', (chunk: string) => (body += chunk));
      request.on('end', () => {
        this.received.push({ headers: request.headers, body });
        response.writeHead(this.status).end();
      });
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
