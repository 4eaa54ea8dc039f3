import type { RecordKind } from './importer';

const CONFIDENCE_COLUMNS = ['confidence_level', 'confidence_source_grade', 'confidence_note'];

/**
 * One CSV column layout per kind of record, the same for import and export, so that a sheet
 * exported from Annals can be edited and imported back. A cell maps to one field of the API's
 * body; an empty cell is an absent field. Lists are written `a; b; c`, entities `type:name`.
 */
export const CSV_LAYOUTS: Record<RecordKind, readonly string[]> = {
  fact: ['id', 'title', 'summary', 'tags', 'entities', 'at', 'from', 'to', ...CONFIDENCE_COLUMNS, ...sourceColumns('source')],
  figure: ['id', 'name', 'unit', 'description', 'places', 'period_from', 'period_to'],
  claim: [
    'figure_id',
    'id',
    'claimant',
    'value_kind',
    'value',
    'min',
    'max',
    'qualifier',
    'asserted_on',
    'period_from',
    'period_to',
    ...CONFIDENCE_COLUMNS,
    'rank',
    'rank_reason',
    'inferred_from',
    ...sourceColumns('source'),
  ],
};

/**
 * A cell a spreadsheet would run as a formula (OWASP "CSV injection": it starts with = + - @, a tab
 * or a carriage return) is written with a leading `'`, which spreadsheets show as text. A cell that is
 * a plain number (`-12`, `+3.5`, `1e3`) is left as it is: no spreadsheet runs it, and a sheet of
 * negative numbers must stay numbers. Cells that already start with quotes before such a character
 * get one more, so that reading back (`fromSheetCell`) removes exactly the one added: text survives
 * an export and an import unchanged, whatever it holds.
 */
const FORMULA = /^'*[=+\-@\t\r]/;
const PLAIN_NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

export function toSheetCell(text: string): string {
  return FORMULA.test(text) && !PLAIN_NUMBER.test(text) ? `'${text}` : text;
}

export function fromSheetCell(text: string): string {
  return /^'+[=+\-@\t\r]/.test(text) ? text.slice(1) : text;
}

/** Further sources of a fact or a claim: source2_publisher, source2_title, … up to source9_. */
const EXTRA_SOURCE = /^source([2-9])_(publisher|title|url|published_on|accessed_on|archived_url|quote)$/;

export class CsvLayoutError extends Error {}

export function sourceColumns(prefix: string): string[] {
  return ['publisher', 'title', 'url', 'published_on', 'accessed_on', 'archived_url', 'quote'].map((c) => `${prefix}_${c}`);
}

/** Which layout a header is: by `--kind`, or by the column only that layout has. */
export function kindOfHeader(header: readonly string[], explicit?: RecordKind): RecordKind {
  const kind = explicit ?? (header.includes('claimant') ? 'claim' : header.includes('unit') ? 'figure' : header.includes('title') ? 'fact' : undefined);
  if (!kind) throw new CsvLayoutError('cannot tell the kind of records from the header: a facts CSV has title, figures unit, claims claimant (or pass --kind)');
  const known = new Set(CSV_LAYOUTS[kind]);
  const unknown = header.filter((column) => !known.has(column) && !(kind !== 'figure' && EXTRA_SOURCE.test(column)));
  if (unknown.length > 0) {
    throw new CsvLayoutError(`unknown column(s) ${unknown.join(', ')} for ${kind} records; the layout is ${CSV_LAYOUTS[kind].join(',')}`);
  }
  return kind;
}

/** A row as the body a client would POST (and, for a claim, the figure it is about). */
export function bodyOfRow(kind: RecordKind, row: Record<string, string>): { body: Record<string, unknown>; figureId?: string } {
  const cell = (column: string): string | undefined => (row[column] === undefined || row[column].trim() === '' ? undefined : fromSheetCell(row[column].trim()));
  const sources = [source(cell, 'source')];
  for (let n = 2; n <= 9; n++) if (Object.keys(row).some((c) => c.startsWith(`source${n}_`) && cell(c) !== undefined)) sources.push(source(cell, `source${n}`));
  const confidence = cell('confidence_level') || cell('confidence_source_grade') || cell('confidence_note')
    ? compact({ level: cell('confidence_level'), sourceGrade: cell('confidence_source_grade'), note: cell('confidence_note') })
    : undefined;
  if (kind === 'fact') {
    return {
      body: compact({
        id: cell('id'),
        title: cell('title'),
        summary: fromSheetCell(row.summary ?? ''),
        tags: list(cell('tags')),
        entities: list(cell('entities')).map(entity),
        sources,
        validTime: compact({ at: cell('at'), from: cell('from'), to: cell('to') }),
        confidence,
      }),
    };
  }
  if (kind === 'figure') {
    const period = cell('period_from') || cell('period_to') ? compact({ from: cell('period_from'), to: cell('period_to') }) : undefined;
    return {
      body: compact({
        id: cell('id'),
        name: cell('name'),
        unit: cell('unit'),
        description: cell('description'),
        scope: compact({ places: list(cell('places')), period }),
      }),
    };
  }
  const period = cell('period_from') || cell('period_to') ? compact({ from: cell('period_from'), to: cell('period_to') }) : undefined;
  return {
    figureId: cell('figure_id'),
    body: compact({
      id: cell('id'),
      claimant: cell('claimant'),
      value: compact({ kind: cell('value_kind'), value: number(cell('value')), min: number(cell('min')), max: number(cell('max')), qualifier: cell('qualifier') }),
      assertedOn: cell('asserted_on'),
      period,
      sources,
      confidence,
      rank: cell('rank') || cell('rank_reason') ? compact({ value: cell('rank'), reason: cell('rank_reason') }) : undefined,
      inferredFrom: cell('inferred_from') === undefined ? undefined : list(cell('inferred_from')),
    }),
  };
}

function source(cell: (column: string) => string | undefined, prefix: string): Record<string, unknown> {
  return compact({
    publisher: cell(`${prefix}_publisher`),
    title: cell(`${prefix}_title`),
    url: cell(`${prefix}_url`),
    publishedOn: cell(`${prefix}_published_on`),
    accessedOn: cell(`${prefix}_accessed_on`),
    archivedUrl: cell(`${prefix}_archived_url`),
    quote: cell(`${prefix}_quote`),
  });
}

function list(value: string | undefined): string[] {
  return value === undefined ? [] : value.split(';').map((s) => s.trim()).filter(Boolean);
}

/** `person:Joseph Votel`; without a type the validation names the missing type. */
function entity(value: string): Record<string, unknown> {
  const colon = value.indexOf(':');
  return colon < 0 ? { name: value } : { type: value.slice(0, colon).trim(), name: value.slice(colon + 1).trim() };
}

/** Numbers as spreadsheets write them ("1,257" too); anything else stays text for the validation to name. */
function number(value: string | undefined): number | string | undefined {
  if (value === undefined) return undefined;
  const plain = /^\d{1,3}(,\d{3})+(\.\d+)?$/.test(value) ? value.replace(/,/g, '') : value;
  return /^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(plain) ? Number(plain) : value;
}

function compact<T extends Record<string, unknown>>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
