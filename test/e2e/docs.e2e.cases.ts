import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { createTestApp } from '../support/app';

describe('OpenAPI', () => {
  let app: NestFastifyApplication;
  beforeAll(async () => (app = await createTestApp()));
  afterAll(() => app.close());

  it('publishes the document with every write and read path', async () => {
    const { body } = await request(app.getHttpServer()).get('/docs/json').expect(200);
    expect(body.info.title).toBe('Annals');
    expect(Object.keys(body.paths)).toEqual(
      expect.arrayContaining(['/facts', '/facts/{id}/corrections', '/figures/{id}/claims', '/timeline', '/events', '/health']),
    );
  });

  it('serves the Swagger UI page', async () => {
    const response = await request(app.getHttpServer()).get('/docs').expect(200);
    expect(response.headers['content-type']).toMatch(/text\/html/);
    expect(response.text).toMatch(/swagger/i);
  });
});
