import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { figureStream } from '../../src/domain/figure/figure';
import { createTestApp } from '../support/app';
import { apiSpec } from '../support/api-spec';
import { claimBody, uniqueId } from '../support/factories';
import { on } from '../support/projection-spec';
import { claimAsserted, claimData, figureDefined } from '../unit/domain/factories';

/**
 * Figures and claims through the HTTP API, each spec given the figure's stream as stored (the
 * same cases, written request by request, are in test/e2e/figures.e2e.cases.ts).
 */

const PROBLEM = /^application\/problem\+json/;

describe('figures (given streams, when a request, then the answer and the new events)', () => {
  let app: NestFastifyApplication;
  const spec = apiSpec(() => app);

  beforeAll(async () => {
    app = await createTestApp();
  });

  afterAll(async () => {
    await app.close();
  });

  const aFigure = () => {
    const figureId = uniqueId('figure');
    return { figureId, stream: figureStream(figureId), defined: figureDefined({ figureId }) };
  };

  it('asserts a claim on a defined figure: 201 at revision "1", and one ClaimAsserted with its sources', () => {
    const { figureId, stream, defined } = aFigure();
    const claim = claimBody();
    return spec
      .given(on(stream, defined))
      .when((http) => http.post(`/figures/${figureId}/claims`).send(claim))
      .then({
        status: 201,
        headers: { etag: '"1"', location: `/figures/${figureId}` },
        body: { id: claim.id, revision: '1', projected: true },
        events: [{ stream, type: 'ClaimAsserted', data: { figureId, claimId: claim.id, claimant: claim.claimant, value: claim.value, sources: [claim.source] } }],
      });
  });

  it('refuses a claim on an unknown figure with 404 naming figureId, appending nothing', () =>
    spec
      .given()
      .when((http) => http.post('/figures/no-such-figure/claims').send(claimBody()))
      .then({ status: 404, headers: { 'content-type': PROBLEM }, body: { errors: [{ field: 'figureId', reason: 'figure no-such-figure not found' }] } }));

  it('retracts an asserted claim: 200 at revision "2", and one ClaimRetracted with the reason', () => {
    const { figureId, stream, defined } = aFigure();
    return spec
      .given(on(stream, defined), on(stream, claimAsserted({ figureId, claimId: 'cjtf' })))
      .when((http) => http.post(`/figures/${figureId}/claims/cjtf/retraction`).send({ reason: 'that report was about Iraq only' }))
      .then({
        status: 200,
        body: { id: 'cjtf', revision: '2' },
        events: [{ stream, type: 'ClaimRetracted', data: { figureId, claimId: 'cjtf' }, metadata: { reason: 'that report was about Iraq only' } }],
      });
  });

  it('reads a claim stored with one `source` (before the evidence model) with `sources`, changing nothing', () => {
    const { figureId, stream, defined } = aFigure();
    const { sources, ...legacy } = claimData({ figureId, claimId: 'old' });
    return spec
      .given(on(stream, defined), on(stream, { type: 'ClaimAsserted', data: { ...legacy, source: sources[0] } }))
      .when((http) => http.get(`/figures/${figureId}`))
      .then({ status: 200, body: { id: figureId, claims: [{ claimId: 'old', sources }] } });
  });
});
