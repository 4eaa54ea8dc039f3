import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { createTestApp } from '../support/app';

describe('rate limits', () => {
  let app: NestFastifyApplication;
  beforeAll(async () => (app = await createTestApp({ auth: { rateLimitsPerMinute: { reads: 2, writes: 2, auth: 2 } } })));
  afterAll(() => app.close());

  it('answers 429 problem+json past the limit, and never limits /health', async () => {
    await request(app.getHttpServer()).get('/timeline').expect(200);
    await request(app.getHttpServer()).get('/timeline').expect(200);
    const refused = await request(app.getHttpServer()).get('/timeline');
    expect(refused.status).toBe(429);
    expect(refused.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(refused.body).toMatchObject({ status: 429, code: 'rate-limited' });
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    for (let i = 0; i < 3; i++) await request(app.getHttpServer()).get('/health').expect(200);
  });
});
