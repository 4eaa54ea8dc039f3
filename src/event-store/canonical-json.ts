import { hash } from 'node:crypto';
import type { JsonValue } from './event-store';

/**
 * RFC 8785 (JCS) canonical JSON: keys sorted by UTF-16 code units, numbers as ECMAScript prints
 * them, no whitespace. The same value always gives the same bytes, whoever serialises it, which is
 * what a hash over JSON needs.
 *
 * Written here rather than taken from `canonicalize` because it sits on every append and every
 * verification: the package builds each object through reduce and template strings and cost about
 * 2.5× JSON.stringify per event. Strings and numbers are JCS's own rules, which are ECMAScript's
 * JSON.stringify (RFC 8785 §3.2.2 defines them that way), so they are delegated to it; only the
 * key order is JCS's. A value that is not plain JSON is read as JSON.stringify would write it
 * (undefined, functions and symbols dropped from objects and null in arrays, toJSON called), so
 * hashing what a writer passed gives the bytes a reader of the stored JSON recomputes.
 * test/unit/event-store/canonical-json.property.spec.ts checks it byte for byte against `canonicalize`.
 */
export function canonicalJson(value: JsonValue | CanonicalText | { readonly [key: string]: unknown }): string {
  const text = serialise(value);
  if (text === undefined) throw new TypeError('only JSON values have a canonical form');
  return text;
}

/**
 * A part already in canonical form, placed as it is: the store serialises an event's data once, when
 * the append is called (as it encodes it), and hashes it inside the transaction with the chain fields.
 */
export class CanonicalText {
  constructor(readonly text: string) {}
}

/**
 * A string JSON.stringify writes as it is between quotes: no quote, backslash, control character or
 * surrogate (JSON.stringify escapes the first three and lone surrogates; pairs are left to it too).
 * Testing for it and quoting cost about half the call for the short strings events are made of.
 */
const PLAIN_STRING = /^[^"\\\u0000-\u001f\ud800-\udfff]*$/;

function serialise(value: unknown): string | undefined {
  if (value instanceof CanonicalText) return value.text;
  switch (typeof value) {
    case 'string':
      return PLAIN_STRING.test(value) ? `"${value}"` : JSON.stringify(value);
    case 'number':
      return JSON.stringify(value); // NaN and ±Infinity → null, as stored
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      if (value === null) return 'null';
      if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return serialise((value as { toJSON(): unknown }).toJSON());
      return Array.isArray(value) ? serialiseArray(value) : serialiseObject(value as Record<string, unknown>);
    case 'bigint':
      throw new TypeError('a bigint has no JSON form');
    default:
      return undefined;
  }
}

function serialiseArray(values: readonly unknown[]): string {
  let text = '[';
  for (let i = 0; i < values.length; i++) {
    if (i > 0) text += ',';
    text += serialise(values[i]) ?? 'null';
  }
  return `${text}]`;
}

/** `"key":` for the keys met so far: a log repeats a few dozen keys millions of times. Bounded, for data with ever new keys. */
const memberPrefixes = new Map<string, string>();
const MAX_REMEMBERED_KEYS = 10_000;

function serialiseObject(object: Record<string, unknown>): string {
  const keys = Object.keys(object);
  // Array.prototype.sort without a comparator orders strings by UTF-16 code units: JCS's order.
  // Objects parsed from canonical text come sorted already: checking costs less than sorting.
  for (let i = 1; i < keys.length; i++) {
    if (keys[i - 1] > keys[i]) {
      keys.sort();
      break;
    }
  }
  let text = '{';
  let first = true;
  for (const key of keys) {
    const member = serialise(object[key]);
    if (member === undefined) continue;
    let prefix = memberPrefixes.get(key);
    if (prefix === undefined) {
      prefix = `${JSON.stringify(key)}:`;
      if (memberPrefixes.size < MAX_REMEMBERED_KEYS) memberPrefixes.set(key, prefix);
    }
    text += first ? prefix : `,${prefix}`;
    text += member;
    first = false;
  }
  return `${text}}`;
}

export function sha256(data: string | Uint8Array): Buffer {
  // One-shot (Node ≥ 20.12): about half the cost of createHash().update().digest() on short inputs.
  return hash('sha256', data, 'buffer');
}
