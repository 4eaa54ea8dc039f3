import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { LightMyRequestResponse } from 'fastify';
import { createHash } from 'node:crypto';
import { get, type IncomingMessage } from 'node:http';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { AnswerCache } from '../../src/api/answer-cache/answer-cache';
import { ReadModels } from '../../src/projections/read-models';
import { createTestApp, type TestConfig } from '../support/app';
import { claimBody, factBody, figureBody, uniqueId } from '../support/factories';
import { givenKeys } from '../support/keys';

/**
 * Cached answers: ETags and 304s, Cache-Control, compression, and the in-memory cache's bound and
 * invalidation. Requests go through Fastify's inject, which hands back the bytes as sent
 * (supertest would decompress them).
 */
describe('cached answers', () => {
  let app: NestFastifyApplication;
  let config: TestConfig = {};

  const inject = (method: 'GET' | 'POST', url: string, options: { headers?: Record<string, string>; body?: unknown } = {}): Promise<LightMyRequestResponse> =>
    app
      .getHttpAdapter()
      .getInstance()
      .inject({ method, url, headers: { ...(options.body ? { 'content-type': 'application/json' } : {}), ...options.headers }, payload: options.body as never });
  const getOk = async (url: string, headers: Record<string, string> = {}) => {
    const response = await inject('GET', url, { headers });
    expect(response.statusCode).toBe(200);
    return response;
  };
  const post = async (url: string, body: unknown) => {
    const response = await inject('POST', url, { body });
    expect(response.statusCode).toBeLessThan(300);
    return response.json<{ position: string }>();
  };
  const cache = () => app.get(AnswerCache);
  const recordFacts = async (count: number, tags = ['coalition']) => {
    for (let i = 0; i < count; i++) await post('/facts', factBody({ tags, summary: `Strike report ${i}: ${'details of the strike '.repeat(8)}` }));
  };

  beforeEach(async () => {
    app = await createTestApp(config);
  });
  afterEach(async () => {
    await app.close();
    config = {};
  });

  it('answers 304 to an If-None-Match naming the current answer, and a new ETag once a write changes it', async () => {
    await recordFacts(2);
    const first = await getOk('/timeline');
    const etag = first.headers.etag as string;
    expect(etag).toMatch(/^W\/"[A-Za-z0-9_-]+"$/);
    expect(first.headers['cache-control']).toBe('public, no-cache');
    expect(first.headers.vary).toBe('accept-encoding');

    const notModified = await inject('GET', '/timeline', { headers: { 'if-none-match': etag } });
    expect(notModified.statusCode).toBe(304);
    expect(notModified.rawPayload).toHaveLength(0);
    expect(notModified.headers.etag).toBe(etag);
    expect(notModified.headers['content-type']).toBeUndefined();
    expect((await inject('GET', '/timeline', { headers: { 'if-none-match': `"other", ${etag.slice(2)}` } })).statusCode).toBe(304);

    await recordFacts(1);
    const after = await inject('GET', '/timeline', { headers: { 'if-none-match': etag } });
    expect(after.statusCode).toBe(200);
    expect(after.headers.etag).not.toBe(etag);
    expect(after.json<{ items: unknown[] }>().items).toHaveLength(3);
  });

  it('keeps the ETag across a write that does not change the answer: it is the hash of the answer, not the position', async () => {
    await recordFacts(1, ['raqqa']);
    const before = await getOk('/timeline?tag=raqqa');
    await recordFacts(1, ['baghouz']);
    const after = await getOk('/timeline?tag=raqqa');
    expect(after.headers.etag).toBe(before.headers.etag);
    expect(after.body).toBe(before.body);
    // Facts and figures keep their stream revision as ETag (If-Match on writes reads it back): it also answers 304.
    const figure = figureBody();
    await post('/figures', figure);
    await post(`/figures/${figure.id}/claims`, claimBody());
    const read = await getOk(`/figures/${figure.id}`);
    expect(read.headers.etag).toBe('"1"');
    await recordFacts(1);
    expect((await inject('GET', `/figures/${figure.id}`, { headers: { 'if-none-match': '"1"' } })).statusCode).toBe(304);
    await post(`/figures/${figure.id}/claims`, claimBody({ claimant: 'Airwars', value: { kind: 'exact', value: 7600 } }));
    const revised = await inject('GET', `/figures/${figure.id}`, { headers: { 'if-none-match': '"1"' } });
    expect(revised.statusCode).toBe(200);
    expect(revised.headers.etag).toBe('"2"');
  });

  it('marks an answer immutable only when its knownAt lies before an applied event', async () => {
    await recordFacts(1);
    const past = await getOk('/timeline?knownAt=2000-01-01T00:00:00Z');
    expect(past.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    const now = await getOk('/timeline');
    expect(now.headers['cache-control']).toBe('public, no-cache');
    // A knownAt still ahead of the record (or at its last event) can take in events yet to come.
    const later = new Date(Date.now() + 3_600_000).toISOString();
    expect((await getOk(`/timeline?knownAt=${later}`)).headers['cache-control']).toBe('public, no-cache');
    const { position } = await post('/facts', factBody());
    const recordedAt = (await getOk(`/integrity/inclusion?position=${position}`)).json<{ leaf: string }>().leaf;
    const lastTime = JSON.parse(recordedAt).recordedAt as string;
    expect((await getOk(`/timeline?knownAt=${lastTime}`)).headers['cache-control']).toBe('public, no-cache');
    const justBefore = new Date(Date.parse(lastTime) - 1).toISOString();
    expect((await getOk(`/timeline?knownAt=${justBefore}`)).headers['cache-control']).toBe('public, max-age=31536000, immutable');
  });

  it('serves one answer to every role, only to callers the guard lets in, and says private when reads need a key', async () => {
    await app.close();
    const keys = givenKeys({ desk: 'reader', chief: 'admin' });
    app = await createTestApp({ auth: { readsNeedKey: true, keysFile: keys.file } });
    const asReader = await getOk('/timeline', { authorization: keys.bearer('desk') });
    expect(asReader.headers['cache-control']).toBe('private, no-cache');
    expect(cache().size).toBe(1);
    const asAdmin = await getOk('/timeline', { authorization: keys.bearer('chief') });
    expect(asAdmin.body).toBe(asReader.body);
    expect(asAdmin.headers.etag).toBe(asReader.headers.etag);
    // Cached or not, an anonymous read is refused before the cache is asked.
    const refused = await inject('GET', '/timeline');
    expect(refused.statusCode).toBe(401);
    expect(refused.headers.etag).toBeUndefined();
    expect((await inject('GET', '/timeline', { headers: { 'if-none-match': asReader.headers.etag as string } })).statusCode).toBe(401);
  });

  it('compresses large answers with br or gzip when asked, and sends them as they are otherwise', async () => {
    await recordFacts(12);
    const plain = await getOk('/timeline');
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.rawPayload.length).toBeGreaterThan(2048);
    for (const [accept, coding, decode] of [
      ['gzip, deflate', 'gzip', gunzipSync],
      ['gzip, deflate, br', 'br', brotliDecompressSync],
    ] as const) {
      // Twice: computed, then from the cache.
      for (let i = 0; i < 2; i++) {
        const response = await getOk('/timeline', { 'accept-encoding': accept });
        expect(response.headers['content-encoding']).toBe(coding);
        expect(response.headers.etag).toBe(plain.headers.etag);
        expect(response.rawPayload.length).toBeLessThan(plain.rawPayload.length / 2);
        expect(decode(response.rawPayload).equals(plain.rawPayload)).toBe(true);
      }
    }
    expect((await getOk('/timeline', { 'accept-encoding': 'identity' })).headers['content-encoding']).toBeUndefined();
    // A small answer is not worth it.
    const small = await getOk('/timeline?limit=1&tag=none', { 'accept-encoding': 'gzip' });
    expect(small.headers['content-encoding']).toBeUndefined();
    // Receipts, compressed by @fastify/compress, still hash the answer's bytes as decoded.
    const cited = await getOk('/timeline?receipt=true', { 'accept-encoding': 'gzip' });
    expect(cited.headers['content-encoding']).toBe('gzip');
    const { answer, receipt } = JSON.parse(gunzipSync(cited.rawPayload).toString()) as { answer: unknown; receipt: { answerSha256: string; request: string } };
    expect(createHash('sha256').update(JSON.stringify(answer)).digest('hex')).toBe(receipt.answerSha256);
    const again = await getOk(receipt.request, { 'accept-encoding': 'br' });
    expect(createHash('sha256').update(brotliDecompressSync(again.rawPayload)).digest('hex')).toBe(receipt.answerSha256);
  });

  it('leaves server-sent events uncompressed and streaming', async () => {
    await app.listen(0, '127.0.0.1');
    const base = await app.getUrl();
    const response = await new Promise<IncomingMessage>((resolve) => get(`${base}/events`, { headers: { 'accept-encoding': 'gzip, br' } }, resolve));
    try {
      expect(response.headers['content-type']).toMatch(/^text\/event-stream/);
      expect(response.headers['content-encoding']).toBeUndefined();
      response.setEncoding('utf8');
      const fact = factBody();
      const arrived = new Promise<string>((resolve) => {
        let text = '';
        response.on('data', (chunk: string) => {
          text += chunk;
          if (text.includes(fact.id as string)) resolve(text);
        });
      });
      await post('/facts', fact);
      expect(await arrived).toContain('event: FactRecorded');
    } finally {
      response.destroy();
    }
  });

  it('keeps within its bound in bytes', async () => {
    await app.close();
    config = { answerCacheBytes: 16 * 1024 };
    app = await createTestApp(config);
    await recordFacts(6);
    const one = (await getOk('/timeline?limit=3')).rawPayload.length;
    expect(one).toBeGreaterThan(1024);
    for (let limit = 1; limit <= 40; limit++) {
      await getOk(`/timeline?limit=${limit}&order=desc`);
      expect(cache().bytes).toBeLessThanOrEqual(16 * 1024);
    }
    expect(cache().size).toBeGreaterThan(1);
    expect(cache().size).toBeLessThan(41);
    // An answer larger than the whole bound is served, never kept.
    await recordFacts(20);
    cache().clear();
    const large = await getOk('/timeline?limit=100');
    expect(large.rawPayload.length).toBeGreaterThan(16 * 1024);
    expect(cache().size).toBe(0);
  });

  it('serves from the cache at the same position, and never across a rebuild that answers differently', async () => {
    await recordFacts(2);
    const models = app.get(ReadModels);
    // A projection bug, as a rebuild would fix it: the served read models say something the log does not.
    models.db.prepare("UPDATE fact_versions SET body = replace(body, 'US-led coalition', 'Recorded wrongly')").run();
    const wrong = await getOk('/timeline');
    expect(wrong.body).toContain('Recorded wrongly');
    expect(cache().size).toBe(1);
    models.db.prepare("UPDATE fact_versions SET body = replace(body, 'Recorded wrongly', 'Changed under the cache')").run();
    // Same position: the cached bytes, not a new computation.
    expect((await getOk('/timeline')).body).toBe(wrong.body);

    await models.rebuild().done;
    const rebuilt = await getOk('/timeline');
    expect(rebuilt.body).not.toContain('Recorded wrongly');
    expect(rebuilt.body).toContain('US-led coalition against Daesh formed');
    expect(rebuilt.headers.etag).not.toBe(wrong.headers.etag);
  });

  it('documents If-None-Match, 304 and the caching headers on citable reads', async () => {
    type Operation = { parameters: { name: string; in: string }[]; responses: Record<string, { headers?: Record<string, unknown> }> };
    const document = (await getOk('/docs/json')).json<{ paths: Record<string, { get?: Operation }> }>();
    for (const path of ['/timeline', '/figures', '/figures/{id}', '/facts/{id}', '/facts/{id}/history']) {
      const get = document.paths[path].get as Operation;
      expect(get.parameters).toContainEqual(expect.objectContaining({ name: 'If-None-Match', in: 'header' }));
      expect(Object.keys(get.responses['200'].headers ?? {})).toEqual(['ETag', 'Cache-Control', 'Vary']);
      expect(get.responses['304']).toBeDefined();
    }
    expect(document.paths['/events'].get?.responses['304']).toBeUndefined();
  });

  it('never caches problem answers, writes or receipts', async () => {
    const missing = await inject('GET', `/facts/${uniqueId('fact')}`);
    expect(missing.statusCode).toBe(404);
    expect(missing.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(missing.headers.etag).toBeUndefined();
    expect(missing.headers['cache-control']).toBeUndefined();
    const invalid = await inject('GET', '/timeline?limit=0');
    expect(invalid.statusCode).toBe(400);
    expect(invalid.headers.etag).toBeUndefined();
    const write = await inject('POST', '/facts', { body: factBody() });
    expect(write.statusCode).toBe(201);
    expect(write.headers['cache-control']).toBeUndefined();
    const fact = factBody();
    await post('/facts', fact);
    const cited = await getOk(`/facts/${fact.id}?receipt=true`);
    expect(cache().size).toBe(0);
    // Its ETag is the fact's revision, which does not name the receipt: never a 304.
    expect((await inject('GET', `/facts/${fact.id}?receipt=true`, { headers: { 'if-none-match': cited.headers.etag as string } })).statusCode).toBe(200);
    // The figure defined after a 404 is found: the 404 was not kept.
    const figure = figureBody();
    expect((await inject('GET', `/figures/${figure.id}`)).statusCode).toBe(404);
    await post('/figures', figure);
    await getOk(`/figures/${figure.id}`);
  });
});
