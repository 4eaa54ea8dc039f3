import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { factStream } from '../../src/domain/fact/fact';
import { createTestApp } from '../support/app';
import { apiSpec } from '../support/api-spec';
import { correctionBody, uniqueId } from '../support/factories';
import { on } from '../support/projection-spec';
import { factData, factRecorded } from '../unit/domain/factories';

/**
 * Facts through the HTTP API, each spec given the fact's stream as stored rather than built by
 * earlier requests (the same cases, written request by request, are in test/e2e/facts.e2e.cases.ts).
 * Writes are open: no keys file, as in the one-command demo.
 */

const PROBLEM = /^application\/problem\+json/;

describe('facts (given streams, when a request, then the answer and the new events)', () => {
  let app: NestFastifyApplication;
  const spec = apiSpec(() => app);

  beforeAll(async () => {
    app = await createTestApp();
  });

  afterAll(async () => {
    await app.close();
  });

  /** A fact of its own per spec: the app is shared by the file. */
  const aFact = () => {
    const factId = uniqueId('fact');
    return { factId, stream: factStream(factId), recorded: factRecorded({ factId }) };
  };

  it('reads a recorded fact at revision "0", changing nothing', () => {
    const { factId, stream, recorded } = aFact();
    return spec
      .given(on(stream, recorded))
      .when((http) => http.get(`/facts/${factId}`))
      .then({ status: 200, headers: { etag: '"0"' }, body: { id: factId, title: factData().title, status: 'recorded', revision: '0' } });
  });

  it('corrects a recorded fact: 200 at revision "1", and one FactCorrected holding the changes and the reason', () => {
    const { factId, stream, recorded } = aFact();
    return spec
      .given(on(stream, recorded))
      .when((http) => http.post(`/facts/${factId}/corrections`).send(correctionBody({ title: 'Coalition formed' }, 'shorter title')))
      .then({
        status: 200,
        headers: { etag: '"1"' },
        body: { id: factId, revision: '1', projected: true },
        events: [{ stream, type: 'FactCorrected', data: { factId, changes: { title: 'Coalition formed' } }, metadata: { reason: 'shorter title' } }],
      });
  });

  it('retracts a recorded fact: 200 at revision "1", and one FactRetracted with the reason', () => {
    const { factId, stream, recorded } = aFact();
    return spec
      .given(on(stream, recorded))
      .when((http) => http.post(`/facts/${factId}/retraction`).send({ reason: 'recorded twice' }))
      .then({ status: 200, body: { id: factId, revision: '1' }, events: [{ stream, type: 'FactRetracted', data: { factId }, metadata: { reason: 'recorded twice' } }] });
  });

  it('refuses to correct a retracted fact with 409 naming factId, appending nothing', () => {
    const { factId, stream, recorded } = aFact();
    return spec
      .given(on(stream, recorded), on(stream, { type: 'FactRetracted', data: { factId } }, { reason: 'recorded in error' }))
      .when((http) => http.post(`/facts/${factId}/corrections`).send(correctionBody({ title: 'Too late' })))
      .then({ status: 409, headers: { 'content-type': PROBLEM }, body: { status: 409, errors: [{ field: 'factId', reason: `fact ${factId} is retracted` }] } });
  });

  it('refuses a correction without a reason with 400 naming reason, appending nothing', () => {
    const { factId, stream, recorded } = aFact();
    return spec
      .given(on(stream, recorded))
      .when((http) => http.post(`/facts/${factId}/corrections`).send({ changes: { title: 'No reason given' } }))
      .then({ status: 400, headers: { 'content-type': PROBLEM }, body: { status: 400, errors: [expect.objectContaining({ field: 'reason' })] } });
  });

  it('refuses a correction under a stale If-Match with 412, appending nothing', () => {
    const { factId, stream, recorded } = aFact();
    return spec
      .given(on(stream, recorded), on(stream, { type: 'FactCorrected', data: { factId, changes: { title: 'Newer' } } }, { reason: 'newer' }))
      .when((http) => http.post(`/facts/${factId}/corrections`).set('If-Match', '"0"').send(correctionBody({ title: 'Stale' })))
      .then({ status: 412, headers: { 'content-type': PROBLEM } });
  });
});
