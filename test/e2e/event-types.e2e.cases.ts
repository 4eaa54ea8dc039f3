import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { outsideAppendRefusal } from '../../src/event-store/stream-ownership';
import { createTestApp } from '../support/app';
import { factBody } from '../support/factories';

/**
 * An event type is declared once (domain/event-type.ts): FactSourceAdded, added by touching its
 * declaration, the decider, the route and the decider's spec, reaches every surface that derives
 * from the declarations: the read model, the page's list and labels, the OpenAPI document and the
 * rule that keeps outside writers away from domain types.
 */
describe('a declared event type, end to end (FactSourceAdded)', () => {
  let app: NestFastifyApplication;
  const http = () => request(app.getHttpServer());
  const later = { publisher: 'Reuters', title: 'Coalition formed', url: 'https://www.reuters.com/coalition', publishedOn: '2014-09-12' };

  beforeAll(async () => {
    app = await createTestApp();
  });
  afterAll(() => app.close());

  it('is applied by the timeline read model: the fact cites the new source and its history names the change', async () => {
    const fact = factBody();
    await http().post('/facts').send(fact).expect(201);
    const added = await http().post(`/facts/${fact.id}/sources`).send(later).expect(200);
    expect(added.body).toMatchObject({ id: fact.id, revision: '1', projected: true });
    const read = await http().get(`/facts/${fact.id}`).expect(200);
    expect(read.body.sources).toEqual([...fact.sources, later]);
    const history = await http().get(`/facts/${fact.id}/history`).expect(200);
    expect(history.body.versions.map((v: { lastChange: { type: string } }) => v.lastChange.type)).toEqual(['FactRecorded', 'FactSourceAdded']);
    await http().post(`/facts/${fact.id}/sources`).send(later).expect(409);
  });

  it('is listed for the page with its label, and described in the OpenAPI document', async () => {
    const types = (await http().get('/events/types').expect(200)).body.items as { type: string; label: string; category: string }[];
    expect(types).toContainEqual(expect.objectContaining({ type: 'FactSourceAdded', category: 'fact', label: 'Source added' }));
    const document = (await http().get('/docs/json').expect(200)).body;
    expect(document.components.schemas.FactSourceAdded).toMatchObject({ required: ['factId', 'source'], properties: { source: { $ref: '#/components/schemas/Source' } } });
    expect(document.paths['/facts/{id}/sources'].post.responses['200'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/WriteResult' });
  });

  it('is a domain type no outside surface may write', () => {
    expect(outsideAppendRefusal('notes-1', [{ id: '00000000-0000-4000-8000-000000000000', type: 'FactSourceAdded' }])).toMatch(/is an Annals event type/);
  });
});
