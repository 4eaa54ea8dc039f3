import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { createTestApp } from '../support/app';
import { correctionBody, factBody, figureBody, sourceBody, uniqueId } from '../support/factories';

/**
 * Every refusal is RFC 9457 problem+json, names the field at fault when there is one, and
 * writes nothing: the log's head position and the resource are as they were.
 */

const PROBLEM = /^application\/problem\+json/;

function expectProblem(response: request.Response, status: number): void {
  expect(response.status).toBe(status);
  expect(response.headers['content-type']).toMatch(PROBLEM);
  expect(response.body).toEqual(
    expect.objectContaining({
      type: expect.any(String),
      title: expect.any(String),
      status,
      detail: expect.any(String),
    }),
  );
}

const fieldsOf = (response: request.Response): string[] => (response.body.errors ?? []).map((e: { field: string }) => e.field);

describe('errors as problem+json', () => {
  let app: NestFastifyApplication;
  const http = () => request(app.getHttpServer());
  const headPosition = async (): Promise<string> => (await http().get('/health').expect(200)).body.info.eventStore.headPosition;

  /** Runs a write that must be refused and checks that the log did not move. */
  async function refused(write: () => request.Test, status: number): Promise<request.Response> {
    const before = await headPosition();
    const response = await write();
    expectProblem(response, status);
    expect(await headPosition()).toBe(before);
    return response;
  }

  beforeAll(async () => {
    app = await createTestApp();
  });

  afterAll(async () => {
    await app.close();
  });

  describe('400 for a body of the wrong shape', () => {
    it('names each missing field', async () => {
      const { title: _title, sources: _sources, ...body } = factBody();
      const response = await refused(() => http().post('/facts').send(body), 400);
      expect(fieldsOf(response)).toEqual(expect.arrayContaining(['title', 'sources']));
      expect(response.body.errors).toEqual(expect.arrayContaining([{ field: 'title', reason: expect.any(String) }]));
    });

    it('names the extra property that the whitelist forbids', async () => {
      const response = await refused(() => http().post('/facts').send({ ...factBody(), colour: 'red' }), 400);
      expect(response.body.errors).toEqual([{ field: 'colour', reason: 'property colour should not exist' }]);
    });

    it('names an extra property inside a nested object by its path', async () => {
      const body = factBody();
      const response = await refused(() => http().post('/facts').send({ ...body, sources: [{ ...body.sources[0], rating: 5 }] }), 400);
      expect(fieldsOf(response)).toEqual(['sources[0].rating']);
    });

    it('names each field of the wrong type', async () => {
      const response = await refused(() => http().post('/facts').send({ ...factBody(), title: 42, tags: 'coalition' }), 400);
      expect(fieldsOf(response)).toEqual(expect.arrayContaining(['title', 'tags']));
    });

    it('names a nested field of the wrong shape by its path', async () => {
      const response = await refused(() => http().post('/facts').send(factBody({ validTime: { at: '26 March 2019' } })), 400);
      expect(fieldsOf(response)).toEqual(['validTime.at']);
    });

    it('names a missing field as required, not as the type it would have had', async () => {
      const { summary: _summary, ...body } = factBody();
      const response = await refused(() => http().post('/facts').send(body), 400);
      expect(response.body.errors).toEqual([{ field: 'summary', reason: 'summary is required' }]);
    });

    it('names a nested field left empty as required, and an optional one left empty as what it must be', async () => {
      const body = factBody();
      const response = await refused(() => http().post('/facts').send({ ...body, sources: [{ ...body.sources[0], publisher: '', archivedUrl: '' }] }), 400);
      expect(response.body.errors).toEqual(
        expect.arrayContaining([
          { field: 'sources[0].publisher', reason: 'sources[0].publisher is required' },
          { field: 'sources[0].archivedUrl', reason: expect.not.stringContaining('required') },
        ]),
      );
    });

    it('gives every error of a body in one answer: missing fields, wrong types and the date rules together', async () => {
      const { summary: _summary, ...body } = factBody({ validTime: { from: '2019-03-28', to: '2016-03-30' } });
      const response = await refused(() => http().post('/facts').send({ ...body, title: 42, sources: [{ ...body.sources[0], publishedOn: '2019-02-30' }] }), 400);
      expect(response.body.errors).toEqual(
        expect.arrayContaining([
          { field: 'summary', reason: 'summary is required' },
          { field: 'title', reason: expect.stringContaining('string') },
          { field: 'validTime.to', reason: 'to must not be before from' },
          { field: 'sources[0].publishedOn', reason: 'publishedOn has no day 30 in 2019-02' },
        ]),
      );
      expect(response.body.errors).toHaveLength(4);
    });

    it('gives a claim’s missing fields and impossible dates in one answer', async () => {
      const figure = uniqueId('figure');
      await http().post('/figures').send(figureBody({ id: figure })).expect(201);
      const response = await refused(
        () => http().post(`/figures/${figure}/claims`).send({ assertedOn: '[2017-07-28..2017-06-30]', period: { from: '2019-13' }, sources: [sourceBody()] }),
        400,
      );
      expect(response.body.errors).toEqual(
        expect.arrayContaining([
          { field: 'claimant', reason: 'claimant is required' },
          { field: 'value', reason: 'value is required' },
          { field: 'assertedOn', reason: expect.stringContaining('ends before it starts') },
          { field: 'period.from', reason: 'from has no month 13' },
        ]),
      );
      expect(response.body.errors).toHaveLength(4);
    });

    it('refuses a body that is not JSON', async () => {
      const response = await refused(
        () => http().post('/facts').set('content-type', 'application/json').send('{"title": "unterminated'),
        400,
      );
      expect(fieldsOf(response)).toEqual(['body']);
    });

    it('refuses an empty JSON body', async () => {
      await refused(() => http().post('/facts').set('content-type', 'application/json').send(''), 400);
    });
  });

  describe('400 for a value that breaks a rule', () => {
    it('names the field of a value the domain refuses (a source URL that is not http)', async () => {
      const body = factBody();
      const response = await refused(() => http().post('/facts').send({ ...body, sources: [{ ...body.sources[0], url: 'ftp://example.org/x' }] }), 400);
      expect(response.body.errors).toEqual([{ field: 'sources[0].url', reason: 'sources[0].url must be an http or https URL' }]);
    });

    it('names a day that does not exist', async () => {
      const response = await refused(() => http().post('/facts').send(factBody({ validTime: { at: '2019-02-30' } })), 400);
      expect(fieldsOf(response)).toEqual(['validTime.at']);
    });

    it('requires a reason to correct a fact, naming the field reason', async () => {
      const fact = factBody();
      await http().post('/facts').send(fact).expect(201);
      const response = await refused(() => http().post(`/facts/${fact.id}/corrections`).send({ changes: { title: 'Another title' } }), 400);
      // One entry per broken constraint (not a string, empty), all about the same field.
      expect(new Set(fieldsOf(response))).toEqual(new Set(['reason']));
      expect((await http().get(`/facts/${fact.id}`).expect(200)).body).toMatchObject({ title: fact.title, revision: '0' });
    });

    it('requires a reason that is not blank', async () => {
      const fact = factBody();
      await http().post('/facts').send(fact).expect(201);
      const response = await refused(() => http().post(`/facts/${fact.id}/corrections`).send(correctionBody({ title: 'Another title' }, '   ')), 400);
      expect(fieldsOf(response)).toEqual(['reason']);
    });

    it('refuses a correction that changes nothing', async () => {
      const fact = factBody();
      await http().post('/facts').send(fact).expect(201);
      const response = await refused(() => http().post(`/facts/${fact.id}/corrections`).send(correctionBody({ title: fact.title })), 400);
      expect(fieldsOf(response)).toEqual(['changes']);
    });
  });

  describe('404', () => {
    it('for an unknown fact id, naming id', async () => {
      const response = await http().get('/facts/no-such-fact');
      expectProblem(response, 404);
      expect(response.body).toMatchObject({ instance: '/facts/no-such-fact', errors: [{ field: 'id' }] });
    });

    it('for the history of an unknown fact', async () => {
      expectProblem(await http().get('/facts/no-such-fact/history'), 404);
    });

    it('for a correction of an unknown fact, writing nothing', async () => {
      const response = await refused(() => http().post('/facts/no-such-fact/corrections').send(correctionBody({ title: 'x' })), 404);
      expect(fieldsOf(response)).toEqual(['factId']);
    });

    it('for an unknown figure', async () => {
      expectProblem(await http().get('/figures/no-such-figure'), 404);
    });

    it('for an unknown route', async () => {
      expectProblem(await http().get('/no/such/route'), 404);
      expectProblem(await http().post('/no/such/route').send({}), 404);
    });
  });

  describe('409', () => {
    it('for recording the same fact id twice, keeping the first', async () => {
      const fact = factBody();
      await http().post('/facts').send(fact).expect(201);
      const response = await refused(() => http().post('/facts').send({ ...fact, title: 'A second fact under the same id' }), 409);
      expect(fieldsOf(response)).toEqual(['factId']);
      expect((await http().get(`/facts/${fact.id}`).expect(200)).body).toMatchObject({ title: fact.title, revision: '0' });
    });

    it('for retracting a fact twice', async () => {
      const fact = factBody();
      await http().post('/facts').send(fact).expect(201);
      await http().post(`/facts/${fact.id}/retraction`).send({ reason: 'recorded in error' }).expect(200);
      await refused(() => http().post(`/facts/${fact.id}/retraction`).send({ reason: 'again' }), 409);
    });
  });

  describe('412', () => {
    it('for a write under a stale If-Match, naming If-Match and the current revision', async () => {
      const fact = factBody();
      await http().post('/facts').send(fact).expect(201);
      await http().post(`/facts/${fact.id}/corrections`).set('If-Match', '"0"').send(correctionBody({ title: 'Title, corrected' })).expect(200);
      const response = await refused(
        () => http().post(`/facts/${fact.id}/corrections`).set('If-Match', '"0"').send(correctionBody({ title: 'A stale edit' })),
        412,
      );
      expect(response.body).toMatchObject({ errors: [{ field: 'If-Match' }], currentRevision: '1' });
      expect((await http().get(`/facts/${fact.id}`).expect(200)).body.title).toBe('Title, corrected');
    });
  });

  describe('415', () => {
    it('for a body sent as a media type the service does not read', async () => {
      const response = await refused(() => http().post('/facts').set('content-type', 'application/xml').send('<fact/>'), 415);
      expect(response.body.title).toBe('Send application/json');
    });

    it('for a JSON document sent as text/plain', async () => {
      await refused(() => http().post('/facts').set('content-type', 'text/plain').send(JSON.stringify(factBody())), 415);
    });

    it('for a form-encoded body', async () => {
      await refused(() => http().post('/facts').set('content-type', 'application/x-www-form-urlencoded').send('title=x&summary=y'), 415);
    });
  });
});

describe('413 for a body over the limit', () => {
  let app: NestFastifyApplication;
  const http = () => request(app.getHttpServer());

  beforeAll(async () => {
    app = await createTestApp({ bodyLimitBytes: 1024 });
  });

  afterAll(async () => {
    await app.close();
  });

  it('refuses it as problem+json naming the body, and writes nothing', async () => {
    const before = (await http().get('/health').expect(200)).body.info.eventStore.headPosition;
    const fact = factBody({ summary: 'x'.repeat(2000) });
    const response = await http().post('/facts').send(fact);
    expectProblem(response, 413);
    expect(fieldsOf(response)).toEqual(['body']);
    expect((await http().get('/health').expect(200)).body.info.eventStore.headPosition).toBe(before);
    expectProblem(await http().get(`/facts/${fact.id}`), 404);
  });

  it('still takes a body under the limit', async () => {
    await http().post('/facts').send(factBody()).expect(201);
  });
});
