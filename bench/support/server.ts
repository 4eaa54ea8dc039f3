import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { Body, Controller, Get, Header, Module, Param, Post, Query } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { CommandGateway } from '../../src/api/command-gateway';
import { RecordFactDto } from '../../src/api/dto/fact.dto';
import { AssertClaimDto } from '../../src/api/dto/figure.dto';
import { ClocksDto, TimelineQueryDto } from '../../src/api/dto/query.dto';
import { ANNALS_CONFIG, loadConfig } from '../../src/config';
import { factDecider } from '../../src/domain/fact/fact';
import { createHttpApp } from '../../src/http-app';
import type { SqliteSynchronous } from '../../src/event-store/sqlite/sqlite-event-store';
import { createTestApp } from '../../test/support/app';
import { factRecorded, rng } from './data';
import { summarize, type LatencySummary } from '../stats';
import { EVENT_STORE, type EventStore, type RecordedEvent } from '../../src/event-store/event-store';
import { LiveEvents } from '../../src/subscriptions/live-events';
import type { AppliedPosition } from '../../src/projections/applied-position';
import { LimitAnswers } from './limit-answers';
import { openReadModelDatabase } from '../../src/projections/read-model-database';

/**
 * A server in its own process, so that on 2 cores the load generator and the server each have a
 * core. Both are built by createHttpApp, the production server's factory. `app`: the real AppModule
 * as createTestApp configures it, on temp files. `bare`: the same Fastify options and configureApp
 * (the same ValidationPipe) and the same DTO classes, answering constants. `limit`: a plain Fastify
 * (no Nest) answering the two as-of reads with LimitAnswers over readModelPath: the honest limit (bench/limit.ts).
 */

export interface ServerOptions {
  readonly kind: 'app' | 'bare' | 'limit';
  readonly sqlitePath?: string;
  readonly readModelPath?: string;
  readonly synchronous?: SqliteSynchronous;
  /** app: the answer cache's bound (0: off). bare: a JSON file GET /timeline answers instead of the constant, parsed or as bytes. */
  readonly answerCacheBytes?: number;
  readonly timelineAnswerFile?: string;
  readonly timelineAnswerAsBytes?: boolean;
  /**
   * bare: its write routes insert each validated body into this SQLite file (WAL, synchronous FULL, one
   * transaction and so one fsync per request), the least a durable write can do: the writes' reference.
   */
  readonly durableWritesPath?: string;
}

export type ToServer = { type: 'stop' } | { type: 'write'; rate: number; seconds: number };
export type FromServer =
  | { type: 'ready'; port: number }
  | { type: 'written'; sent: number; ok: number; failed: number; firstError?: string; seconds: number; stages?: DeliveryStages };

/** Where an in-process write's time to the SSE fan-out goes, per event (ms, p50/p99): see stageProbe. */
export interface DeliveryStages {
  /** Stamped → the store's append resolved (fold, decide, group commit, fsync). */
  readonly append: LatencySummary;
  /** Append resolved → the live fan-out's follower handed the event on (store wake, fan-out window, batching). */
  readonly follow: LatencySummary;
  /** Handed on → the read models showed it (the fan-out holds each batch until then: the projection runner). */
  readonly readModels: LatencySummary;
  /**
   * Stamped → every subscriber's feed was handed the batch (the sum of the three, plus the fan-out's queue).
   * Since branch sse-fanout a live feed writes a batch to its socket as it is handed it, so this includes the
   * 100 socket writes; before, the feeds only queued it and wrote in a later turn.
   */
  readonly toFeeds: LatencySummary;
}

const WRITE_RESULT = { id: 'x', revision: '0', position: '0', projected: true };
let TIMELINE: unknown = { asOf: null, knownAt: null, items: [], nextCursor: null };
const FIGURE = { id: 'x', name: 'x', unit: 'people', scope: { places: [] }, revision: '0', claims: [], spread: null, history: {} };

/** Set in a bare server with durableWritesPath: one insert of the body per write. */
let insertWrite: ((stream: string, body: unknown) => void) | undefined;

function durableWrites(path: string, synchronous: SqliteSynchronous = 'full'): (stream: string, body: unknown) => void {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${synchronous === 'normal' ? 'NORMAL' : 'FULL'}`);
  db.exec('CREATE TABLE IF NOT EXISTS writes (position INTEGER PRIMARY KEY, stream TEXT NOT NULL, body TEXT NOT NULL)');
  const insert = db.prepare('INSERT INTO writes (stream, body) VALUES (?, ?)');
  return (stream, body) => void insert.run(stream, JSON.stringify(body));
}

@Controller()
class BareController {
  @Post('facts')
  record(@Body() body: RecordFactDto) {
    insertWrite?.('fact', body);
    return WRITE_RESULT;
  }

  @Post('figures/:id/claims')
  assert(@Param('id') id: string, @Body() body: AssertClaimDto) {
    insertWrite?.(`figure-${id}`, body);
    return WRITE_RESULT;
  }

  @Get('timeline')
  @Header('content-type', 'application/json; charset=utf-8')
  timeline(@Query() _query: TimelineQueryDto) {
    return TIMELINE;
  }

  @Get('figures/:id')
  figure(@Param('id') _id: string, @Query() _query: ClocksDto) {
    return FIGURE;
  }
}

// configureApp's security headers read the typed config (CORS origins, TLS): the defaults, as the real app has them.
@Module({ controllers: [BareController], providers: [{ provide: ANNALS_CONFIG, useValue: loadConfig({}) }] })
class BareModule {}

async function bareApp(): Promise<NestFastifyApplication> {
  // Built by the same factory as the real app (same Fastify options, same configureApp), on another module.
  return createHttpApp(loadConfig({}), { module: BareModule });
}

function realApp(options: ServerOptions): Promise<NestFastifyApplication> {
  return createTestApp({
    sqlitePath: options.sqlitePath,
    readModelPath: options.readModelPath,
    sqliteSynchronous: options.synchronous ?? 'full',
    ...(options.answerCacheBytes === undefined ? {} : { answerCacheBytes: options.answerCacheBytes }),
    // The service's own timers, not the tests' short ones: a checkpoint signed (and its file synced) every
    // 100 ms was a tenth of a write's CPU in the profile, ten times what a deployed server spends on it.
    timers: loadConfig({}).timers,
    // The rate limit stays on (it is part of the app) but high enough never to answer 429.
    auth: { rateLimitsPerMinute: { reads: 1_000_000_000, writes: 1_000_000_000, auth: 1_000_000_000 } },
  });
}

/**
 * Records facts through the command path (CommandGateway, as a controller does) at `rate` per
 * second: the fallback when HTTP cannot carry the load on this machine. Each summary holds the
 * send time for the subscription benchmark.
 */
let writes = 0;

/**
 * Times each written event at the stages between its stamp and the subscribers' feeds by wrapping
 * this app's own objects (the store's append, the live fan-out's handing on and its read-model wait),
 * never their code: the delivery latency's share that waits on the store, the fan-out's batching and
 * the read models, against what is left for the feeds and sockets (the client's latency minus toFeeds).
 */
interface Probe {
  take(): DeliveryStages;
}

let probe: Probe | undefined;

function stageProbe(app: NestFastifyApplication): Probe {
  const store = app.get<EventStore>(EVENT_STORE);
  const live = app.get(LiveEvents) as unknown as Pick<LiveEvents, 'listen'> & { fanOut(events: readonly RecordedEvent[]): void; applied: AppliedPosition };
  const committedAt = new Map<bigint, number>();
  const stages = { append: [] as number[], follow: [] as number[], readModels: [] as number[], toFeeds: [] as number[] };
  const append = store.appendToStream.bind(store);
  store.appendToStream = async (...args) => {
    const result = await append(...args);
    committedAt.set(result.position, performance.timeOrigin + performance.now());
    return result;
  };
  const stamps = new Map<bigint, { sent: number; handedOn: number }>();
  const fanOut = live.fanOut.bind(live);
  live.fanOut = (events) => {
    const at = performance.timeOrigin + performance.now();
    for (const event of events) {
      const match = /sent=([\d.]+);/.exec(String((event.data as { summary?: unknown }).summary));
      const committed = committedAt.get(event.position);
      committedAt.delete(event.position);
      if (!match || committed === undefined) continue;
      const sent = Number(match[1]);
      stages.append.push(committed - sent);
      stages.follow.push(at - committed);
      stamps.set(event.position, { sent, handedOn: at });
    }
    fanOut(events);
  };
  const applied = live.applied;
  const waitFor = applied.waitFor.bind(applied);
  live.applied = Object.assign(Object.create(applied) as AppliedPosition, {
    waitFor: async (position: bigint, timeoutMs: number) => {
      const reached = await waitFor(position, timeoutMs);
      const at = performance.timeOrigin + performance.now();
      for (const [p, stamp] of stamps) if (p <= position) stages.readModels.push(at - stamp.handedOn);
      return reached;
    },
  });
  // Listening after every subscriber's feed (a Set keeps its order): called once they all hold (now: have written) the batch.
  live.listen((events) => {
    const at = performance.timeOrigin + performance.now();
    for (const event of events) {
      const stamp = stamps.get(event.position);
      if (stamp === undefined) continue;
      stamps.delete(event.position);
      stages.toFeeds.push(at - stamp.sent);
    }
  });
  return {
    take() {
      const taken = { append: summarize(stages.append), follow: summarize(stages.follow), readModels: summarize(stages.readModels), toFeeds: summarize(stages.toFeeds) };
      for (const samples of Object.values(stages)) samples.length = 0;
      return taken;
    },
  };
}

async function writeInProcess(app: NestFastifyApplication, rate: number, seconds: number): Promise<FromServer> {
  const gateway = app.get(CommandGateway);
  probe ??= stageProbe(app);
  probe.take();
  const r = rng(99 + writes);
  let sent = 0;
  let ok = 0;
  let failed = 0;
  let firstError: string | undefined;
  const pending = new Set<Promise<void>>();
  const started = performance.now();
  while (performance.now() - started < seconds * 1000) {
    const due = Math.floor(((performance.now() - started) / 1000) * rate);
    for (; sent < due; sent++) {
      const id = `inproc-${(writes++).toString(36)}`;
      const fact = factRecorded(r, id, `sse-bench sent=${(performance.timeOrigin + performance.now()).toFixed(3)};`);
      const write = gateway.execute(factDecider, { type: 'RecordFact', ...fact }, id, { actor: 'bench' }).then(
        () => void ok++,
        (error: unknown) => {
          failed++;
          firstError ??= String(error);
        },
      );
      pending.add(write);
      void write.finally(() => pending.delete(write));
    }
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  await Promise.all(pending);
  const elapsed = (performance.now() - started) / 1000;
  // Let the last batches reach the feeds before the stages are read.
  await new Promise((resolve) => setTimeout(resolve, 100));
  return { type: 'written', sent, ok, failed, firstError, seconds: elapsed, stages: probe.take() };
}

/** Fastify alone: the least a server can do to answer these two reads (a day checked, the text sent). */
async function limitServer(options: ServerOptions): Promise<{ listen: () => Promise<number>; close: () => Promise<void> }> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- Nest's own Fastify, the one the app runs on
  const fastify = require('fastify') as typeof import('fastify').default;
  const answers = new LimitAnswers(openReadModelDatabase(options.readModelPath ?? ''));
  const server = fastify({ logger: false });
  const day = (query: unknown) => {
    const asOf = (query as { asOf?: unknown }).asOf;
    return typeof asOf === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(asOf) ? asOf : undefined;
  };
  const JSON_TYPE = 'application/json; charset=utf-8';
  server.get('/timeline', (request, reply) => {
    const asOf = day(request.query);
    if (asOf === undefined) return reply.code(400).send();
    return reply.type(JSON_TYPE).send(answers.timeline(asOf));
  });
  server.get<{ Params: { id: string } }>('/figures/:id', (request, reply) => {
    const asOf = day(request.query);
    const answer = asOf === undefined ? undefined : answers.figure(request.params.id, asOf);
    if (answer === undefined) return reply.code(asOf === undefined ? 400 : 404).send();
    return reply.type(JSON_TYPE).send(answer);
  });
  return {
    listen: async () => {
      await server.listen({ port: 0, host: '127.0.0.1' });
      return (server.server.address() as { port: number }).port;
    },
    close: () => server.close(),
  };
}

async function main(): Promise<void> {
  const options = JSON.parse(process.env.BENCH_SERVER ?? '{}') as ServerOptions;
  if (options.timelineAnswerFile) {
    const file = readFileSync(options.timelineAnswerFile);
    TIMELINE = options.timelineAnswerAsBytes ? file : JSON.parse(file.toString('utf8'));
  }
  if (options.durableWritesPath) insertWrite = durableWrites(options.durableWritesPath, options.synchronous);
  if (options.kind === 'limit') {
    const limit = await limitServer(options);
    const port = await limit.listen();
    process.on('message', (message: ToServer) => {
      if (message.type === 'stop') void limit.close().finally(() => process.exit(0));
    });
    process.on('disconnect', () => process.exit(0));
    process.send?.({ type: 'ready', port } satisfies FromServer);
    return;
  }
  const app = options.kind === 'bare' ? await bareApp() : await realApp(options);
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as { port: number };
  const send = (message: FromServer) => process.send?.(message);
  process.on('message', (message: ToServer) => {
    if (message.type === 'stop') {
      void app.close().finally(() => process.exit(0));
    } else if (message.type === 'write') {
      void writeInProcess(app, message.rate, message.seconds).then(send);
    }
  });
  process.on('disconnect', () => process.exit(0));
  send({ type: 'ready', port });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
