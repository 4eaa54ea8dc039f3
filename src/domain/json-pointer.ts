import { invalid } from './errors';

/**
 * RFC 6901 JSON pointers, as a write's marks name the values they mark (`/sources/0/quote`): parsed
 * into segments, read, and written into a copy (events are never mutated).
 */
export function parsePointer(pointer: string, field: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw invalid(`${field} must be a JSON pointer such as /summary or /sources/0/quote`, field);
  return pointer
    .slice(1)
    .split('/')
    .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'));
}

export function pointerOf(segments: readonly string[]): string {
  return segments.map((segment) => `/${segment.replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
}

/** The value at the segments, or undefined when the document holds none there. */
export function valueAt(document: unknown, segments: readonly string[]): unknown {
  let value = document;
  for (const segment of segments) {
    if (Array.isArray(value)) {
      if (!/^(0|[1-9]\d*)$/.test(segment)) return undefined;
      value = value[Number(segment)];
    } else if (typeof value === 'object' && value !== null && Object.hasOwn(value, segment)) {
      value = (value as Record<string, unknown>)[segment];
    } else {
      return undefined;
    }
  }
  return value;
}

/** A copy of the document with `replacement` at the segments (which must exist), sharing everything else. */
export function withValueAt(document: unknown, segments: readonly string[], replacement: unknown): unknown {
  if (segments.length === 0) return replacement;
  const [head, ...rest] = segments;
  if (Array.isArray(document)) {
    const copy = document.slice();
    copy[Number(head)] = withValueAt(document[Number(head)], rest, replacement);
    return copy;
  }
  const record = document as Record<string, unknown>;
  return { ...record, [head]: withValueAt(record[head], rest, replacement) };
}
