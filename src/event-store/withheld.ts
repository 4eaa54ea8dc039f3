/**
 * Content withheld after the fact (docs/erasure.md, "Withholding what was not marked"). A text value
 * recorded unmarked cannot be erased by key: an admin withholds it instead. The stored event's value
 * is replaced by a marker, the event keeps the hash it was chained and put in the Merkle tree with,
 * and a `ContentWithheld` event in the log says which event, which paths, who, when and why, with the
 * hashes verify needs to tell the withholding from tampering (src/integrity/verify-log.ts).
 *
 * The marker is one whole string, `annals:withheld:v1:<YYYY-MM-DD>:<ContentWithheld id>:<leaf hex>`:
 * a text value stays a text value (the events' shapes, the upcasters and the projections are
 * unchanged), and it carries the event's kept Merkle leaf hash, so that read models built afresh
 * (the Merkle projection) put the same leaf in the tree without reading ahead in the log. Whoever
 * trusts no stored value checks the leaf against the ContentWithheld event, as verify does.
 */
export const WITHHELD_PREFIX = 'annals:withheld:v1:';
/** The service stream where withholdings are recorded, and their event type (stored types are never renamed). */
export const REDACTION_STREAM = 'annals-redaction';
export const CONTENT_WITHHELD = 'ContentWithheld';

const MARKER = /^annals:withheld:v1:(\d{4}-\d{2}-\d{2}):([0-9a-f-]{36}):([0-9a-f]{64})$/;
const MARKER_IN_TEXT = /"annals:withheld:v1:\d{4}-\d{2}-\d{2}:[0-9a-f-]{36}:([0-9a-f]{64})"/;

export interface WithheldMarker {
  /** The day it was withheld (UTC). */
  readonly on: string;
  /** The id of the ContentWithheld event that withheld it. */
  readonly by: string;
  /** The event's Merkle leaf hash as it was recorded, lower-case hex. */
  readonly leaf: string;
}

export function withheldMarker(marker: WithheldMarker): string {
  return `${WITHHELD_PREFIX}${marker.on}:${marker.by}:${marker.leaf}`;
}

export function parseWithheld(value: unknown): WithheldMarker | undefined {
  if (typeof value !== 'string' || !value.startsWith(WITHHELD_PREFIX)) return undefined;
  const match = MARKER.exec(value);
  return match ? { on: match[1], by: match[2], leaf: match[3] } : undefined;
}

/** What every answer shows in place of a withheld value. */
export function withheldText(marker: WithheldMarker): string {
  return `[withheld on ${marker.on}]`;
}

/** Whether a text (a value, or an event's JSON) holds the marker's prefix anywhere: only the service writes it. */
export function holdsWithheld(text: string): boolean {
  return text.includes(WITHHELD_PREFIX);
}

/** The kept leaf hash of an event whose canonical data JSON holds a marker, or undefined (the common case: one `includes`). */
export function keptLeafIn(dataJson: string): Buffer | undefined {
  if (!dataJson.includes(WITHHELD_PREFIX)) return undefined;
  const match = MARKER_IN_TEXT.exec(dataJson);
  return match ? Buffer.from(match[1], 'hex') : undefined;
}
