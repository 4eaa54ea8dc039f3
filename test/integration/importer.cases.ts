import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { Importer, type ImportOptions } from '../../src/import/importer';
import { readRecords, type ImportFormat } from '../../src/import/read-records';
import { createTestApp } from '../support/app';
import { factBody, figureBody, claimBody } from '../support/factories';

/** The importer on the real app: the API's validation, the domain's rules, the same write path. */
describe('importer', () => {
  let app: NestFastifyApplication;
  const http = () => request(app.getHttpServer());
  const head = async () => (await http().get('/health').expect(200)).body.info.eventStore.headPosition as string;
  const importText = (text: string, format: ImportFormat, options: Partial<ImportOptions> = {}) => {
    const { records, unreadable } = readRecords(text, format);
    return app.get(Importer).run(records, { actor: 'test-importer', ...options }, unreadable);
  };

  beforeAll(async () => {
    app = await createTestApp();
  });
  afterAll(async () => {
    await app.close();
  });

  it('refuses a record with the same field and reason as the API refuses the same body', async () => {
    const bad = { ...factBody(), validTime: { at: '14 March 2019' }, sources: [{ publisher: 'X', title: 'Y', url: 'https://x.org/', publishedOn: 'soon' }], extra: 1 };
    const api = await http().post('/facts').send(bad).expect(400);
    const summary = await importText(JSON.stringify({ facts: [bad] }), 'json');
    expect(summary.rejected).toBe(1);
    expect(summary.rejections.map(({ field, reason }) => ({ field, reason }))).toEqual(api.body.errors);
  });

  it('seals the passages a record marks, as the API does, in the record and in the correction --sync writes', async () => {
    const witness = 'Omar Haddad';
    const fact = { ...factBody({ summary: `${witness} filmed the strike.` }), subjects: [{ subject: witness, path: '/summary', passage: witness }] };
    expect(await importText(JSON.stringify({ facts: [fact] }), 'json')).toEqual(expect.objectContaining({ recorded: 1, rejected: 0 }));
    expect(await importText(JSON.stringify({ facts: [fact] }), 'json')).toEqual(expect.objectContaining({ unchanged: 1 }));
    const edited = { ...fact, summary: `${witness} filmed the strike from a roof.` };
    expect(await importText(JSON.stringify({ facts: [edited] }), 'json', { sync: true, reason: 'desk sheet' })).toEqual(expect.objectContaining({ corrected: 1, rejected: 0 }));
    expect((await http().get(`/facts/${fact.id}`).expect(200)).body.summary).toBe(edited.summary);
    const log = (await http().get('/admin/export/log').expect(200)).text;
    expect(log).not.toContain('Haddad');
    expect(log).toContain('; filmed the strike from a roof.');

    const bad = { ...factBody(), subjects: [{ subject: witness, path: '/validTime/at' }] };
    const refused = await importText(JSON.stringify({ facts: [bad] }), 'json');
    expect(refused.rejections).toEqual([expect.objectContaining({ field: 'subjects[0].path' })]);
  });

  it("refuses what the domain refuses, naming the field, and writes nothing of that record", async () => {
    const before = await head();
    const line = JSON.stringify({ kind: 'claim', figureId: 'no-such-figure', ...claimBody() });
    const summary = await importText(`${line}\n{oops\n`, 'ndjson');
    expect(summary.rejections).toEqual([
      expect.objectContaining({ at: 'line 2', field: 'line', reason: expect.stringMatching(/^not JSON/) }),
      expect.objectContaining({ at: 'line 1', kind: 'claim', field: 'figureId', reason: 'figure no-such-figure not found' }),
    ]);
    expect(await head()).toBe(before);
  });

  it('imports a figure with its claims, unchanged the second time, and syncs an edited copy as corrections, new claims and retractions', async () => {
    const figure = figureBody();
    const claims = [claimBody({ claimant: 'CJTF-OIR' }), claimBody({ claimant: 'Airwars', value: { kind: 'range', min: 7300, max: 7600 } })];
    const file = { figures: [{ ...figure, claims }] };
    const first = await importText(JSON.stringify(file), 'json');
    expect(first).toEqual(expect.objectContaining({ written: 3, recorded: 3, unchanged: 0, rejected: 0 }));
    const again = await importText(JSON.stringify(file), 'json');
    expect(again).toEqual(expect.objectContaining({ written: 0, unchanged: 3 }));

    const edited = { figures: [{ ...figure, claims: [{ ...claims[0], value: { kind: 'exact', value: 1300 } }, claimBody({ claimant: 'Amnesty' })] }] };
    const refused = await importText(JSON.stringify(edited), 'json');
    expect(refused.rejections).toEqual([expect.objectContaining({ id: claims[0].id, field: 'value', reason: expect.stringContaining('--sync') })]);
    expect(refused.recorded).toBe(1);

    const before = BigInt(await head());
    const dry = await importText(JSON.stringify(edited), 'json', { sync: true, dryRun: true, reason: 'desk sheet' });
    expect(dry).toEqual(expect.objectContaining({ written: 2, corrected: 1, retracted: 1, unchanged: 2 }));
    expect(BigInt(await head())).toBe(before);

    const synced = await importText(JSON.stringify(edited), 'json', { sync: true, reason: 'desk sheet' });
    expect(synced).toEqual(expect.objectContaining({ written: 2, corrected: 1, retracted: 1, unchanged: 2, rejected: 0 }));
    const view = (await http().get(`/figures/${figure.id}`).expect(200)).body;
    expect(view.claims.map((c: { claimant: string; low: number }) => [c.claimant, c.low]).sort()).toEqual([['Amnesty', 1257], ['CJTF-OIR', 1300]]);
    const airwars = view.history.Airwars.map((e: { kind: string; actor: string; reason: string }) => [e.kind, e.actor, e.reason]);
    expect(airwars).toEqual([['asserted', 'test-importer', null], ['retracted', 'test-importer', 'desk sheet']]);
  });

  it('retracts nothing in sync mode when some record was rejected', async () => {
    const facts = [factBody(), factBody()];
    await importText(JSON.stringify({ facts }), 'json');
    const summary = await importText(JSON.stringify({ facts: [{ ...facts[0], title: '' }] }), 'json', { sync: true });
    expect(summary).toEqual(expect.objectContaining({ retracted: 0, rejected: 1, retractionsSkipped: expect.stringContaining('nothing was retracted') }));
    expect((await http().get(`/facts/${facts[1].id}`).expect(200)).body.status).toBe('recorded');
  });

  it('reads the documented CSV layouts: a claims sheet with thousands separators and a multi-source facts sheet', () => {
    const claims = readRecords('figure_id,id,claimant,value_kind,value,qualifier,asserted_on,source_publisher,source_title,source_url,source_published_on\nf,c1,CJTF-OIR,bound,"1,257",at_least,2019-02,CJTF,Report,https://x.org/r,2019-02\n', 'csv');
    expect(claims.records).toEqual([
      {
        kind: 'claim',
        at: 'line 2',
        figureId: 'f',
        body: { id: 'c1', claimant: 'CJTF-OIR', value: { kind: 'bound', value: 1257, qualifier: 'at_least' }, assertedOn: '2019-02', sources: [{ publisher: 'CJTF', title: 'Report', url: 'https://x.org/r', publishedOn: '2019-02' }] },
      },
    ]);
    const facts = readRecords('title,summary,tags,entities,from,to,source_publisher,source_title,source_url,source_published_on,source2_publisher,source2_title,source2_url,source2_published_on\nT,S,a; b,person:Joseph Votel,2016-03-30,2019-03-28,P1,T1,https://a.org/,2019,P2,T2,https://b.org/,2019\n', 'csv');
    expect(facts.records[0].body).toEqual(
      expect.objectContaining({ tags: ['a', 'b'], entities: [{ type: 'person', name: 'Joseph Votel' }], validTime: { from: '2016-03-30', to: '2019-03-28' }, sources: [expect.objectContaining({ publisher: 'P1' }), expect.objectContaining({ publisher: 'P2' })] }),
    );
    expect(() => readRecords('title,colour\nx,red\n', 'csv')).toThrow('unknown column(s) colour');
  });
});
