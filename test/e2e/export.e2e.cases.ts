import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { parse } from 'csv-parse/sync';
import { importDemoData } from '../../src/demo/demo-data';
import { CSV_LAYOUTS } from '../../src/import/csv-layouts';
import { Importer } from '../../src/import/importer';
import { readRecords } from '../../src/import/read-records';
import { createTestApp } from '../support/app';

const DEATHS = 'civilians-killed-by-coalition-strikes';

describe('view exports (CSV, TimelineJS, JSON-LD) at any asOf/knownAt', () => {
  let app: NestFastifyApplication;
  let beforeImport: string;
  const get = (url: string, accept?: string) => app.inject({ method: 'GET', url, headers: accept ? { accept } : {} });
  const reimport = async (csv: string) => {
    const { records, unreadable } = readRecords(csv, 'csv');
    return app.get(Importer).run(records, { actor: 'round-trip' }, unreadable);
  };

  beforeAll(async () => {
    app = await createTestApp();
    beforeImport = new Date().toISOString();
    await new Promise((resolve) => setTimeout(resolve, 5));
    await importDemoData(app);
  });
  afterAll(async () => {
    await app.close();
  });

  it("exports a figure's claims as CSV in the claims import layout, which imports back unchanged", async () => {
    const response = await get(`/export/figures/${DEATHS}/claims?format=csv`);
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/csv/);
    const rows = parse(response.body, { columns: true }) as Record<string, string>[];
    expect(Object.keys(rows[0]).slice(0, CSV_LAYOUTS.claim.length)).toEqual([...CSV_LAYOUTS.claim]);
    expect(rows.map((r) => r.id)).toEqual([
      'airwars-civilian-deaths-2016-03',
      'airwars-civilian-deaths-2017-05',
      'cjtf-oir-civilian-deaths-2017-06',
      'cjtf-oir-civilian-deaths-2018-12',
      'cjtf-oir-civilian-deaths-2019-03',
      'airwars-civilian-deaths-2019-03',
    ]);
    expect(await reimport(response.body)).toEqual(expect.objectContaining({ written: 0, unchanged: 6, rejected: 0 }));
  });

  it('answers the claims of a day with asOf, and nothing before the record existed with knownAt', async () => {
    const asOf = parse((await get(`/export/figures/${DEATHS}/claims?asOf=2017-12-31`, 'text/csv')).body, { columns: true }) as { id: string }[];
    expect(asOf.map((r) => r.id)).toEqual(['airwars-civilian-deaths-2016-03', 'airwars-civilian-deaths-2017-05', 'cjtf-oir-civilian-deaths-2017-06']);
    expect((await get(`/export/figures/${DEATHS}/claims?knownAt=${beforeImport}`)).statusCode).toBe(404);
  });

  it('exports claims as schema.org Claim JSON-LD with Accept, each with its claimant, date, source and the figure', async () => {
    const response = await get(`/export/figures/${DEATHS}/claims?asOf=2019-03-31`, 'application/ld+json');
    expect(response.headers['content-type']).toMatch(/^application\/ld\+json/);
    const doc = response.json();
    expect(doc['@context']).toBe('https://schema.org');
    const claim = doc.itemListElement.find((e: { item: { '@id': string } }) => e.item['@id'].endsWith(':cjtf-oir-civilian-deaths-2019-03')).item;
    expect(claim).toEqual(
      expect.objectContaining({
        '@type': 'Claim',
        author: { '@type': 'Organization', name: 'US-led coalition (CJTF-OIR)' },
        datePublished: '2019-03-28',
        about: expect.objectContaining({ '@type': 'Thing', '@id': `urn:annals:figure:${DEATHS}` }),
        appearance: expect.arrayContaining([expect.objectContaining({ '@type': 'CreativeWork', url: expect.stringMatching(/^https:\/\//) })]),
        text: expect.stringContaining('at least 1,257'),
      }),
    );
  });

  it("exports the timeline in TimelineJS3 JSON: one slide per fact, dates at their precision, periods with an end", async () => {
    const response = await get('/export/timeline?format=timelinejs');
    const doc = response.json();
    expect(doc.title.text.headline).toBe('Annals timeline');
    expect(doc.events).toHaveLength(8);
    const formed = doc.events.find((e: { unique_id: string }) => e.unique_id === 'us-led-coalition-formed');
    expect(formed.start_date).toEqual({ year: 2014, month: 9 });
    expect(formed.text.headline).toBe('US-led coalition against Daesh formed');
    const votel = doc.events.find((e: { unique_id: string }) => e.unique_id === 'centcom-votel-tenure');
    expect([votel.start_date, votel.end_date]).toEqual([{ year: 2016, month: 3, day: 30 }, { year: 2019, month: 3, day: 28 }]);
    const asOf = (await get('/export/timeline?format=timelinejs&asOf=2016-12-31')).json();
    expect(asOf.events.map((e: { unique_id: string }) => e.unique_id)).toEqual(['us-led-coalition-formed', 'centcom-votel-tenure']);
    expect(asOf.title.text.text).toContain('as of 2016-12-31');
  });

  it('exports the timeline as CSV in the facts import layout (Accept: text/csv), which imports back unchanged', async () => {
    const response = await get('/export/timeline', 'text/csv');
    expect(response.headers['content-type']).toMatch(/^text\/csv/);
    const rows = parse(response.body, { columns: true }) as Record<string, string>[];
    expect(rows).toHaveLength(8);
    expect(rows.find((r) => r.id === 'centcom-votel-tenure')).toEqual(expect.objectContaining({ from: '2016-03-30', to: '2019-03-28', at: '' }));
    expect(await reimport(response.body)).toEqual(expect.objectContaining({ written: 0, unchanged: 8, rejected: 0 }));
  });

  it('refuses an unknown format or an Accept it cannot answer with a 400 naming the field', async () => {
    const format = await get('/export/timeline?format=pdf');
    expect(format.statusCode).toBe(400);
    expect(format.json().errors).toEqual([expect.objectContaining({ field: 'format' })]);
    const accept = await get(`/export/figures/${DEATHS}/claims`, 'image/png');
    expect(accept.statusCode).toBe(400);
    expect(accept.json().errors).toEqual([expect.objectContaining({ field: 'Accept' })]);
  });
});
