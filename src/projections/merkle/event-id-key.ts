/**
 * An event id as merkle_leaves keeps it: the 16 bytes of a lower-case uuid (every store writes its ids
 * so) instead of its 36 characters, in the row and again in the index by event id (~40 bytes per
 * event of a rebuild's file). Any other id is kept as it is, so it still reads back unchanged. Also how
 * the log's verification packs the ids it keeps (integrity/verify-log.ts).
 */
const CANONICAL_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function eventIdKey(id: string): Buffer | string {
  return CANONICAL_UUID.test(id) ? Buffer.from(id.replaceAll('-', ''), 'hex') : id;
}

export function eventIdFromKey(key: Buffer | string): string {
  if (typeof key === 'string') return key;
  const hex = key.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
