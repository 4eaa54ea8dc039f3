import fc from 'fast-check';
import { fromSheetCell, toSheetCell } from '../../../src/import/csv-layouts';
import { claimsJsonLd, scriptSafeJson, timelineJs } from '../../../src/export/views';
import type { ClaimView, FigureSummary } from '../../../src/projections/figures/figures.queries';
import type { FactView } from '../../../src/projections/timeline/timeline.queries';

const runsAsFormula = (cell: string) => /^[=+\-@\t\r]/.test(cell);
const plainNumber = (cell: string) => /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(cell);

describe('sheet cells (OWASP CSV injection)', () => {
  it.each([
    ['=1+1', "'=1+1"],
    ['+cmd', "'+cmd"],
    ['-2+3', "'-2+3"],
    ['@SUM(A1)', "'@SUM(A1)"],
    ['\t=1', "'\t=1"],
    ['\r=1', "'\r=1"],
    ["'=1", "''=1"],
    ["'plain", "'plain"],
    ['-12', '-12'],
    ['+3.5', '+3.5'],
    ['-1e5', '-1e5'],
    ['1257', '1257'],
    ['Airwars', 'Airwars'],
  ])('writes %j as %j', (text, cell) => {
    expect(toSheetCell(text)).toBe(cell);
  });

  it('never writes a cell a spreadsheet runs (a plain number aside), and reads every cell back as the text it was', () => {
    const text = fc.oneof(fc.string(), fc.string({ unit: fc.constantFrom("'", '=', '+', '-', '@', '\t', '\r', '1', '.', 'e', 'a'), maxLength: 8 }));
    fc.assert(
      fc.property(text, (value) => {
        const cell = toSheetCell(value);
        expect(runsAsFormula(cell) && !plainNumber(cell)).toBe(false);
        expect(fromSheetCell(cell)).toBe(value);
      }),
      { numRuns: 2000 },
    );
  });
});

/** Views as the read models would give them, holding what no write path accepts today but an older event or a future one might. */
const fact = (overrides: Partial<FactView>): FactView =>
  ({
    id: 'f',
    title: 't',
    summary: '',
    tags: [],
    entities: [],
    sources: [{ publisher: 'p', title: 'a source', url: 'javascript:alert(document.cookie)' }],
    validTime: { at: '2019-03-28' },
    status: 'recorded',
    ...overrides,
  }) as unknown as FactView;

describe('TimelineJS and JSON-LD links', () => {
  it.each(['javascript:alert(1)', ' JavaScript:alert(1)', 'data:text/html,<script>alert(1)</script>', 'vbscript:x', 'not a url', 'file:///etc/passwd'])(
    'a source link %j is shown as text, never as a link or as media',
    (url) => {
      const doc = timelineJs([fact({ sources: [{ publisher: 'p', title: 'a source', url }] })], {});
      const slide = doc.events[0];
      expect(slide.text.text).not.toMatch(/href=/);
      expect(slide).not.toHaveProperty('media');
      expect(scriptSafeJson(doc)).not.toMatch(/[<>]/);
    },
  );

  it('media is the first source with a web link', () => {
    const sources = [
      { publisher: 'p', title: 'bad', url: 'javascript:alert(1)' },
      { publisher: 'q', title: 'good', url: 'https://example.org/report' },
    ];
    const slide = timelineJs([fact({ sources })], {}).events[0];
    expect(slide.media).toEqual({ url: 'https://example.org/report', caption: 'good', credit: 'q' });
    expect(slide.text.text).toContain('<a href="https://example.org/report">q: good</a>');
  });

  it('JSON-LD keeps a CreativeWork without a url or archivedAt that is not a web link', () => {
    const figure = { id: 'fig', name: 'n', unit: 'people', scope: { places: [] } } as unknown as FigureSummary;
    const claim = {
      claimId: 'c',
      claimant: 'x',
      value: { kind: 'exact', value: 1 },
      assertedOn: '2019',
      sources: [{ publisher: 'p', title: 't', url: 'javascript:alert(1)', archivedUrl: 'data:text/html,x' }],
    } as unknown as ClaimView;
    const work = claimsJsonLd(figure, [claim], {}).itemListElement[0].item.appearance[0];
    expect(work).not.toHaveProperty('url');
    expect(work).not.toHaveProperty('archivedAt');
    expect(work).toMatchObject({ name: 't' });
  });

  it('script-safe JSON parses to the same value, whatever the text', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = scriptSafeJson(value);
        expect(text).not.toMatch(/[<>&\u2028\u2029]/);
        expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(value)));
      }),
    );
  });
});
