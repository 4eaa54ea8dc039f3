import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import fc from 'fast-check';
import { get, type IncomingMessage } from 'node:http';
import { connect } from 'node:net';
import { gzipSync } from 'node:zlib';
import { EVENT_STORE, type EventStore } from '../../src/event-store/event-store';
import { createTestApp } from '../support/app';
import { claimBody, correctionBody, factBody, figureBody } from '../support/factories';

/**
 * Property-based fuzzing of every write endpoint and every query parameter through the real app
 * (SQLite :memory:): malformed JSON, wrong types, deep nesting, huge strings, odd Unicode,
 * impossible dates, unknown and prototype-named fields, bad headers. Every answer is a 2xx or a
 * 4xx problem+json, never a 5xx; a refused request leaves the log's head where it was, and a
 * write that succeeds moves it (or is the replay of an idempotent one).
 *
 * FUZZ_RUNS sets the number of requests (default 4,000: every generator's branch many times over, each run
 * with a new seed; the suite proves a property, it is not a benchmark) for a longer run.
 */

const RUNS = Number(process.env.FUZZ_RUNS) || 4_000;
const PROBLEM = /^application\/problem\+json/;

interface FuzzRequest {
  readonly method: 'GET' | 'POST' | 'HEAD';
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly payload?: string | Buffer;
}

interface Answer {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
}

const histogram = new Map<string, number>();
const counts = { requests: 0, writes: 0, reads: 0, streams: 0, succeeded: 0, refused: 0, serverErrors: 0, headMoved: 0, rawSocket: 0 };

// ---- values a hostile client sends -------------------------------------------------------------

const oddText = fc.oneof(
  fc.constantFrom(
    '',
    ' ',
    '\u200b',
    '\u200b\u200c\u200d\u2060\ufeff',
    '\u202e\u202d',
    '\ud800',
    'a\udfffb',
    '\u0000',
    '\u00ad',
    '%',
    '%00',
    '../../etc/passwd',
    '<script>alert(1)</script>',
    "'; DROP TABLE events; --",
    'javascript:alert(1)',
    'ftp://example.org/x',
    'https://',
    'https://example.org/\u202e',
  ),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.nat({ max: 300_000 }).map((n) => 'x'.repeat(n)),
);

const oddDate = fc.oneof(
  fc.constantFrom('2019-02-30', '2019-13-01', '2019-00', '0000', '9999-99-99', '2019-02-29', '-2019', '+002019', '2019-1-1', '20190101', '2019-06-31'),
  fc.tuple(fc.integer({ min: -1, max: 10_000 }), fc.integer({ min: -1, max: 99 }), fc.integer({ min: -1, max: 99 })).map(
    ([y, m, d]) => `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`,
  ),
  fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
);

const deep = fc.nat({ max: 3000 }).chain((levels) =>
  fc.constantFrom('{"a":', '[').map((open) => open.repeat(levels) + '1' + (open === '[' ? ']' : '}').repeat(levels)),
);

/** A JSON-able value of any type: the wrong type for almost every field. */
const oddValue: fc.Arbitrary<unknown> = fc.oneof(
  oddText,
  oddDate,
  fc.constantFrom(null, true, false, 0, -1, -0, 1.5, 1e308, -1e308, 2 ** 53 + 1, [], {}, [null], { kind: 'exact' }),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.jsonValue({ maxDepth: 4 }),
  fc.constantFrom('constructor', 'toString', '__proto__').map((key) => JSON.parse(`{"${key}":{"prototype":{"x":1}}}`)),
);

const fieldName = fc.oneof(
  fc.constantFrom('constructor', 'toString', 'valueOf', 'hasOwnProperty', '__proto__', 'prototype', 'isPrototypeOf', '__defineGetter__', 'colour', '', ' '),
  fc.string({ maxLength: 12 }),
);

// ---- bodies ------------------------------------------------------------------------------------

type Json = Record<string, unknown>;

/** Every path (as keys) in a JSON object, so that a mutation can reach any nested field. */
function paths(value: unknown, prefix: string[] = []): string[][] {
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, child]) => [[...prefix, key], ...paths(child, [...prefix, key])]);
}

type Mutation = { kind: 'none' } | { kind: 'set'; at: number; value: unknown } | { kind: 'delete'; at: number } | { kind: 'add'; at: number; key: string; value: unknown };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 6, arbitrary: fc.constant({ kind: 'none' as const }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: oddValue }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('add' as const), at: fc.nat(), key: fieldName, value: oddValue }) },
);

function mutate(body: Json, change: Mutation): string {
  if (change.kind === 'none') return JSON.stringify(body);
  const all = paths(body);
  const path = all[change.at % all.length];
  const parent = path.slice(0, -1).reduce<Json>((node, key) => node[key] as Json, body);
  const last = path[path.length - 1];
  if (change.kind === 'set') parent[last] = change.value;
  else if (change.kind === 'delete') delete parent[last];
  else {
    const target = typeof parent[last] === 'object' && parent[last] !== null ? (parent[last] as Json) : body;
    // JSON.stringify drops a '__proto__' set by assignment: define it as an own key, as JSON.parse would.
    Object.defineProperty(target, change.key, { value: change.value, enumerable: true, writable: true, configurable: true });
  }
  return JSON.stringify(body);
}

type Endpoint = 'fact' | 'factCorrection' | 'factRetraction' | 'figure' | 'claim' | 'claimCorrection' | 'claimRetraction';

const ENDPOINTS: Endpoint[] = ['fact', 'factCorrection', 'factRetraction', 'figure', 'claim', 'claimCorrection', 'claimRetraction'];

function validBody(endpoint: Endpoint, fresh: boolean): Json {
  const id = fresh ? {} : { id: undefined };
  switch (endpoint) {
    case 'fact':
      return { ...factBody(), ...id } as Json;
    case 'figure':
      return { ...figureBody(), ...id } as Json;
    case 'claim':
      return { ...claimBody({ claimant: fresh ? 'Airwars' : 'CJTF-OIR' }), ...id } as Json;
    case 'factCorrection':
      return correctionBody({ title: `Corrected ${Math.random()}`, validTime: { at: '2014-09' } });
    case 'claimCorrection':
      return correctionBody({ value: { kind: 'exact', value: Math.floor(Math.random() * 1e6) } });
    default:
      return { reason: 'withdrawn by the desk' };
  }
}

const body = fc.oneof(
  { weight: 6, arbitrary: fc.record({ shape: fc.constant('valid' as const), fresh: fc.boolean(), change: mutation }) },
  { weight: 1, arbitrary: fc.record({ shape: fc.constant('raw' as const), text: fc.json({ maxDepth: 5 }) }) },
  { weight: 1, arbitrary: fc.record({ shape: fc.constant('raw' as const), text: deep }) },
  { weight: 1, arbitrary: fc.record({ shape: fc.constant('raw' as const), text: fc.string({ unit: 'binary', maxLength: 200 }) }) },
  { weight: 1, arbitrary: fc.record({ shape: fc.constant('truncated' as const), at: fc.nat() }) },
);

// ---- headers -----------------------------------------------------------------------------------

const headerText = fc.oneof(fc.string({ unit: 'binary-ascii', maxLength: 30 }), fc.nat({ max: 400 }).map((n) => 'k'.repeat(n)));
const printable = (value: string) => value.replace(/[^\x20-\x7e\xa0-\xff]/g, '?');

/** Mostly what a well-behaved client sends, so that some writes succeed; sometimes anything. */
const usually = <T>(benign: fc.Arbitrary<T>, hostile: fc.Arbitrary<T>) => fc.oneof({ weight: 6, arbitrary: benign }, { weight: 1, arbitrary: hostile });

const headers = fc.record(
  {
    'content-type': usually(
      fc.constantFrom('application/json', 'application/json; charset=utf-8'),
      fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', 'application/jsonx', 'multipart/form-data; boundary=x', 'application/json; charset=latin1', ''),
    ),
    'content-encoding': usually(fc.constantFrom('', 'identity', 'gzip-real'), fc.constantFrom('gzip', 'br', 'deflate', 'compress', 'gzip, gzip', 'GZIP')),
    'if-match': usually(fc.constantFrom('', '', '', '"0"', '"1"', '*'), fc.oneof(fc.constantFrom('W/"0"', '"99999999999999999999"', '"-1"', '0', 'abc', '""'), headerText)),
    'idempotency-key': usually(fc.constantFrom('', '', '', 'key-1', 'key-2'), headerText),
    'x-correlation-id': usually(fc.constant(''), headerText),
    'x-actor': usually(fc.constant('fuzzer'), headerText),
  },
  { requiredKeys: ['content-type'] },
);

/** A POST to one of the write endpoints, on a known, unknown or odd id. */
function writeRequest(ids: Ids): fc.Arbitrary<FuzzRequest> {
  const id = (known: string[]) => fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...known) }, { weight: 1, arbitrary: fc.constantFrom('no-such-id', '%E0%A4%A', 'x'.repeat(150), '..', '%2e%2e', 'UPPER', encodeURIComponent('\u202e')) });
  return fc
    .record({ endpoint: fc.constantFrom(...ENDPOINTS), fact: id(ids.facts), figure: id(ids.figures), claim: id(ids.claims), body, headers })
    .map(({ endpoint, fact, figure, claim, body, headers }) => {
      const url = {
        fact: '/facts',
        factCorrection: `/facts/${fact}/corrections`,
        factRetraction: `/facts/${fact}/retraction`,
        figure: '/figures',
        claim: `/figures/${figure}/claims`,
        claimCorrection: `/figures/${figure}/claims/${claim}/corrections`,
        claimRetraction: `/figures/${figure}/claims/${claim}/retraction`,
      }[endpoint];
      let text: string;
      if (body.shape === 'valid') text = mutate(validBody(endpoint, body.fresh), body.change);
      else if (body.shape === 'raw') text = body.text;
      else {
        const whole = JSON.stringify(validBody(endpoint, true));
        text = whole.slice(0, body.at % whole.length);
      }
      const sent: Record<string, string> = {};
      for (const [name, value] of Object.entries(headers)) if (value !== '' && value !== undefined) sent[name] = printable(value);
      let payload: string | Buffer = text;
      if (sent['content-encoding'] === 'gzip-real') {
        sent['content-encoding'] = 'gzip';
        payload = gzipSync(Buffer.from(text));
      }
      return { method: 'POST' as const, url, headers: sent, payload };
    });
}

// ---- queries -----------------------------------------------------------------------------------

const queryValue = fc.oneof(
  oddText.map((t) => t.slice(0, 2000)),
  oddDate,
  fc.constantFrom('%ED%A0%80', '%FF', '%', '%%41', '9223372036854775807', '9223372036854775808', '-1', '-0', '0', '1e3', '0x10', '1.5', 'NaN', 'Infinity', 'true', 'false', '2026-01-01T00:00:00Z', '2026-01-01T25:00:00Z', 'asc', 'desc'),
  fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map(String),
);

const PARAMS: Record<string, string[]> = {
  timeline: ['asOf', 'knownAt', 'from', 'to', 'tag', 'entity', 'text', 'limit', 'cursor', 'order', 'includeRetracted'],
  fact: ['knownAt'],
  history: [],
  figures: ['asOf', 'knownAt', 'limit', 'offset'],
  figure: ['asOf', 'knownAt'],
  events: ['from', 'types', 'streams'],
};

const query = (names: string[]) =>
  fc
    .array(fc.tuple(fc.oneof({ weight: 5, arbitrary: names.length ? fc.constantFrom(...names) : fieldName }, { weight: 1, arbitrary: fieldName }), queryValue, fc.boolean()), {
      maxLength: 4,
    })
    // Raw (unencoded) values too: a stray % or & is what a careless client sends.
    .map((pairs) => pairs.map(([name, value, encode]) => `${urlEncode(name)}=${encode ? urlEncode(value) : value.replace(/[#\s]/g, '').replace(/[^\x21-\x7e]/g, urlEncode)}`).join('&'));

/** encodeURIComponent throws on a lone surrogate; such a string travels as the UTF-8 of U+FFFD, as a browser sends it. */
const urlEncode = (text: string) => encodeURIComponent(Buffer.from(text).toString());

function readRequest(ids: Ids): fc.Arbitrary<FuzzRequest> {
  const id = (known: string[]) => fc.oneof(fc.constantFrom(...known, 'no-such-id', 'x'.repeat(150), '%E0%A4%A', '%00'), fc.string({ maxLength: 10 }).map(urlEncode));
  return fc.oneof(
    query(PARAMS.timeline).map((q) => ({ path: '/timeline', q })),
    fc.tuple(id(ids.facts), query(PARAMS.fact)).map(([f, q]) => ({ path: `/facts/${f}`, q })),
    fc.tuple(id(ids.facts), query(PARAMS.history)).map(([f, q]) => ({ path: `/facts/${f}/history`, q })),
    query(PARAMS.figures).map((q) => ({ path: '/figures', q })),
    fc.tuple(id(ids.figures), query(PARAMS.figure)).map(([f, q]) => ({ path: `/figures/${f}`, q })),
  ).map(({ path, q }) => ({ method: 'GET' as const, url: q ? `${path}?${q}` : path, headers: {} }));
}

function eventsRequest(): fc.Arbitrary<FuzzRequest> {
  return fc
    .record({ q: query(PARAMS.events), lastEventId: fc.option(queryValue, { nil: undefined }), method: fc.constantFrom('GET' as const, 'HEAD' as const) })
    .map(({ q, lastEventId, method }) => ({
      method,
      url: q ? `/events?${q}` : '/events',
      headers: lastEventId === undefined ? {} : ({ 'last-event-id': printable(lastEventId).slice(0, 1000) } as Record<string, string>),
    }));
}

interface Ids {
  facts: string[];
  figures: string[];
  claims: string[];
}

// ---- the test ----------------------------------------------------------------------------------

describe('fuzzing every endpoint', () => {
  let app: NestFastifyApplication;
  let store: EventStore;
  let port: number;
  const ids: Ids = { facts: [], figures: [], claims: [] };

  beforeAll(async () => {
    app = await createTestApp({ auth: { rateLimitsPerMinute: { reads: 1_000_000, writes: 1_000_000, auth: 1_000_000 } } });
    await app.listen(0, '127.0.0.1');
    port = (app.getHttpServer().address() as { port: number }).port;
    store = app.get<EventStore>(EVENT_STORE);
    for (let i = 0; i < 4; i++) {
      const [fact, figure] = [factBody(), figureBody()];
      const claim = claimBody();
      expect((await app.inject({ method: 'POST', url: '/facts', payload: fact })).statusCode).toBe(201);
      expect((await app.inject({ method: 'POST', url: '/figures', payload: figure })).statusCode).toBe(201);
      expect((await app.inject({ method: 'POST', url: `/figures/${figure.id}/claims`, payload: claim })).statusCode).toBe(201);
      ids.facts.push(fact.id!);
      ids.figures.push(figure.id!);
      ids.claims.push(claim.id!);
    }
  });
  afterAll(async () => {
    console.log(
      `fuzz: ${counts.requests} requests (${counts.writes} writes, ${counts.reads} reads, ${counts.streams} event-stream opens, ` +
        `${counts.rawSocket} malformed over raw sockets), ${counts.succeeded} succeeded, ${counts.refused} refused with 4xx problem+json, ` +
        `${counts.serverErrors} server errors, log unchanged by every refusal (${counts.headMoved} successful writes moved it)`,
    );
    if (process.env.FUZZ_DEBUG) console.log([...histogram].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${n} ${k}`).join('\n'));
    await app.close();
  });

  async function send(request: FuzzRequest): Promise<Answer> {
    if (request.url.startsWith('/events') && request.method === 'GET') return streamAnswer(port, request);
    const response = await app.inject({ method: request.method, url: request.url, headers: request.headers, payload: request.payload });
    return { status: response.statusCode, contentType: String(response.headers['content-type'] ?? ''), body: response.body };
  }

  /** One request, checked: never a 5xx, a refusal is problem+json and writes nothing, a success of a write writes. */
  async function check(request: FuzzRequest): Promise<void> {
    const before = await store.headPosition();
    const answer = await send(request);
    const after = await store.headPosition();
    counts.requests++;
    if (process.env.FUZZ_DEBUG) {
      const key = `${request.method} ${request.url.split('?')[0].replace(/\/[^/]+(?=\/)/g, '/:id')} ${answer.status} ${answer.status >= 400 ? JSON.parse(answer.body || '{}').code : ''}`;
      histogram.set(key, (histogram.get(key) ?? 0) + 1);
    }
    const context = `${request.method} ${request.url.slice(0, 300)} ${JSON.stringify(request.headers).slice(0, 300)}\n${String(request.payload ?? '').slice(0, 500)}\n→ ${answer.status} ${answer.body.slice(0, 500)}`;
    if (answer.status >= 500) counts.serverErrors++;
    expect({ serverError: answer.status >= 500, context }).toEqual({ serverError: false, context });
    if (answer.status >= 400) {
      counts.refused++;
      expect({ contentType: answer.contentType, context }).toEqual({ contentType: expect.stringMatching(PROBLEM), context });
      // HEAD answers carry the headers of the problem, not its body.
      if (request.method !== 'HEAD') expect(JSON.parse(answer.body)).toEqual(expect.objectContaining({ status: answer.status, title: expect.any(String), code: expect.any(String) }));
      expect({ headMoved: after !== before, context }).toEqual({ headMoved: false, context });
      return;
    }
    counts.succeeded++;
    if (request.method !== 'POST') {
      expect({ headMoved: after !== before, context }).toEqual({ headMoved: false, context });
      return;
    }
    // A successful write moved the head, unless it was the replay of an earlier one with the same Idempotency-Key.
    if (after !== before) counts.headMoved++;
    else expect({ replay: request.headers['idempotency-key'] !== undefined, context }).toEqual({ replay: true, context });
  }

  it(`answers ${RUNS} generated requests with 2xx or 4xx problem+json, never 5xx, and writes nothing it refuses`, async () => {
    const writes = Math.round(RUNS * 0.55);
    const streams = Math.round(RUNS * 0.05);
    const reads = RUNS - writes - streams;
    await fc.assert(
      fc.asyncProperty(writeRequest(ids), async (request) => {
        counts.writes++;
        await check(request);
      }),
      { numRuns: writes },
    );
    await fc.assert(
      fc.asyncProperty(readRequest(ids), async (request) => {
        counts.reads++;
        await check(request);
      }),
      { numRuns: reads },
    );
    await fc.assert(
      fc.asyncProperty(eventsRequest(), async (request) => {
        counts.streams++;
        await check(request);
      }),
      { numRuns: streams },
    );
    expect(counts.serverErrors).toBe(0);
  }, 180_000);

  it('answers malformed HTTP from a raw socket with 4xx problem+json', async () => {
    const malformed = fc.oneof(
      fc.nat({ max: 40_000 }).map((n) => `GET /timeline?q=${'a'.repeat(n + 17_000)} HTTP/1.1\r\nHost: x\r\n\r\n`),
      fc.nat({ max: 40_000 }).map((n) => `GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(n + 17_000)}\r\n\r\n`),
      fc.string({ unit: 'binary-ascii', minLength: 1, maxLength: 60 }).map((garbage) => `${garbage.replace(/[A-Z]/g, '@')} / HTTP/1.1\r\nHost: x\r\n\r\n`),
      fc.string({ unit: 'binary-ascii', maxLength: 30 }).map((garbage) => `GET / HTTP/9.${garbage.replace(/\d/g, 'x')}\r\nHost: x\r\n\r\n`),
      fc.string({ unit: 'binary-ascii', minLength: 1, maxLength: 30 }).map((name) => `GET /health HTTP/1.1\r\nHost: x\r\n${name.replace(/:/g, '')} no colon\r\n\r\n`),
      fc.constantFrom('GET\r\n\r\n', 'POST /facts HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n', 'GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n'),
    );
    await fc.assert(
      fc.asyncProperty(malformed, async (bytes) => {
        const answer = await rawRequest(port, bytes);
        counts.rawSocket++;
        counts.requests++;
        const [head, body] = [answer.slice(0, answer.indexOf('\r\n\r\n')), answer.slice(answer.indexOf('\r\n\r\n') + 4)];
        const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]);
        if (status >= 500) counts.serverErrors++;
        expect({ status: status >= 400 && status < 500, problem: PROBLEM.test(/content-type: ([^\r]*)/i.exec(head)?.[1] ?? ''), bytes: bytes.slice(0, 200) }).toEqual({
          status: true,
          problem: true,
          bytes: bytes.slice(0, 200),
        });
        counts.refused++;
        expect(JSON.parse(body)).toEqual(expect.objectContaining({ status, title: expect.any(String), code: expect.any(String) }));
      }),
      { numRuns: 150 },
    );
  }, 60_000);
});

/** GET /events over a real socket: the stream never ends, so only its status and first bytes are read. */
function streamAnswer(port: number, request: FuzzRequest): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = get({ host: '127.0.0.1', port, path: request.url, headers: request.headers }, (response: IncomingMessage) => {
      const contentType = String(response.headers['content-type'] ?? '');
      if (response.statusCode === 200) {
        response.destroy();
        return resolve({ status: 200, contentType, body: '' });
      }
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, contentType, body }));
    });
    req.on('error', reject);
  });
}

function rawRequest(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.end(bytes, 'latin1'));
    let answer = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => (answer += chunk));
    socket.on('close', () => resolve(answer));
    socket.on('error', (error: NodeJS.ErrnoException) => (error.code === 'ECONNRESET' || error.code === 'EPIPE' ? resolve(answer) : reject(error)));
  });
}
