import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { LightMyRequestResponse } from 'fastify';
import { get } from 'node:http';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { createTestApp } from '../support/app';
import { claimBody, correctionBody, factBody, figureBody } from '../support/factories';
import { PARSER_CASES, expectParserProblem, expectSecurityHeaders, rawRequest } from '../support/raw-http';

/**
 * Hostile input, each case once a 500, a hang or a silent acceptance: every one is now a 4xx
 * problem+json naming the field and the reason, and writes nothing.
 */

type Method = 'GET' | 'POST' | 'HEAD';

describe('hostile input', () => {
  let app: NestFastifyApplication;
  let factId: string;
  let figureId: string;
  let claimId: string;

  const inject = (method: Method, url: string, payload?: unknown, headers: Record<string, string> = {}) =>
    app.inject({
      method,
      url,
      headers: payload === undefined ? headers : { 'content-type': 'application/json', ...headers },
      payload: payload === undefined ? undefined : typeof payload === 'string' || Buffer.isBuffer(payload) ? payload : JSON.stringify(payload),
    });
  const head = async (): Promise<string> => JSON.parse((await inject('GET', '/health')).body).info.eventStore.headPosition;

  /** The request must be refused with `status` as problem+json, and the log must not move. */
  async function refused(method: Method, url: string, payload: unknown, status: number, headers: Record<string, string> = {}) {
    const before = await head();
    const response = await inject(method, url, payload, headers);
    expectProblem(response, status);
    expect(await head()).toBe(before);
    return JSON.parse(response.body) as { code: string; detail: string; errors?: { field: string; reason: string }[] };
  }

  beforeAll(async () => {
    app = await createTestApp();
    const fact = factBody();
    const figure = figureBody();
    const claim = claimBody();
    expect((await inject('POST', '/facts', fact)).statusCode).toBe(201);
    expect((await inject('POST', '/figures', figure)).statusCode).toBe(201);
    expect((await inject('POST', `/figures/${figure.id}/claims`, claim)).statusCode).toBe(201);
    [factId, figureId, claimId] = [fact.id!, figure.id!, claim.id!];
  });
  afterAll(async () => {
    await app.close();
  });

  /** Every write endpoint; ids are filled in once beforeAll has recorded them. */
  const writes: [string, () => string][] = [
    ['/facts', () => '/facts'],
    ['/facts/:id/corrections', () => `/facts/${factId}/corrections`],
    ['/facts/:id/retraction', () => `/facts/${factId}/retraction`],
    ['/figures', () => '/figures'],
    ['/figures/:id/claims', () => `/figures/${figureId}/claims`],
    ['/figures/:id/claims/:claimId/corrections', () => `/figures/${figureId}/claims/${claimId}/corrections`],
    ['/figures/:id/claims/:claimId/retraction', () => `/figures/${figureId}/claims/${claimId}/retraction`],
  ];

  describe('a body nested deeper than 32 levels', () => {
    const deep = (levels: number) => '{"x":'.repeat(levels) + '1' + '}'.repeat(levels);

    it.each(writes)('is refused before validation on POST %s, naming body', async (_, url) => {
      const problem = await refused('POST', url(), deep(2000), 400);
      expect(problem.errors).toEqual([{ field: 'body', reason: expect.stringContaining('32') }]);
    });

    it('counts arrays and brackets inside strings correctly', async () => {
      const arrays = await refused('POST', '/facts', `{"tags":${'['.repeat(40)}${']'.repeat(40)}}`, 400);
      expect(arrays.errors?.[0].field).toBe('body');
      // Brackets inside strings (escaped quotes too) are text, not nesting: this body is shallow.
      const body = { ...factBody(), title: `a "quoted" ${'['.repeat(100)} \\ ${'{'.repeat(100)}` };
      expect((await inject('POST', '/facts', body)).statusCode).toBe(201);
    });
  });

  it.each([
    ['a fact correction', () => `/facts/${factId}/corrections`],
    ['a claim correction', () => `/figures/${figureId}/claims/${claimId}/corrections`],
  ])('refuses %s without changes, naming changes', async (_, url) => {
    const problem = await refused('POST', url(), { reason: 'fix' }, 400);
    expect(problem.errors?.map((e) => e.field)).toEqual(['changes']);
    const nulls = await refused('POST', url(), { reason: 'fix', changes: null }, 400);
    expect(nulls.errors?.map((e) => e.field)).toEqual(['changes']);
  });

  it.each([
    ['/figures', 'scope', () => figureBody(), 'scope'],
    ['/facts', 'validTime', () => factBody(), 'validTime'],
    ['claims', 'value', () => claimBody(), 'value'],
    // A claim's sources may come as `sources` or as the older single `source`: without either, `sources` is named.
    ['claims', 'source', () => claimBody(), 'sources'],
  ] as const)('refuses a body for %s without %s, naming the missing field', async (path, omitted, body, named) => {
    const url = path === 'claims' ? `/figures/${figureId}/claims` : path;
    const { [omitted]: _omitted, ...rest } = body() as unknown as Record<string, unknown>;
    const problem = await refused('POST', url, rest, 400);
    expect(problem.errors?.map((e) => e.field)).toEqual([named]);
  });

  it('refuses an offset too large for the store, naming offset', async () => {
    for (const offset of ['9223372036854775807', '1e300', '1000001']) {
      const problem = await refused('GET', `/figures?offset=${offset}`, undefined, 400);
      expect(problem.errors?.map((e) => e.field)).toEqual(['offset']);
    }
    expect((await inject('GET', '/figures?offset=1000000')).statusCode).toBe(200);
  });

  it('answers HEAD /events with the headers of the stream and no body', async () => {
    const response = await inject('HEAD', '/events');
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/event-stream/);
    expect(response.body).toBe('');
  });

  describe('event stream positions', () => {
    it.each(['9223372036854775808', '99999999999999999999', '-1', '-0', '1.5', ' 1'])('refuses from=%j with 400 before the stream opens', async (from) => {
      const problem = await refused('GET', `/events?from=${encodeURIComponent(from)}`, undefined, 400);
      expect(problem.errors?.map((e) => e.field)).toEqual(['from']);
    });

    it.each(['9223372036854775808', '-1'])('refuses Last-Event-ID %j with 400 before the stream opens', async (id) => {
      const problem = await refused('GET', '/events', undefined, 400, { 'last-event-id': id });
      expect(problem.errors?.map((e) => e.field)).toEqual(['Last-Event-ID']);
    });

    it('opens the stream at the largest position there can be', async () => {
      const server = await app.listen(0, '127.0.0.1').then(() => app.getHttpServer());
      const { port } = server.address() as { port: number };
      const status = await new Promise<number | undefined>((resolve, reject) => {
        const req = get({ host: '127.0.0.1', port, path: '/events?from=9223372036854775807' }, (response) => {
          resolve(response.statusCode);
          response.destroy();
        });
        req.on('error', reject);
      });
      expect(status).toBe(200);
    });
  });

  describe('fields named like Object.prototype members', () => {
    it.each(['constructor', 'toString', 'valueOf', 'hasOwnProperty', 'isPrototypeOf', '__defineGetter__'])(
      'refuses %s as an unknown field, at the top and nested',
      async (key) => {
        const top = await refused('POST', '/facts', { ...factBody(), [key]: 'x' }, 400);
        expect(top.errors).toEqual([{ field: key, reason: `property ${key} should not exist` }]);
        const body = factBody();
        const nested = await refused('POST', '/facts', { ...body, sources: [{ ...body.sources[0], [key]: 1 }] }, 400);
        expect(nested.errors).toEqual([{ field: `sources[0].${key}`, reason: `property ${key} should not exist` }]);
      },
    );

    it('refuses them in a query too', async () => {
      const problem = await refused('GET', '/figures?constructor=1', undefined, 400);
      expect(problem.errors).toEqual([{ field: 'constructor', reason: 'property constructor should not exist' }]);
    });
  });

  describe('__proto__', () => {
    it('is refused as a field that is not allowed, not as bad JSON', async () => {
      const problem = await refused('POST', '/facts', `{"title":"x","__proto__":{"admin":true}}`, 400);
      expect(problem.errors).toEqual([{ field: '__proto__', reason: expect.stringMatching(/not allowed/) }]);
      expect(problem.detail).not.toMatch(/JSON/);
    });

    it('is named by its path when nested', async () => {
      const body = JSON.stringify(factBody()).replace('"publisher":', '"__proto__":{"x":1},"publisher":');
      const problem = await refused('POST', '/facts', body, 400);
      expect(problem.errors?.map((e) => e.field)).toEqual(['sources[0].__proto__']);
    });

    it('refuses constructor.prototype as secure-json-parse does', async () => {
      const problem = await refused('POST', '/facts', `{"constructor":{"prototype":{"admin":true}}}`, 400);
      expect(problem.errors?.map((e) => e.field)).toEqual(['constructor']);
    });
  });

  describe('text with no visible character', () => {
    const invisible = ['\u200b', '\u200c\u200d', '\u2060', '\ufeff', '\u200e\u200f', '\u202e', '\u00ad', '\u2066\u2069', '\u180e', ' \u200b\t'];

    it.each(invisible.map((text) => [JSON.stringify(text), text]))('refuses a title of %s as empty', async (_, text) => {
      const problem = await refused('POST', '/facts', factBody({ title: text }), 400);
      expect(problem.errors).toEqual([{ field: 'title', reason: 'title must not be empty' }]);
    });

    it('applies to every required text (a claimant, a source title, a correction reason)', async () => {
      const claimant = await refused('POST', `/figures/${figureId}/claims`, claimBody({ claimant: '\u200b\u200b' }), 400);
      expect(claimant.errors?.map((e) => e.field)).toEqual(['claimant']);
      const source = factBody();
      const sources = await refused('POST', '/facts', { ...source, sources: [{ ...source.sources[0], title: '\ufeff' }] }, 400);
      expect(sources.errors?.map((e) => e.field)).toEqual(['sources[0].title']);
      const reason = await refused('POST', `/facts/${factId}/corrections`, correctionBody({ title: 'Fine' }, '\u2060'), 400);
      expect(reason.errors?.map((e) => e.field)).toEqual(['reason']);
    });

    it('keeps a title whose invisible characters sit beside visible ones', async () => {
      expect((await inject('POST', '/facts', factBody({ title: 'Raqqa\u200b mass graves' }))).statusCode).toBe(201);
    });
  });

  describe('Content-Encoding', () => {
    it.each([
      ['gzip', gzipSync],
      ['x-gzip', gzipSync],
      ['deflate', deflateSync],
      ['br', brotliCompressSync],
    ] as const)('decodes a %s body', async (encoding, encode) => {
      const body = factBody();
      const response = await inject('POST', '/facts', encode(Buffer.from(JSON.stringify(body))), { 'content-encoding': encoding });
      expect(response.statusCode).toBe(201);
      expect(JSON.parse((await inject('GET', `/facts/${body.id}`)).body).title).toBe(body.title);
    });

    it('refuses a body whose decoded size passes the body limit (a zip bomb), naming body', async () => {
      const bomb = gzipSync(Buffer.from(JSON.stringify({ ...factBody(), summary: ' '.repeat(5 * 1024 * 1024) })));
      expect(bomb.length).toBeLessThan(256 * 1024);
      const problem = await refused('POST', '/facts', bomb, 413, { 'content-encoding': 'gzip' });
      expect(problem.errors?.map((e) => e.field)).toEqual(['body']);
    });

    it('refuses a body that is not in the encoding it names', async () => {
      const problem = await refused('POST', '/facts', JSON.stringify(factBody()), 400, { 'content-encoding': 'gzip' });
      expect(problem.errors?.map((e) => e.field)).toEqual(['Content-Encoding']);
    });

    it('refuses an encoding it does not know with 415, naming Content-Encoding', async () => {
      const problem = await refused('POST', '/facts', JSON.stringify(factBody()), 415, { 'content-encoding': 'compress' });
      expect(problem.errors?.map((e) => e.field)).toEqual(['Content-Encoding']);
    });
  });

  describe('errors of the HTTP parser and the router', () => {
    let port: number;
    beforeAll(async () => {
      await app.listen(0, '127.0.0.1').catch(() => undefined);
      port = (app.getHttpServer().address() as { port: number }).port;
    });

    // The same cases run against the built production entry in test/e2e/production-entry.e2e.spec.ts.
    it.each(PARSER_CASES.map((c) => [c.name, c] as const))('answers %s with problem+json and the security headers', async (_, parserCase) => {
      expectParserProblem(await rawRequest(port, parserCase.bytes), parserCase);
    });

    it('answers a path with broken percent-encoding with 400 problem+json through inject too', async () => {
      const response = await inject('GET', '/facts/%E0%A4%A');
      expectProblem(response, 400);
      expectSecurityHeaders(response.headers);
    });
  });
});

function expectProblem(response: LightMyRequestResponse, status: number): void {
  expect({ status: response.statusCode, body: response.body }).toEqual({ status, body: expect.any(String) });
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(JSON.parse(response.body)).toEqual(expect.objectContaining({ status, title: expect.any(String), code: expect.any(String) }));
}
