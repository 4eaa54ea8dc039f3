import { invalid } from './errors';

/**
 * Rules for the free text and lists that commands carry. Each returns the normalised value that
 * goes into an event, so stored data never holds stray whitespace, duplicates or extra keys.
 */

/** Counted in code points, as a person counts characters (an emoji is one, not two). */
export function textLength(text: string): number {
  return [...text].length;
}

/**
 * Characters that show nothing: white space, controls, format characters (zero-width spaces and
 * joiners, word joiner, BOM, soft hyphen, direction marks and overrides) and the rest of Unicode's
 * default-ignorable code points (fillers, variation selectors).
 */
const INVISIBLE = /^[\p{White_Space}\p{Cc}\p{Cf}\p{Default_Ignorable_Code_Point}]*$/u;

/** Text a reader would see nothing of is empty, however many characters it holds. */
export function isBlank(text: string): boolean {
  return INVISIBLE.test(text);
}

/** Trimmed text of `min`..`max` characters; text that shows nothing counts as empty. */
export function requireText(value: unknown, field: string, max: number, min = 1): string {
  if (typeof value !== 'string') throw invalid(`${field} must be text`, field);
  const text = isBlank(value) ? '' : value.trim();
  const length = textLength(text);
  if (length < min) throw invalid(`${field} must not be empty`, field);
  if (length > max) throw invalid(`${field} must be at most ${max} characters`, field);
  return text;
}

/** Optional text: absent or blank means "none", so the caller omits the key instead of storing ''. */
export function optionalText(value: unknown, field: string, max: number): string | undefined {
  if (value === undefined || value === null) return undefined;
  const text = requireText(value, field, max, 0);
  return text === '' ? undefined : text;
}

/** An array whose items are each checked and normalised by `item`, with their indexed field path. */
export function requireList<T>(value: unknown, field: string, item: (value: unknown, field: string) => T): T[] {
  if (!Array.isArray(value)) throw invalid(`${field} must be a list`, field);
  return value.map((each, index) => item(each, `${field}[${index}]`));
}

/** Counted after normalisation, so duplicates that collapse into one count once. */
export function requireCount<T>(items: T[], field: string, min: number, max: number): T[] {
  if (items.length < min) throw invalid(`${field} needs at least ${min} item${min === 1 ? '' : 's'}`, field);
  if (items.length > max) throw invalid(`${field} must have at most ${max} items`, field);
  return items;
}

/** First occurrence wins, so the order the client gave is kept. */
export function dedupe<T>(items: readonly T[], key: (item: T) => string): T[] {
  const seen = new Set<string>();
  return items.filter((item) => {
    const k = key(item);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** Plain objects only: arrays and null are not records, whatever typeof says. */
export function requireRecord(value: unknown, field: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalid(`${field} must be an object`, field);
  }
  return value as Record<string, unknown>;
}
