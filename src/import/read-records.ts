import { parse } from 'csv-parse/sync';
import { extname } from 'node:path';
import { bodyOfRow, kindOfHeader } from './csv-layouts';
import type { ImportRecord, RecordKind, Rejection } from './importer';

export type ImportFormat = 'json' | 'ndjson' | 'csv';
export const IMPORT_FORMATS: readonly ImportFormat[] = ['json', 'ndjson', 'csv'];
export const RECORD_KINDS: readonly RecordKind[] = ['fact', 'figure', 'claim'];

/** A file that cannot be read as its format at all (not one bad record: those are rejected one by one). */
export class UnreadableFileError extends Error {}

export interface ReadResult {
  readonly records: ImportRecord[];
  /** Lines that are not records at all (an NDJSON line that is not JSON, a record without a kind). */
  readonly unreadable: Rejection[];
}

export function formatOfFile(path: string, explicit?: string): ImportFormat {
  const format = (explicit ?? extname(path).slice(1).toLowerCase().replace(/^jsonl$/, 'ndjson')) as ImportFormat;
  if (!IMPORT_FORMATS.includes(format)) {
    throw new UnreadableFileError(`cannot tell the format of ${path}: name it .json, .ndjson or .csv, or pass --format`);
  }
  return format;
}

/**
 * JSON: `{ "facts": [...], "figures": [{ ..., "claims": [...] }], "claims": [{ "figureId", ... }] }` (the
 * demo file's shape) or an array of records each with a `kind`. NDJSON: one record per line with its
 * `kind` (`fact`, `figure`, `claim`; a claim with its `figureId`). CSV: one kind per file (see csv-layouts).
 */
export function readRecords(text: string, format: ImportFormat, kind?: RecordKind): ReadResult {
  if (format === 'csv') return readCsv(text, kind);
  if (format === 'ndjson') return readNdjson(text, kind);
  return readJson(text, kind);
}

function readCsv(text: string, explicit?: RecordKind): ReadResult {
  let rows: { record: Record<string, string>; info: { lines: number } }[];
  let kind: RecordKind | undefined;
  try {
    rows = parse(text, {
      bom: true,
      info: true,
      skip_empty_lines: true,
      columns: (header: string[]) => {
        const columns = header.map((c) => c.trim().toLowerCase());
        kind = kindOfHeader(columns, explicit);
        return columns;
      },
    });
  } catch (error) {
    throw new UnreadableFileError(error instanceof Error ? error.message : String(error));
  }
  const records = rows.map(({ record, info }) => {
    const { body, figureId } = bodyOfRow(kind as RecordKind, record);
    return { kind: kind as RecordKind, at: `line ${info.lines}`, body, ...(kind === 'claim' ? { figureId } : {}) };
  });
  return { records, unreadable: [] };
}

function readNdjson(text: string, kind?: RecordKind): ReadResult {
  const records: ImportRecord[] = [];
  const unreadable: Rejection[] = [];
  text.split('\n').forEach((line, index) => {
    if (line.trim() === '') return;
    const at = `line ${index + 1}`;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      unreadable.push({ at, kind: kind ?? 'fact', id: null, field: 'line', reason: `not JSON: ${(error as Error).message}` });
      return;
    }
    const record = recordOf(value, at, kind);
    if ('reason' in record) unreadable.push(record);
    else records.push(record);
  });
  return { records, unreadable };
}

function readJson(text: string, kind?: RecordKind): ReadResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new UnreadableFileError(`not JSON: ${(error as Error).message}`);
  }
  const records: ImportRecord[] = [];
  const unreadable: Rejection[] = [];
  const add = (item: unknown, at: string, as?: RecordKind) => {
    const record = recordOf(item, at, as);
    if ('reason' in record) unreadable.push(record);
    else records.push(record);
  };
  if (Array.isArray(value)) {
    value.forEach((item, i) => add(item, `[${i}]`, kind));
    return { records, unreadable };
  }
  if (typeof value !== 'object' || value === null) throw new UnreadableFileError('a JSON import is an object with facts/figures/claims or an array of records');
  const file = value as { facts?: unknown; figures?: unknown; claims?: unknown };
  const unknown = Object.keys(file).filter((k) => !['facts', 'figures', 'claims'].includes(k));
  if (unknown.length > 0) throw new UnreadableFileError(`unknown key(s) ${unknown.join(', ')}: a JSON import holds facts, figures and claims`);
  listOf(file.facts, 'facts').forEach((item, i) => add(item, `facts[${i}]`, 'fact'));
  listOf(file.figures, 'figures').forEach((item, i) => {
    const { claims, ...figure } = (typeof item === 'object' && item !== null ? item : { value: item }) as { claims?: unknown };
    add(figure, `figures[${i}]`, 'figure');
    const figureId = (figure as { id?: unknown }).id;
    listOf(claims, `figures[${i}].claims`).forEach((claim, j) => add({ ...(claim as object), figureId }, `figures[${i}].claims[${j}]`, 'claim'));
  });
  listOf(file.claims, 'claims').forEach((item, i) => add(item, `claims[${i}]`, 'claim'));
  return { records, unreadable };
}

function listOf(value: unknown, key: string): unknown[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new UnreadableFileError(`${key} must be a list`);
  return value;
}

/** Splits a JSON record into its kind, its figure (claims) and the body a client would POST. */
function recordOf(value: unknown, at: string, kind?: RecordKind): ImportRecord | Rejection {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { at, kind: kind ?? 'fact', id: null, field: 'record', reason: 'a record must be a JSON object' };
  }
  const { kind: declared, figureId, ...body } = value as { kind?: unknown; figureId?: unknown };
  const recordKind = (declared ?? kind) as RecordKind | undefined;
  if (!recordKind || !RECORD_KINDS.includes(recordKind) || (kind && declared !== undefined && declared !== kind)) {
    return { at, kind: kind ?? 'fact', id: null, field: 'kind', reason: `kind must be one of ${RECORD_KINDS.join(', ')}` };
  }
  if (recordKind !== 'claim' && figureId !== undefined) return { kind: recordKind, at, body: { ...body, figureId } };
  return { kind: recordKind, at, body, ...(recordKind === 'claim' ? { figureId } : {}) };
}
