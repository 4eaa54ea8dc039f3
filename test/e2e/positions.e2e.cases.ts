import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { createTestApp } from '../support/app';
import { correctionBody, factBody } from '../support/factories';

/**
 * Read your writes on any replica: a write answers its log position in Annals-Position; a read sent
 * with Annals-Min-Position answers once the read models have applied it, else 503 with Retry-After.
 * (Two replicas over one PostgreSQL log: test/e2e/replicas.e2e.cases.ts.)
 */

const PROBLEM = /^application\/problem\+json/;
const ORIGIN = 'https://newsroom.example';

describe('log positions on writes and reads', () => {
  let app: NestFastifyApplication;
  const http = () => request(app.getHttpServer());

  beforeAll(async () => {
    app = await createTestApp({ minPositionWaitMs: 100, auth: { corsOrigins: [ORIGIN] } });
  });

  afterAll(async () => {
    await app.close();
  });

  it('answers every write with its log position in Annals-Position, the position in its body', async () => {
    const fact = factBody();
    const recorded = await http().post('/facts').send(fact).expect(201);
    expect(recorded.headers['annals-position']).toMatch(/^\d+$/);
    expect(recorded.headers['annals-position']).toBe(recorded.body.position);
    const corrected = await http().post(`/facts/${fact.id}/corrections`).send(correctionBody({ title: 'Another title' })).expect(200);
    expect(BigInt(corrected.headers['annals-position'])).toBeGreaterThan(BigInt(recorded.headers['annals-position']));
  });

  it('names no position on a write that was refused', async () => {
    const refused = await http().post('/facts/no-such-fact/corrections').send(correctionBody({ title: 'x' }));
    expect(refused.status).toBe(404);
    expect(refused.headers['annals-position']).toBeUndefined();
  });

  it('answers a read at once when the position asked for is applied', async () => {
    const fact = factBody();
    const position = (await http().post('/facts').send(fact).expect(201)).headers['annals-position'];
    const read = await http().get(`/facts/${fact.id}`).set('Annals-Min-Position', position).expect(200);
    expect(read.body.id).toBe(fact.id);
    await http().get('/timeline').set('Annals-Min-Position', '0').expect(200);
  });

  it('answers 503 problem+json with Retry-After when the position is not reached in time, cached answer or not', async () => {
    const fact = factBody();
    const position = BigInt((await http().post('/facts').send(fact).expect(201)).headers['annals-position']);
    // Asked twice without the header first, so that the answer cache holds it.
    await http().get(`/facts/${fact.id}`).expect(200);
    await http().get(`/facts/${fact.id}`).expect(200);
    const ahead = (position + 1000n).toString();
    const refused = await http().get(`/facts/${fact.id}`).set('Annals-Min-Position', ahead);
    expect(refused.status).toBe(503);
    expect(refused.headers['content-type']).toMatch(PROBLEM);
    expect(refused.headers['retry-after']).toBe('1');
    expect(refused.body).toMatchObject({ status: 503, code: 'position-not-reached', minPosition: ahead, appliedPosition: expect.stringMatching(/^\d+$/) });
  });

  it.each([['abc'], ['-1'], ['1.5'], ['99999999999999999999'], ['']])('refuses Annals-Min-Position %j with 400 problem+json', async (value) => {
    const refused = await http().get('/timeline').set('Annals-Min-Position', value);
    expect(refused.status).toBe(400);
    expect(refused.headers['content-type']).toMatch(PROBLEM);
    expect(refused.body.errors).toEqual([expect.objectContaining({ field: 'Annals-Min-Position' })]);
  });

  it('lets a browser on an allowed origin send Annals-Min-Position and read Annals-Position', async () => {
    const preflight = await http()
      .options('/timeline')
      .set('Origin', ORIGIN)
      .set('Access-Control-Request-Method', 'GET')
      .set('Access-Control-Request-Headers', 'annals-min-position');
    expect(preflight.status).toBeLessThan(300);
    expect(preflight.headers['access-control-allow-headers'].toLowerCase()).toContain('annals-min-position');
    const write = await http().post('/facts').set('Origin', ORIGIN).send(factBody()).expect(201);
    expect(write.headers['access-control-expose-headers'].toLowerCase()).toContain('annals-position');
  });
});

describe('the position wait among the guards', () => {
  let app: NestFastifyApplication;
  beforeAll(async () => (app = await createTestApp({ minPositionWaitMs: 30_000, auth: { rateLimitsPerMinute: { reads: 1, writes: 100, auth: 100 } } })));
  afterAll(() => app.close());

  it('comes after the rate limit: a read past its limit is refused with 429 at once, not after waiting for its position', async () => {
    await request(app.getHttpServer()).get('/timeline').expect(200);
    const refused = await request(app.getHttpServer()).get('/timeline').set('Annals-Min-Position', '999999999');
    expect(refused.status).toBe(429);
  });
});
