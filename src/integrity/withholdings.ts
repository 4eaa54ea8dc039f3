import { createHash } from 'node:crypto';
import { StreamNotFoundError, type EventStore } from '../event-store/event-store';
import { CONTENT_WITHHELD, REDACTION_STREAM } from '../event-store/withheld';
import { openNote, type NoteVerifier } from './signed-note';
import type { Withholding } from './verify-log';

/** What a ContentWithheld event holds besides its statement (no withheld text: ids, paths, hashes, who, when, why). */
export interface WithholdingRecord {
  readonly event: string;
  readonly stream: string;
  readonly position: string;
  readonly paths: readonly string[];
  readonly leafHash: string;
  readonly withheldHash: string;
  readonly withheldAt: string;
  readonly reason: string;
}

/**
 * The text the checkpoint key signs for a withholding: whoever holds the verifier key can tell a
 * withholding the service made from one written into the store by hand (a marker and a matching
 * ContentWithheld, chained with public hashes, would otherwise pass).
 */
export function withholdingStatementText(record: WithholdingRecord, actor: string): string {
  return (
    `annals withholding\nevent ${record.event}\nstream ${record.stream}\nposition ${record.position}\npaths ${JSON.stringify(record.paths)}\n` +
    `leaf ${record.leafHash}\nwithheld-hash ${record.withheldHash}\nwithheld ${record.withheldAt}\nby ${actor}\n` +
    `reason-sha256 ${createHash('sha256').update(record.reason).digest('hex')}\n`
  );
}

/**
 * The log's ContentWithheld events, by the event each names, in log order: read before a walk of the
 * log (verify meets a withheld event before the event that withheld it). With `verifier`, only those
 * whose signed statement opens with it and says what their data says count.
 */
export async function readWithholdings(store: EventStore, verifier?: NoteVerifier): Promise<Map<string, Withholding[]>> {
  const found = new Map<string, Withholding[]>();
  let events;
  try {
    events = await store.readStream(REDACTION_STREAM);
  } catch (error) {
    if (error instanceof StreamNotFoundError) return found;
    throw error;
  }
  for (const event of events) {
    if (event.type !== CONTENT_WITHHELD) continue;
    const record = asRecord(event.data);
    if (!record) continue;
    if (verifier) {
      const actor = typeof event.metadata.actor === 'string' ? event.metadata.actor : '';
      try {
        if (openNote(String(event.data.statement), verifier) !== withholdingStatementText(record, actor)) continue;
      } catch {
        continue;
      }
    }
    const withholding: Withholding = { id: event.id, event: record.event, paths: record.paths, leafHash: record.leafHash, withheldHash: record.withheldHash };
    found.set(record.event, [...(found.get(record.event) ?? []), withholding]);
  }
  return found;
}

export function asRecord(data: Record<string, unknown>): WithholdingRecord | undefined {
  const { event, stream, position, paths, leafHash, withheldHash, withheldAt, reason } = data;
  const texts = [event, stream, position, leafHash, withheldHash, withheldAt, reason];
  if (!texts.every((t) => typeof t === 'string') || !Array.isArray(paths) || !paths.every((p) => typeof p === 'string')) return undefined;
  return { event, stream, position, paths, leafHash, withheldHash, withheldAt, reason } as WithholdingRecord;
}
