import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { get, type IncomingMessage } from 'node:http';
import helmet from 'helmet';
import request from 'supertest';
import { helmetOptions } from '../../src/api/security';
import { ANNALS_CONFIG, type AnnalsConfig } from '../../src/config';
import { createTestApp } from '../support/app';
import { givenKeys } from '../support/keys';

/** Security headers on every answer, CORS only when configured, HSTS only over TLS, /docs only Swagger UI. */

const expectSecurityHeaders = (response: request.Response) => {
  expect(response.headers['x-content-type-options']).toBe('nosniff');
  expect(response.headers['content-security-policy']).toContain("frame-ancestors 'none'");
  expect(response.headers['x-frame-options']).toBe('DENY');
  expect(response.headers['referrer-policy']).toBe('no-referrer');
};

describe('security headers and CORS by default', () => {
  const keys = givenKeys({ desk: 'editor' });
  let app: NestFastifyApplication;
  const http = () => request(app.getHttpServer());
  beforeAll(async () => (app = await createTestApp({ auth: { keysFile: keys.file } })));
  afterAll(() => app.close());

  it.each([
    ['the page', '/', 200],
    ['Swagger UI', '/docs', 200],
    ['a Swagger UI file', '/docs/swagger-ui-bundle.js', 200],
    ['an API answer', '/timeline', 200],
    ['a 404 problem', '/facts/no-such-fact', 404],
    ['a 400 problem', '/timeline?limit=-1', 400],
  ])('sets them on %s', async (_, path, status) => {
    const response = await http().get(path);
    expect(response.status).toBe(status);
    expectSecurityHeaders(response);
    expect(response.headers['strict-transport-security']).toBeUndefined();
  });

  it('sets them on a 401 and on a 415 from the body parser', async () => {
    expectSecurityHeaders(await http().post('/facts').send({}).expect(401));
    expectSecurityHeaders(await http().post('/facts').set('Authorization', keys.bearer('desk')).set('Content-Type', 'text/plain').send('x').expect(415));
  });

  it('sets them on the event stream too, whose handler writes its own head', async () => {
    await app.listen(0, '127.0.0.1');
    const url = `${await app.getUrl()}/events`;
    const response = await new Promise<IncomingMessage>((resolve, reject) => get(url, resolve).on('error', reject));
    response.destroy();
    expect(response.headers['content-type']).toMatch(/^text\/event-stream/);
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['content-security-policy']).toContain("frame-ancestors 'none'");
  });

  it.each([['/timeline'], ['/facts/no-such-fact'], ['/docs'], ['/docs/json'], ['/docs/no-such-file'], ['/no-such-path']])(
    'sends on %s exactly the headers helmet itself sets for it, worked out once rather than per request',
    async (path) => {
      const expected = new Map<string, string>();
      const answer = { setHeader: (name: string, value: string) => expected.set(name.toLowerCase(), value), removeHeader: () => undefined };
      helmet(helmetOptions(app.get<AnnalsConfig>(ANNALS_CONFIG)))({ url: path } as IncomingMessage, answer as never, () => undefined);
      expect(expected.size).toBeGreaterThan(8);
      const response = await http().get(path);
      for (const [name, value] of expected) expect([name, response.headers[name]]).toEqual([name, value]);
    },
  );

  it('gives API answers a policy that loads nothing, and Swagger UI one that loads only its own files', async () => {
    expect((await http().get('/timeline')).headers['content-security-policy']).toMatch(/default-src 'none'.*script-src 'none'/);
    const docs = (await http().get('/docs')).headers['content-security-policy'];
    expect(docs).toContain("script-src 'self'");
    expect(docs).not.toMatch(/script-src[^;]*unsafe/);
  });

  it('serves under /docs only what Swagger UI needs', async () => {
    await http().get('/docs/json').expect(200);
    for (const path of ['/docs/package.json', '/docs/README.md', '/docs/swagger-initializer.js', '/docs/swagger-ui.css.map', '/docs/index.html', '/docs/oauth2-redirect.html']) {
      const response = await http().get(path);
      expect([path, response.status]).toEqual([path, 404]);
      expect(response.headers['content-type']).toMatch(/application\/problem\+json/);
    }
  });

  it('answers no CORS headers, to a preflight or a request, when no origin is configured', async () => {
    const preflight = await http().options('/facts').set('Origin', 'https://elsewhere.example').set('Access-Control-Request-Method', 'POST');
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
    const read = await http().get('/timeline').set('Origin', 'https://elsewhere.example').expect(200);
    expect(read.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('CORS and TLS when configured', () => {
  let app: NestFastifyApplication;
  const http = () => request(app.getHttpServer());
  beforeAll(async () => (app = await createTestApp({ auth: { corsOrigins: ['https://desk.example'], tls: true } })));
  afterAll(() => app.close());

  it('allows the configured origin, with Authorization, and no other', async () => {
    const preflight = await http()
      .options('/facts')
      .set('Origin', 'https://desk.example')
      .set('Access-Control-Request-Method', 'POST')
      .set('Access-Control-Request-Headers', 'authorization,content-type');
    expect(preflight.status).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe('https://desk.example');
    expect(preflight.headers['access-control-allow-headers']).toMatch(/Authorization/);
    const other = await http().get('/timeline').set('Origin', 'https://elsewhere.example').expect(200);
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
    const allowed = await http().get('/timeline').set('Origin', 'https://desk.example').expect(200);
    expect(allowed.headers['access-control-allow-origin']).toBe('https://desk.example');
    expect(allowed.headers['access-control-allow-credentials']).toBeUndefined();
  });

  it('sends HSTS and a Secure session cookie behind TLS', async () => {
    expect((await http().get('/timeline')).headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
    expect((await http().get('/docs')).headers['strict-transport-security']).toBeDefined();
    const out = await http().delete('/auth/session').expect(204);
    expect((out.headers['set-cookie'] as unknown as string[])[0]).toMatch(/; Secure/);
  });
});
