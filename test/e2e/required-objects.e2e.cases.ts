import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { createTestApp } from '../support/app';
import { factBody } from '../support/factories';

/** A required object left out is a 400 naming it, never a 500 from reading its fields. */
describe('required nested objects', () => {
  let app: NestFastifyApplication;
  const http = () => request(app.getHttpServer());
  beforeAll(async () => (app = await createTestApp()));
  afterAll(() => app.close());

  it.each([
    ['a figure without scope', '/figures', { id: 'no-scope', name: 'A figure', unit: 'people' }, 'scope'],
    ['a fact without validTime', '/facts', { title: 'T', summary: '', tags: [], entities: [], sources: [] }, 'validTime'],
  ])('refuses %s', async (_, url, body, field) => {
    const response = await http().post(url).send(body).expect(400);
    expect(response.body.errors.map((e: { field: string }) => e.field)).toContain(field);
  });

  it('refuses a correction without changes, and a claim without a value', async () => {
    await http().post('/facts').send(factBody({ id: 'has-changes' })).expect(201);
    const fact = await http().post('/facts/has-changes/corrections').send({ reason: 'r' }).expect(400);
    expect(fact.body.errors.map((e: { field: string }) => e.field)).toContain('changes');
    await http().post('/figures').send({ id: 'f', name: 'F', unit: 'people', scope: { places: [] } }).expect(201);
    const claim = await http().post('/figures/f/claims').send({ claimant: 'X', assertedOn: '2019' }).expect(400);
    expect(claim.body.errors.map((e: { field: string }) => e.field)).toContain('value');
  });
});
