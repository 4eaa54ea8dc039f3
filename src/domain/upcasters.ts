/**
 * The upcasters event declarations name (see upcast.ts for where they run): pure and total, each
 * returns its input unchanged when the data is not of the old shape it reads.
 */

/** `{ …, source: S }` → `{ …, sources: [S] }`, in the same place among the keys; anything else unchanged. */
export function singleSourceToList(data: unknown): unknown {
  if (!isRecord(data) || data.source === undefined || data.sources !== undefined) return data;
  return Object.fromEntries(Object.entries(data).map(([key, value]) => (key === 'source' ? ['sources', [value]] : [key, value])));
}

/** A correction whose changes hold one `source` → changes `sources: [source]`. */
export function changesSingleSourceToList(data: unknown): unknown {
  if (!isRecord(data) || !isRecord(data.changes)) return data;
  const changes = singleSourceToList(data.changes);
  return changes === data.changes ? data : { ...data, changes };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
