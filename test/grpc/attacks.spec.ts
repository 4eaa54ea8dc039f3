import { binaryEvent, EventStoreDBClient, jsonEvent, START } from '@eventstore/db-client';
import { Client, credentials, Metadata, status, type ServiceError } from '@grpc/grpc-js';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { EVENT_STORE, type EventStore } from '../../src/event-store/event-store';
import { eventIdFromKey, idFromKey } from '../../src/event-store/handle-command';
import { domainEventOf, isServiceDerivedId, isServiceEventType, isServiceStream } from '../../src/event-store/stream-ownership';
import { GrpcEndpoint } from '../../src/grpc/grpc.module';
import { ReadModels } from '../../src/projections/read-models';
import { createTestApp } from '../support/app';
import { claimBody, factBody, figureBody } from '../support/factories';

/**
 * The EventStoreDB gRPC surface under attack, through the real app (SQLite :memory:): fast-check
 * drives the official client (Append and BatchAppend) at reserved streams, domain and service
 * types, forged metadata, derived ids, binary and oversized payloads, and a raw grpc-js client
 * sends malformed frames to every method; then hundreds of subscriptions open and close at once.
 * Afterwards the domain's HTTP answers are what they were, the read models never applied or
 * stopped on anything from outside, and a new write still projects.
 *
 * ATTACK_RUNS scales the number of calls (default 500 client appends, twice as many raw-frame calls).
 */

const RUNS = Number(process.env.ATTACK_RUNS) || 500;
/** Raw frames cost a few milliseconds each: twice as many. */
const RAW_RUNS = 2 * RUNS;
const SUBSCRIPTIONS = 300;
const counts = { calls: 0, appends: 0, rawFrames: 0, subscriptions: 0, accepted: 0, refused: 0, reached: 0, stopped: 0, serverErrors: 0 };

const STREAMS = 'event_store.client.streams.Streams';
/** What grpc-js itself answers to a frame it cannot decode: a refusal of the input, not a fault of the server's code. */
const UNDECODABLE = /deserializ|parse|Request message serialization failure|Invalid/i;

const domainType = fc.constantFrom('FactRecorded', 'FactCorrected', 'FactRetracted', 'FigureDefined', 'ClaimAsserted', 'ClaimCorrected', 'ClaimRetracted', 'ClaimRanked');
const serviceType = fc.constantFrom('IntegrityMismatchAcknowledged', 'factcorrected', 'FACTRECORDED', 'claimAsserted');
const userType = fc.stringMatching(/^[A-Za-z][A-Za-z0-9_.-]{0,30}$/);
const oddType = fc.constantFrom('', '$>', '$metadata', '1Bad', 'a'.repeat(101), 'Fact Recorded', '\u0000');
const eventType = fc.oneof({ weight: 2, arbitrary: domainType }, { weight: 1, arbitrary: serviceType }, { weight: 4, arbitrary: userType }, { weight: 1, arbitrary: oddType });

const reservedStream = fc.oneof(
  fc.uuid().map((id) => `fact-${id}`),
  fc.uuid().map((id) => `figure-${id}`),
  fc.constantFrom('annals-integrity', 'Annals-integrity', 'annals-keys', 'keys-1', 'watch-1', 'watches', 'lease-x', 'fact', 'FIGURE-1'),
);
const userStream = fc.stringMatching(/^[a-z][a-z0-9]{0,10}$/).map((name) => (['fact', 'figure', 'annals', 'key', 'keys', 'watch', 'watches', 'lease', 'leases', 'session', 'sessions'].includes(name) ? `user${name}` : name)).chain((name) => fc.constantFrom(`${name}-1`, `notes-${name}`, name));
const oddStream = fc.constantFrom('', '$all', '$$fact-1', '$ce-fact', '-fact', 'a'.repeat(201), 'fact\u0000-1', 'ünïcode-1');
const streamName = fc.oneof({ weight: 2, arbitrary: reservedStream }, { weight: 5, arbitrary: userStream }, { weight: 1, arbitrary: oddStream });

const eventId = fc.oneof(
  { weight: 8, arbitrary: fc.constant(undefined) },
  { weight: 1, arbitrary: fc.tuple(fc.string(), fc.uuid()).map(([key, id]) => eventIdFromKey('anonymous', key, `fact-${id}`, 0)) },
  { weight: 1, arbitrary: fc.tuple(fc.string(), fc.uuid()).map(([key, id]) => idFromKey(key, `fact-${id}`, 0)) },
);
const payload = fc.oneof(
  { weight: 24, arbitrary: fc.record({ kind: fc.constant('json' as const), data: fc.oneof(fc.object(), fc.record({ factId: fc.string(), title: fc.string(), changes: fc.object() })) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('binary' as const), bytes: fc.uint8Array({ maxLength: 2048 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('json-not-object' as const), data: fc.oneof(fc.string(), fc.integer(), fc.array(fc.integer()), fc.constant(null)) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('oversized' as const), size: fc.integer({ min: 1_050_000, max: 1_300_000 }) }) },
);
const forgedMetadata = fc.oneof(fc.constant(undefined), fc.record({ actor: fc.constantFrom('chief-editor', 'admin'), hash: fc.stringMatching(/^[0-9a-f]{0,64}$/), prevHash: fc.constant(null) }));
const appendAttack = fc.record({
  stream: streamName,
  events: fc.array(fc.record({ type: eventType, id: eventId, payload, metadata: forgedMetadata }), { minLength: 1, maxLength: 3 }),
  // Per-call credentials make the client use Append rather than BatchAppend.
  viaAppend: fc.boolean(),
  expectedRevision: fc.oneof({ weight: 6, arbitrary: fc.constant('any' as const) }, { weight: 1, arbitrary: fc.constantFrom('no_stream' as const, 'stream_exists' as const, 0n, 5n) }),
});
const method = fc.constantFrom('Append', 'BatchAppend', 'Read', 'Delete', 'Tombstone', 'Nonexistent');
const rawAttack = fc.record({ method, frames: fc.array(fc.uint8Array({ maxLength: 512 }), { minLength: 0, maxLength: 3 }) });

describe('attacks on the gRPC surface', () => {
  let app: NestFastifyApplication;
  let client: EventStoreDBClient;
  let raw: Client;
  let store: EventStore;
  let headBefore: bigint;
  const snapshot: Record<string, unknown> = {};
  const http = () => request(app.getHttpServer());
  const reads: string[] = [];

  beforeAll(async () => {
    app = await createTestApp({ grpc: { host: '127.0.0.1', port: 0 } });
    const port = app.get(GrpcEndpoint).port;
    client = EventStoreDBClient.connectionString(`esdb://127.0.0.1:${port}?tls=false`);
    raw = new Client(`127.0.0.1:${port}`, credentials.createInsecure());
    store = app.get<EventStore>(EVENT_STORE);
    for (let i = 0; i < 3; i++) {
      const fact = (await http().post('/facts').send(factBody()).expect(201)).body.id as string;
      reads.push(`/facts/${fact}`, `/facts/${fact}/history`);
    }
    const figure = (await http().post('/figures').send(figureBody()).expect(201)).body.id as string;
    await http().post(`/figures/${figure}/claims`).send(claimBody()).expect(201);
    reads.push(`/figures/${figure}`, `/figures/${figure}/history`, '/timeline', '/figures');
    for (const url of reads) snapshot[url] = withoutReceipts((await http().get(url).expect(200)).body);
    headBefore = await store.headPosition();
  });
  afterAll(async () => {
    console.log(
      `attacks: ${counts.calls} gRPC calls (${counts.appends} client appends, ${counts.accepted} accepted into the user namespace, ${counts.refused} refused; ` +
        `${counts.rawFrames} raw-frame calls; ${counts.subscriptions} subscriptions), ${counts.reached} reached the read models, ` +
        `${counts.stopped} stopped them, ${counts.serverErrors} server errors`,
    );
    raw?.close();
    await client?.dispose();
    await app?.close();
  });

  it('the official client: reserved streams, domain and service types, derived ids, binary and oversized payloads are refused or stay in the user namespace', async () => {
    await fc.assert(
      fc.asyncProperty(appendAttack, async (attack) => {
        counts.calls++;
        counts.appends++;
        const events = attack.events.map((e) => toProposed(e));
        const reserved =
          isServiceStream(attack.stream) ||
          attack.events.some((e) => isServiceEventType(e.type) || (e.id !== undefined && isServiceDerivedId(e.id)));
        try {
          await client.appendToStream(attack.stream, events, {
            expectedRevision: attack.expectedRevision,
            ...(attack.viaAppend ? { credentials: { username: 'anyone', password: 'x' } } : {}),
          });
          counts.accepted++;
          expect({ accepted: true, reserved, attack: summary(attack) }).toEqual({ accepted: true, reserved: false, attack: summary(attack) });
        } catch (error) {
          counts.refused++;
          const code = (error as { code?: number }).code;
          const type = (error as { type?: string }).type;
          // The v6 client names only some of BatchAppend's in-band details; a BadRequest it reads as "Could not recognize BadRequest: …".
          const unnamedRefusal = type === 'unknown' && /^Could not recognize (BadRequest|AccessDenied)/.test((error as Error).message);
          // The status code the server sent decides; the client's error class only when it kept none.
          const serverError = code !== undefined ? code === status.INTERNAL || code === status.UNKNOWN : type === 'unknown' && !unnamedRefusal;
          if (serverError) counts.serverErrors++;
          expect({ serverError, message: (error as Error).message, attack: summary(attack) }).toEqual({ serverError: false, message: (error as Error).message, attack: summary(attack) });
        }
        if (counts.calls % 250 === 0) await probeHealth();
      }),
      { numRuns: RUNS, seed: 18 },
    );
  }, 60_000);

  it('raw frames: malformed and truncated messages to every method answer a status, never a crash', async () => {
    await fc.assert(
      fc.asyncProperty(rawAttack, async ({ method, frames }) => {
        counts.calls++;
        counts.rawFrames++;
        const code = await sendRaw(raw, `/${STREAMS}/${method}`, method, frames);
        if (code.serverError) counts.serverErrors++;
        expect({ method, ...code }).toEqual({ method, serverError: false, code: code.code, details: code.details });
        if (counts.calls % 250 === 0) await probeHealth();
      }),
      { numRuns: RAW_RUNS, seed: 18 },
    );
  }, 60_000);

  it(`${SUBSCRIPTIONS} subscriptions open at once are confirmed and closed within seconds, and the server keeps serving`, async () => {
    const started = Date.now();
    const subscriptions = Array.from({ length: SUBSCRIPTIONS }, (_, i) =>
      i % 2 === 0 ? client.subscribeToAll({ fromPosition: START }) : client.subscribeToStream(i % 4 === 1 ? 'annals-integrity' : `notes-${i}`, { fromRevision: START }),
    );
    counts.calls += SUBSCRIPTIONS;
    counts.subscriptions += SUBSCRIPTIONS;
    await Promise.all(subscriptions.map((s) => new Promise<void>((resolve) => s.once('confirmation', () => resolve()))));
    await Promise.all(subscriptions.map((s) => s.unsubscribe()));
    expect(Date.now() - started).toBeLessThan(15_000);
    await probeHealth();
  }, 30_000);

  it('afterwards: the HTTP answers are unchanged, nothing from outside reached the read models, and a new write projects', async () => {
    for (const url of reads) expect({ url, body: withoutReceipts((await http().get(url).expect(200)).body) }).toEqual({ url, body: snapshot[url] });
    const db = app.get(ReadModels).db;
    const applied = db
      .prepare('SELECT (SELECT count(*) FROM fact_versions WHERE position > ?) + (SELECT count(*) FROM claim_versions WHERE position > ?) + (SELECT count(*) FROM figures WHERE position > ?)')
      .pluck()
      .get(headBefore, headBefore, headBefore) as number;
    const log = await store.readAll({ fromPosition: headBefore + 1n });
    const intoReserved = log.filter((e) => domainEventOf(e) || isServiceStream(e.streamId) || isServiceEventType(e.type) || isServiceDerivedId(e.id)).length;
    counts.reached += applied + intoReserved;
    expect({ applied, intoReserved }).toEqual({ applied: 0, intoReserved: 0 });
    expect(log.length).toBe(counts.accepted === 0 ? 0 : log.length);
    await probeHealth();
    const fact = factBody();
    expect((await http().post('/facts').send(fact).expect(201)).body.projected).toBe(true);
    await http().get(`/facts/${fact.id}`).expect(200);
    expect(counts.stopped).toBe(0);
    expect(counts.serverErrors).toBe(0);
  });

  /** Counts a read model stopped: /health down, or the runner failed. */
  async function probeHealth(): Promise<void> {
    const health = await http().get('/health');
    const projections = health.body?.details?.projections;
    if (health.status !== 200 || projections?.status !== 'up' || projections?.error) counts.stopped++;
  }
});

type Attack = typeof appendAttack extends fc.Arbitrary<infer A> ? A : never;

function toProposed(e: Attack['events'][number]) {
  const id = e.id ?? randomUUID();
  const metadata = e.metadata;
  switch (e.payload.kind) {
    case 'json':
      return jsonEvent({ id, type: e.type, data: e.payload.data, ...(metadata ? { metadata } : {}) });
    case 'json-not-object':
      return jsonEvent({ id, type: e.type, data: e.payload.data as never });
    case 'binary':
      return binaryEvent({ id, type: e.type, data: e.payload.bytes });
    case 'oversized':
      return jsonEvent({ id, type: e.type, data: { blob: 'x'.repeat(e.payload.size) } });
  }
}

function summary(attack: Attack): string {
  return JSON.stringify({ stream: attack.stream, events: attack.events.map((e) => ({ type: e.type, id: e.id, kind: e.payload.kind })), viaAppend: attack.viaAppend });
}

/** Receipts name the checkpoint an answer was computed at, which moves as the user namespace grows. */
function withoutReceipts(body: unknown): unknown {
  return JSON.parse(JSON.stringify(body, (key, value: unknown) => (['receipt', 'checkpoint', 'headPosition', 'position'].includes(key) && typeof value !== 'object' ? undefined : key === 'receipt' ? undefined : value)));
}

/** One call with raw bytes for frames, in the method's own shape (unary, client stream, server stream, bidi). */
function sendRaw(raw: Client, path: string, method: string, frames: Uint8Array[]): Promise<{ serverError: boolean; code: number; details: string }> {
  const serialize = (b: Uint8Array) => Buffer.from(b);
  const deserialize = (b: Buffer) => b;
  const deadline = Date.now() + 3000;
  return new Promise((resolve) => {
    const settle = (error: ServiceError | null) => {
      const code = error?.code ?? status.OK;
      const details = error?.details ?? '';
      // grpc-js answers INTERNAL itself to a frame it cannot decode: that is a refusal of the input.
      const serverError = code === status.UNKNOWN || (code === status.INTERNAL && !UNDECODABLE.test(details));
      resolve({ serverError, code, details: serverError ? details : '' });
    };
    if (method === 'Read' || method === 'Delete' || method === 'Tombstone' || method === 'Nonexistent') {
      if (method === 'Read') {
        const call = raw.makeServerStreamRequest(path, serialize, deserialize, Buffer.from(frames[0] ?? []), new Metadata(), { deadline });
        call.on('data', () => call.cancel());
        call.on('error', (e: ServiceError) => settle(e.code === status.CANCELLED ? null : e));
        call.on('end', () => settle(null));
        return;
      }
      raw.makeUnaryRequest(path, serialize, deserialize, Buffer.from(frames[0] ?? []), new Metadata(), { deadline }, (e) => settle(e));
      return;
    }
    if (method === 'Append') {
      const call = raw.makeClientStreamRequest(path, serialize, deserialize, new Metadata(), { deadline }, (e) => settle(e));
      for (const frame of frames) call.write(frame);
      call.end();
      return;
    }
    const call = raw.makeBidiStreamRequest(path, serialize, deserialize, new Metadata(), { deadline });
    call.on('data', () => undefined);
    call.on('error', (e: ServiceError) => settle(e));
    call.on('end', () => settle(null));
    for (const frame of frames) call.write(frame);
    call.end();
  });
}
