import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { importDemoData } from '../../src/demo/demo-data';
import { createTestApp } from '../support/app';
import { factBody } from '../support/factories';
import { givenKeys } from '../support/keys';

/** Limits per class of route (reads, writes, auth attempts), per key or, without one, per address. */
describe('rate limits', () => {
  const keys = givenKeys({ 'desk-1': 'editor', 'desk-2': 'editor' });
  let app: NestFastifyApplication;
  const http = () => request(app.getHttpServer());
  beforeEach(async () => (app = await createTestApp({ auth: { keysFile: keys.file, rateLimitsPerMinute: { reads: 2, writes: 2, auth: 2 } } })));
  afterEach(() => app.close());

  it('counts all reads together: past the limit 429 problem+json with Retry-After, whatever the route; /health never', async () => {
    await http().get('/timeline').expect(200);
    await http().get('/figures').expect(200);
    const refused = await http().get('/facts/any-fact');
    expect(refused.status).toBe(429);
    expect(refused.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(refused.body).toMatchObject({ status: 429, code: 'rate-limited' });
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(60);
    for (let i = 0; i < 3; i++) await http().get('/health').expect(200);
    // Writes are a class of their own, with their own allowance.
    await http().post('/facts').set('Authorization', keys.bearer('desk-1')).send(factBody()).expect(201);
  });

  it('counts writes per key across routes, so one key’s burst leaves another’s allowance alone', async () => {
    const fact = factBody();
    await http().post('/facts').set('Authorization', keys.bearer('desk-1')).send(fact).expect(201);
    await http().post(`/facts/${fact.id}/retraction`).set('Authorization', keys.bearer('desk-1')).send({ reason: 'twice' }).expect(200);
    const refused = await http().post('/figures').set('Authorization', keys.bearer('desk-1')).send({});
    expect(refused.status).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    await http().post('/facts').set('Authorization', keys.bearer('desk-2')).send(factBody()).expect(201);
  });

  it('limits login attempts per address and presented key, so wrong keys never lock out a correct one', async () => {
    await http().post('/auth/session').send({ key: 'annals_guess-1' }).expect(401);
    await http().post('/auth/session').send({ key: 'annals_guess-2' }).expect(401);
    await http().post('/auth/session').send({ key: keys.secret('desk-1') }).expect(200);
    await http().post('/auth/session').send({ key: 'annals_guess-1' }).expect(401);
    const refused = await http().post('/auth/session').send({ key: 'annals_guess-1' });
    expect(refused.status).toBe(429);
    expect(refused.headers['retry-after']).toBeDefined();
  });

  it('never limits the service’s own writes (the demo import)', async () => {
    const requests = await importDemoData(app);
    expect(requests).toBeGreaterThan(2);
  });
});

describe('rate limits without keys', () => {
  let app: NestFastifyApplication;
  beforeAll(async () => (app = await createTestApp({ auth: { rateLimitsPerMinute: { reads: 1000, writes: 1, auth: 1 } } })));
  afterAll(() => app.close());

  it('counts anonymous writes per address', async () => {
    await request(app.getHttpServer()).post('/facts').send(factBody()).expect(201);
    expect((await request(app.getHttpServer()).post('/facts').send(factBody())).status).toBe(429);
  });
});
