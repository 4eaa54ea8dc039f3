import type { JsonObject, RecordedEvent } from '../../../src/event-store/event-store';
import { chainEvents, eventHash } from '../../../src/event-store/event-hash';
import { eventLeafHash } from '../../../src/projections/merkle/leaf';
import { MemoryTree } from '../../../src/projections/merkle/merkle';
import { verifyLog } from '../../../src/integrity/verify-log';

/** Builds a log as a store would: legacy (unhashed) events first when asked, then chained ones. */
function log(spec: { stream: string; legacy?: boolean }[]): RecordedEvent[] {
  const revisions = new Map<string, RecordedEvent[]>();
  return spec.map(({ stream, legacy }, i) => {
    const previous = revisions.get(stream) ?? [];
    const revision = BigInt(previous.length);
    const data: JsonObject = { n: i };
    const last = previous[previous.length - 1];
    const metadata = legacy
      ? { actor: 'old-desk' }
      : chainEvents(stream, revision, last ? ((last.metadata.hash as string | undefined) ?? eventHash(last)) : null, [{ type: 'TestEvent', data, metadata: { actor: 'desk' } }])[0];
    const event: RecordedEvent = { id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`, streamId: stream, revision, position: BigInt(i + 1), type: 'TestEvent', data, metadata, recordedAt: new Date(1_700_000_000_000 + i) };
    revisions.set(stream, [...previous, event]);
    return event;
  });
}

describe('verifyLog', () => {
  it('counts streams begun before chains existed as legacy, and chains their later events onto them', async () => {
    const events = log([{ stream: 'a', legacy: true }, { stream: 'a', legacy: true }, { stream: 'b', legacy: true }, { stream: 'a' }, { stream: 'c' }, { stream: 'b' }]);
    const tree = new MemoryTree();
    for (const e of events) tree.appendHash(eventLeafHash(e));
    const report = await verifyLog(events, { checkpoint: { origin: 'x', size: 4, rootHash: tree.root(4) }, contiguousPositions: true });
    expect(report).toMatchObject({ ok: true, events: 6, streams: 3, chainedEvents: 3, legacyEvents: 3, legacyStreams: 2, checkpoint: { size: 4, matches: true } });
    expect(report.rootHash).toBe(tree.root().toString('base64'));
  });

  it('carries a stream on through a forged hash that is not hex (tabs and all), naming the forged event and its successor only', async () => {
    const events = log([{ stream: 'a' }, { stream: 'b' }, { stream: 'a' }, { stream: 'a' }]);
    const forged = { ...events[0], metadata: { ...events[0].metadata, hash: 'not\thex\t' } };
    const relinked: RecordedEvent = { ...events[2], metadata: { ...events[2].metadata, prevHash: 'not\thex\t' } };
    const { hash: _h, ...unhashed } = relinked.metadata;
    const rehashed = { ...relinked, metadata: { ...unhashed, hash: eventHash({ ...relinked, metadata: unhashed }) } };
    const report = await verifyLog([forged, events[1], rehashed, events[3]]);
    // events[3] links to the original hash of events[2], not to the rehashed one: the stream's state kept it exactly.
    expect(report.mismatches.map((m) => [m.kind, m.position])).toEqual([
      ['edited', '1'],
      ['edited', '3'],
    ]);
  });

  it('calls an unhashed event after chained ones foreign, not legacy', async () => {
    const events = log([{ stream: 'a' }, { stream: 'b' }]);
    const [foreign] = log([{ stream: 'c', legacy: true }]);
    const report = await verifyLog([...events, { ...foreign, position: 3n, recordedAt: new Date(1_700_000_000_010) }]);
    expect(report.ok).toBe(false);
    expect(report.firstMismatch).toMatchObject({ kind: 'foreign', position: '3', streamId: 'c' });
  });

  it('names the event whose successor no longer links to it when its own hash was recomputed', async () => {
    const events = log([{ stream: 'a' }, { stream: 'a' }, { stream: 'a' }]);
    const edited = { ...events[1], data: { n: 99 } };
    const { hash: _h, ...metadata } = edited.metadata;
    const rehashed = { ...edited, metadata: { ...metadata, hash: eventHash({ ...edited, metadata }) } };
    const report = await verifyLog([events[0], rehashed, events[2]]);
    expect(report.firstMismatch).toMatchObject({ kind: 'edited', position: '2', revision: '1', eventId: events[1].id });
    expect(report.firstMismatch?.detail).toMatch(/does not link to revision 1/);
  });

  it('names that event by its id whether or not the id is a lower-case UUID (the walk packs UUIDs as bytes)', async () => {
    for (const id of ['0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0ff', '0F1E2D3C-4B5A-4978-8695-A4B3C2D1E0FF', 'legacy\tid-7']) {
      const events = log([{ stream: 'a' }, { stream: 'a' }, { stream: 'a' }]);
      const edited = { ...events[1], id, data: { n: 99 } };
      const { hash: _h, ...metadata } = edited.metadata;
      const rehashed = { ...edited, metadata: { ...metadata, hash: eventHash({ ...edited, metadata }) } };
      const report = await verifyLog([events[0], rehashed, events[2]]);
      expect(report.firstMismatch).toMatchObject({ kind: 'edited', position: '2', revision: '1', eventId: id });
    }
  });
});
