import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import fc from 'fast-check';
import type { LightMyRequestResponse } from 'fastify';
import { createTestApp } from '../support/app';
import { claimBody, factBody, figureBody } from '../support/factories';
import { isoForms } from '../support/iso-forms';

/**
 * Every query parameter of the public API's reads, given what an attacker or a careless tool sends:
 * numbers past 64 bits, dates in the ISO 8601 forms a Date does not read (basic, week, ordinal),
 * unicode, empty values, repeated parameters (an array). Each was once able to reach a query as an
 * Invalid Date or an unbindable bigint, a 500. Now: an answer, or a 4xx problem+json naming the field.
 */
describe('the public reads under hostile query strings', () => {
  let app: NestFastifyApplication;
  const fact = factBody();
  const figure = figureBody();
  const claim = claimBody();
  const inject = (method: 'GET' | 'HEAD' | 'POST', url: string, body?: unknown, headers: Record<string, string> = {}) =>
    app.inject({ method, url, headers: body ? { ...headers, 'content-type': 'application/json' } : headers, payload: body === undefined ? undefined : JSON.stringify(body) });

  beforeAll(async () => {
    app = await createTestApp({ auth: { rateLimitsPerMinute: { reads: 1_000_000, writes: 1000, auth: 1000 } } });
    expect((await inject('POST', '/facts', fact)).statusCode).toBe(201);
    expect((await inject('POST', '/figures', figure)).statusCode).toBe(201);
    expect((await inject('POST', `/figures/${figure.id}/claims`, claim)).statusCode).toBe(201);
  });
  afterAll(async () => {
    await app.close();
  });

  /** The reads and their query parameters (SSE by HEAD: the stream's answer without a stream that never ends). */
  const routes: readonly { method: 'GET' | 'HEAD'; path: () => string; params: readonly string[] }[] = [
    { method: 'GET', path: () => '/timeline', params: ['asOf', 'knownAt', 'from', 'to', 'tag', 'entity', 'text', 'limit', 'cursor', 'order', 'includeRetracted', 'receipt'] },
    { method: 'GET', path: () => `/facts/${fact.id}`, params: ['knownAt', 'receipt'] },
    { method: 'GET', path: () => `/facts/${fact.id}/history`, params: ['knownAt', 'receipt'] },
    { method: 'GET', path: () => '/figures', params: ['asOf', 'knownAt', 'limit', 'offset', 'cursor', 'claimsLimit', 'receipt'] },
    { method: 'GET', path: () => `/figures/${figure.id}`, params: ['asOf', 'knownAt', 'historyLimit', 'receipt'] },
    { method: 'GET', path: () => `/figures/${figure.id}/history`, params: ['asOf', 'knownAt', 'limit', 'cursor', 'receipt'] },
    { method: 'HEAD', path: () => '/events', params: ['from', 'types', 'streams'] },
    { method: 'GET', path: () => '/integrity/inclusion', params: ['eventId', 'position', 'treeSize'] },
    { method: 'GET', path: () => '/integrity/consistency', params: ['from', 'to'] },
    { method: 'GET', path: () => `/export/figures/${figure.id}/claims`, params: ['format', 'asOf', 'knownAt'] },
    { method: 'GET', path: () => '/export/timeline', params: ['format', 'asOf', 'knownAt', 'from', 'to', 'tag', 'entity', 'includeRetracted'] },
    { method: 'GET', path: () => '/admin/export/log', params: ['from'] },
  ];

  const HOSTILE = [
      '9223372036854775807',
      '9223372036854775808',
      '18446744073709551616',
      '99999999999999999999',
      '-1',
      '-0',
      '1e400',
      '1e21',
      '0x10',
      'NaN',
      'Infinity',
      '20190328T000000Z',
      '20190328',
      '2019-W13-4',
      '2019-W13-4T00:00:00Z',
      '2019W134T000000Z',
      '2019-087',
      '2019-087T00:00:00Z',
      '2019-02-30',
      '9999-99-99T99:99:99Z',
      '0000-01-01T00:00:00Z',
      '275760-09-13T00:00:00.001Z',
      '2019-03-28T00:00:00+99:99',
      '2019-03-28T24:00:00Z',
      '',
      ' ',
      '\u0000',
      '\u2028',
      '\ud800',
      '😀'.repeat(300),
      'a'.repeat(5000),
      '../../etc/passwd',
      "' OR 1=1 --",
      'true',
      'csv',
      'jsonld',
      'timelinejs',
      'asc',
  ];
  /** Bytes no encoder writes (bad escapes, invalid UTF-8), sent as they are. */
  const RAW = ['%FF', '%ED%A0%80', '%C0%AE', '%', '%zz', 'a%2', '%00', '%2B01:00'];
  const text: fc.Arbitrary<string> = fc.oneof(
    fc.constantFrom(...HOSTILE),
    fc.string({ maxLength: 40 }),
    fc.string({ unit: 'binary', maxLength: 20 }),
    fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map(String),
    fc.double().map(String),
    fc.date({ noInvalidDate: false }).map((d) => (Number.isNaN(d.getTime()) ? 'Invalid Date' : d.toISOString())),
  );
  /** As a query string carries them: percent-encoded, and now and then raw bytes. */
  const hostile: fc.Arbitrary<string> = fc.oneof(
    { weight: 9, arbitrary: text.map(percentEncoded) },
    { weight: 1, arbitrary: fc.constantFrom(...RAW) },
  );

  /** One read: a route, one to three of its parameters, each given one to three times (a repeat is an array). */
  const read = fc
    .nat({ max: routes.length - 1 })
    .chain((r) =>
      fc.record({
        route: fc.constant(routes[r]),
        query: fc.array(fc.tuple(fc.constantFrom(...routes[r].params), fc.array(hostile, { minLength: 1, maxLength: 3 })), { minLength: 1, maxLength: 3 }),
      }),
    );

  it('answers every parameter of every read given each hostile value, or refuses it as problem+json naming it', async () => {
    for (const route of routes) {
      for (const name of route.params) {
        for (const value of [...HOSTILE.map(percentEncoded), ...RAW]) {
          const url = `${route.path()}?${name}=${value}`;
          const response = await inject(route.method, url);
          expect([url, response.statusCode < 500]).toEqual([url, true]);
          if (response.statusCode >= 400) expectProblemNaming(response, route.method, route.params, url);
        }
      }
    }
  });

  it('answers, or refuses with a 4xx problem+json naming a parameter; never a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(read, async ({ route, query }) => {
        const search = query.flatMap(([name, values]) => values.map((v) => `${name}=${v}`)).join('&');
        const url = `${route.path()}?${search}`;
        const response = await inject(route.method, url);
        expect([url, response.statusCode < 500]).toEqual([url, true]);
        // A refusal names a parameter: one given, or one the route requires (consistency's `from`).
        if (response.statusCode >= 400) expectProblemNaming(response, route.method, route.params, url);
      }),
      { numRuns: 400 },
    );
  });

  /** Repeats of a value the property found once: each a 500 before. */
  it.each([
    ['/timeline?knownAt=20190328T000000Z', '/timeline?knownAt=2019-03-28T00:00:00Z'],
    ['/timeline?knownAt=2019-W13-4T00:00:00Z', '/timeline?knownAt=2019-03-28T00:00:00Z'],
    ['/timeline?knownAt=2019-087T00:00:00Z', '/timeline?knownAt=2019-03-28T00:00:00Z'],
    ['/timeline?knownAt=2099-W13-4T12:00Z', '/timeline?knownAt=2099-03-26T12:00:00Z'],
    ['/facts/:id?knownAt=20990328T000000Z', '/facts/:id?knownAt=2099-03-28T00:00:00Z'],
    ['/figures/:id?knownAt=2099-087T00:00Z', '/figures/:id?knownAt=2099-03-28T00:00:00Z'],
    ['/export/timeline?knownAt=2099W134T000000Z&format=timelinejs', '/export/timeline?knownAt=2099-03-26T00:00:00Z&format=timelinejs'],
  ])('reads %s as %s, with the same answer', async (url, extended) => {
    const ids = (u: string) => u.replace('/facts/:id', `/facts/${fact.id}`).replace('/figures/:id', `/figures/${figure.id}`);
    const [a, b] = [await inject('GET', ids(url)), await inject('GET', ids(extended))];
    expect(a.statusCode).toBe(200);
    expect(a.body).toBe(b.body);
  });

  it('every form of an instant between two writes gives the answer the extended form gives, and not the later one', async () => {
    await new Promise((resolve) => setTimeout(resolve, 5));
    const between = new Date();
    await new Promise((resolve) => setTimeout(resolve, 5));
    const later = factBody();
    expect((await inject('POST', '/facts', later)).statusCode).toBe(201);
    const { extended, ...others } = isoForms(between);
    const then = await inject('GET', `/timeline?knownAt=${encodeURIComponent(extended)}`);
    const ids = (body: string) => (JSON.parse(body) as { items: { id: string }[] }).items.map((f) => f.id);
    expect(ids(then.body)).toContain(fact.id);
    expect(ids(then.body)).not.toContain(later.id);
    expect(ids((await inject('GET', '/timeline')).body)).toContain(later.id);
    for (const text of Object.values(others)) expect([text, (await inject('GET', `/timeline?knownAt=${encodeURIComponent(text)}`)).body]).toEqual([text, then.body]);
  });

  it('a receipt is for the knownAt asked, in whatever form, and a bad knownAt with a receipt is still a 400', async () => {
    const basic = await inject('GET', '/timeline?receipt=true&knownAt=20190328T000000Z');
    expect(basic.statusCode).toBe(200);
    expect(basic.json().receipt.knownAt).toBe('20190328T000000Z');
    expect(basic.json().answer).toEqual((await inject('GET', '/timeline?knownAt=2019-03-28T00:00:00Z')).json());
    for (const knownAt of ['garbage', '2019-02-30T00:00:00Z', '2019-W13-4']) {
      const refused = await inject('GET', `/timeline?receipt=true&knownAt=${knownAt}`);
      expect([knownAt, refused.statusCode]).toEqual([knownAt, 400]);
      expectProblemNaming(refused, 'GET', ['knownAt'], knownAt);
    }
  });

  it.each([
    ['/integrity/inclusion?position=9223372036854775808', 'position'],
    ['/integrity/inclusion?position=99999999999999999999', 'position'],
    ['/admin/export/log?from=9223372036854775808', 'from'],
    ['/timeline?knownAt=2019-W13-4', 'knownAt'],
    ['/timeline?knownAt=2019-087', 'knownAt'],
    ['/timeline?knownAt=2019-02-30T00:00:00Z', 'knownAt'],
  ])('refuses %s with a 400 naming %s', async (url, field) => {
    const response = await inject('GET', url);
    expect(response.statusCode).toBe(400);
    expectProblemNaming(response, 'GET', [field], url);
  });

  it('a position at the edge of 64 bits is an answer (no such event), not a refusal', async () => {
    const response = await inject('GET', '/integrity/inclusion?position=9223372036854775807');
    expect(response.statusCode).toBe(404);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  });

  it('an If-Match past 64 bits is a 400 naming If-Match, and writes nothing', async () => {
    const response = await inject('POST', `/facts/${fact.id}/corrections`, { reason: 'r', changes: { title: 'x' } }, { 'if-match': '"9223372036854775808"' });
    expect(response.statusCode).toBe(400);
    expectProblemNaming(response, 'POST', ['If-Match'], 'If-Match');
    expect(JSON.parse((await inject('GET', `/facts/${fact.id}`)).body).title).toBe(fact.title);
  });

  it('knownAt with an offset names the same instant as in UTC, to the millisecond', async () => {
    const a = await inject('GET', '/timeline?knownAt=2019-03-28T01:00:00.5%2B01:00');
    expect(a.statusCode).toBe(200);
    expect(JSON.parse(a.body).knownAt).toBe('2019-03-28T00:00:00.500Z');
  });
});

/** A lone surrogate has no UTF-8: a client that sends one sends the bytes of one (invalid UTF-8). */
function percentEncoded(value: string): string {
  return value.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]|[^]/gu, (c) => (c.length === 1 && c >= '\ud800' && c <= '\udfff' ? '%ED%A0%80' : encodeURIComponent(c)));
}

function expectProblemNaming(response: LightMyRequestResponse, method: string, names: readonly string[], url: string): void {
  expect([url, response.headers['content-type']]).toEqual([url, expect.stringMatching(/^application\/problem\+json/)]);
  if (method === 'HEAD' || response.statusCode !== 400) return;
  const body = JSON.parse(response.body) as { detail?: string; errors?: { field: string }[] };
  const named = names.some((name) => body.errors?.some((e) => e.field === name || e.field.startsWith(`${name}.`)) || body.detail?.includes(name));
  expect([url, body, named]).toEqual([url, body, true]);
}
