import type { JsonObject, RecordedEvent } from '../../../src/event-store/event-store';
import { chainEvents, eventHash } from '../../../src/event-store/event-hash';
import { CONTENT_WITHHELD, REDACTION_STREAM, withheldMarker } from '../../../src/event-store/withheld';
import { eventLeafHash, treeLeafHash } from '../../../src/projections/merkle/leaf';
import { MemoryTree } from '../../../src/projections/merkle/merkle';
import { verifyLog, type Withholding } from '../../../src/integrity/verify-log';

const WITHHOLDING_ID = '00000000-0000-4000-8000-00000000aaaa';

/** A chained event of its own stream at revision 0, at `position`. */
function event(position: number, stream: string, type: string, data: JsonObject, id = `00000000-0000-4000-8000-${String(position).padStart(12, '0')}`): RecordedEvent {
  const [metadata] = chainEvents(stream, 0n, null, [{ type, data, metadata: { actor: 'desk' } }]);
  return { id, streamId: stream, revision: 0n, position: BigInt(position), type, data, metadata, recordedAt: new Date(1_700_000_000_000 + position) };
}

/** A log of a fact, another fact and a ContentWithheld, with the first fact's summary withheld as the service withholds it. */
function withheldLog(): { events: RecordedEvent[]; original: RecordedEvent[]; withholdings: Map<string, Withholding[]> } {
  const fact = event(1, 'fact-1', 'FactRecorded', { factId: '1', title: 'Strike', summary: 'Told by Hadi Qaraqoshi.' });
  const other = event(2, 'fact-2', 'FactRecorded', { factId: '2', title: 'Other', summary: 'Nothing withheld.' });
  const leafHash = eventLeafHash(fact).toString('hex');
  const data = { ...fact.data, summary: withheldMarker({ on: '2026-12-07', by: WITHHOLDING_ID, leaf: leafHash }) };
  const withheldHash = eventHash({ ...fact, data });
  const record = { event: fact.id, paths: ['/summary'], leafHash, withheldHash };
  const withholding = event(3, REDACTION_STREAM, CONTENT_WITHHELD, record, WITHHOLDING_ID);
  return {
    events: [{ ...fact, data }, other, withholding],
    original: [fact, other, withholding],
    withholdings: new Map([[fact.id, [{ id: WITHHOLDING_ID, event: fact.id, paths: ['/summary'], leafHash, withheldHash }]]]),
  };
}

describe('verifyLog and withheld content', () => {
  it('accepts an event changed exactly as its withholding says, keeps its leaf, and lists it', async () => {
    const { events, original, withholdings } = withheldLog();
    const tree = new MemoryTree();
    for (const e of original) tree.appendHash(eventLeafHash(e));
    const report = await verifyLog(events, { checkpoint: { origin: 'x', size: 2, rootHash: tree.root(2) }, contiguousPositions: true, withholdings });
    expect(report).toMatchObject({ ok: true, checkpoint: { matches: true }, withheld: [{ eventId: events[0].id, by: WITHHOLDING_ID, paths: ['/summary'] }] });
    expect(report.rootHash).toBe(tree.root().toString('base64'));
    // The Merkle projection takes the same leaf from the marker.
    expect(treeLeafHash(events[0]).equals(eventLeafHash(original[0]))).toBe(true);
  });

  it('calls it an edit without its withholding, with another change beside it, or when the ContentWithheld is not in the log after it', async () => {
    const { events, withholdings } = withheldLog();
    expect((await verifyLog(events)).firstMismatch).toMatchObject({ kind: 'edited', position: '1' });
    const more = { ...events[0], data: { ...events[0].data, title: 'Rewritten' } };
    expect((await verifyLog([more, ...events.slice(1)], { withholdings })).firstMismatch).toMatchObject({ kind: 'edited', position: '1' });
    const gone = await verifyLog(events.slice(0, 2), { withholdings });
    expect(gone).toMatchObject({ ok: false, firstMismatch: { kind: 'edited', position: '1' } });
    expect(gone.firstMismatch?.detail).toContain('which the log does not hold intact');
    const altered = { ...events[2], data: { ...events[2].data, paths: ['/title'] } };
    expect((await verifyLog([...events.slice(0, 2), altered], { withholdings })).ok).toBe(false);
  });

  it('keeps no leaf from a marker an outside writer put in the user namespace', () => {
    const { events } = withheldLog();
    const outside = event(4, 'notes-1', 'NoteTaken', { text: events[0].data.summary as string });
    expect(treeLeafHash(outside).equals(eventLeafHash(outside))).toBe(true);
  });

  it('calls a marker planted in another event an edit', async () => {
    const { events, withholdings } = withheldLog();
    const planted = { ...events[1], data: { ...events[1].data, summary: events[0].data.summary } };
    const report = await verifyLog([events[0], planted, events[2]], { withholdings });
    expect(report.firstMismatch).toMatchObject({ kind: 'edited', position: '2' });
  });
});
