/**
 * Deep equality of JSON data, ignoring key order: a value read back from a store may list its keys
 * in another order than the one we wrote, and must still count as unchanged. A key holding
 * undefined counts as absent, as it would after a trip through JSON.
 */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((item, i) => sameJson(item, b[i]));
  }
  const left = definedKeys(a);
  const right = definedKeys(b);
  const rightValues = b as Record<string, unknown>;
  const leftValues = a as Record<string, unknown>;
  return left.length === right.length && left.every((key) => sameJson(leftValues[key], rightValues[key]));
}

function definedKeys(value: object): string[] {
  return Object.entries(value)
    .filter(([, v]) => v !== undefined)
    .map(([key]) => key);
}
