import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { createTestApp } from '../support/app';

/** The page's bundle travels compressed when the browser says it can take it, each encoding with its own ETag. */
describe('the page files, compressed', () => {
  let app: NestFastifyApplication;
  beforeAll(async () => (app = await createTestApp()));
  afterAll(() => app.close());

  it.each([
    ['br', brotliDecompressSync],
    ['gzip', gunzipSync],
  ])('sends the script as %s, the same bytes once decompressed, and 304 for its own ETag', async (encoding, decompress) => {
    const plain = await app.inject({ method: 'GET', url: '/ui/annals.js' });
    const packed = await app.inject({ method: 'GET', url: '/ui/annals.js', headers: { 'accept-encoding': `${encoding}, deflate` } });
    expect(packed.headers['content-encoding']).toBe(encoding);
    expect(packed.headers.vary).toBe('accept-encoding');
    expect(packed.rawPayload.length).toBeLessThan(plain.rawPayload.length / 2);
    expect(decompress(packed.rawPayload).equals(plain.rawPayload)).toBe(true);
    expect(packed.headers.etag).not.toBe(plain.headers.etag);
    const again = await app.inject({ method: 'GET', url: '/ui/annals.js', headers: { 'accept-encoding': encoding, 'if-none-match': String(packed.headers.etag) } });
    expect(again.statusCode).toBe(304);
  });

  it('bundles the charting library: no file from another origin', async () => {
    const script = await app.inject({ method: 'GET', url: '/ui/annals.js' });
    expect(script.body).toContain('uPlot');
    const page = await app.inject({ method: 'GET', url: '/' });
    expect(page.body).not.toMatch(/(src|href)="https?:/);
  });
});
