import canonicalize from 'canonicalize';
import { createHash } from 'node:crypto';
import type { JsonValue } from '../event-store/event-store';

/**
 * RFC 8785 (JCS) canonical JSON: keys sorted by UTF-16 code units, numbers as ECMAScript prints
 * them, no whitespace. The same value always gives the same bytes, whoever serialises it, which is
 * what a hash over JSON needs. `canonicalize` 2.x is the maintained JCS package that still runs on Node 20.
 */
export function canonicalJson(value: JsonValue): string {
  const text = canonicalize(value);
  if (text === undefined) throw new TypeError('only JSON values have a canonical form');
  return text;
}

export function sha256(data: string | Uint8Array): Buffer {
  return createHash('sha256').update(data).digest();
}
