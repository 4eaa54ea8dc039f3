import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import fc from 'fast-check';
import { AnswerCache } from '../../src/api/answer-cache/answer-cache';
import { createTestApp } from '../support/app';
import { claimBody, factBody, figureBody } from '../support/factories';

type Step = { kind: 'fact'; tag: string } | { kind: 'claim'; claimant: string; value: number } | { kind: 'read'; query: number; encoding: string };

/**
 * Whatever the sequence of writes and reads, an answer served (from the cache or not) is byte for
 * byte the answer computed afresh at the same position, with the same ETag, in every coding.
 */
describe('cached answers (property)', () => {
  let app: NestFastifyApplication;
  const figure = figureBody();
  const started = new Date().toISOString();
  const inject = (method: 'GET' | 'POST', url: string, headers: Record<string, string> = {}, body?: unknown) =>
    app.getHttpAdapter().getInstance().inject({ method, url, headers: body ? { ...headers, 'content-type': 'application/json' } : headers, payload: body as never });

  beforeAll(async () => {
    app = await createTestApp({ answerCacheBytes: 64 * 1024 });
    expect((await inject('POST', '/figures', {}, figure)).statusCode).toBe(201);
  });
  afterAll(async () => {
    await app.close();
  });

  const queries = (): string[] => [
    '/timeline',
    '/timeline?tag=raqqa',
    '/timeline?limit=2&order=desc',
    '/timeline?asOf=2019-03-01',
    `/timeline?knownAt=${started}`,
    '/figures',
    `/figures/${figure.id}`,
    `/figures/${figure.id}?asOf=2019-01-01`,
  ];
  const step: fc.Arbitrary<Step> = fc.oneof(
    fc.record({ kind: fc.constant('fact' as const), tag: fc.constantFrom('raqqa', 'baghouz') }),
    fc.record({ kind: fc.constant('claim' as const), claimant: fc.constantFrom('Airwars', 'Coalition'), value: fc.integer({ min: 1, max: 10_000 }) }),
    fc.record({ kind: fc.constant('read' as const), query: fc.nat({ max: 7 }), encoding: fc.constantFrom('', 'gzip', 'br', 'gzip, br') }),
  );

  it('serves the bytes and the ETag a fresh computation at the same position gives', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 10 }), async (steps) => {
        for (const s of steps) {
          if (s.kind === 'fact') {
            expect((await inject('POST', '/facts', {}, factBody({ tags: [s.tag] }))).statusCode).toBe(201);
          } else if (s.kind === 'claim') {
            const claim = claimBody({ claimant: s.claimant, value: { kind: 'exact', value: s.value } });
            expect((await inject('POST', `/figures/${figure.id}/claims`, {}, claim)).statusCode).toBe(201);
          } else {
            const url = queries()[s.query];
            const headers: Record<string, string> = s.encoding ? { 'accept-encoding': s.encoding } : {};
            const served = await inject('GET', url, headers);
            app.get(AnswerCache).clear();
            const fresh = await inject('GET', url, headers);
            expect(served.statusCode).toBe(200);
            expect(served.headers.etag).toBe(fresh.headers.etag);
            expect(served.headers['content-encoding']).toBe(fresh.headers['content-encoding']);
            expect(served.rawPayload.equals(fresh.rawPayload)).toBe(true);
            expect((await inject('GET', url, { ...headers, 'if-none-match': fresh.headers.etag as string })).statusCode).toBe(304);
          }
        }
      }),
      { numRuns: 25 },
    );
  });
});
