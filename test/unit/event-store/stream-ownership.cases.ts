import { randomUUID } from 'node:crypto';
import { SqliteEventStore } from '../../../src/event-store/sqlite/sqlite-event-store';
import {
  domainEventOf,
  isServiceStream,
  outsideAppendRefusal,
  outsideWriter,
  ReservedForServiceError,
} from '../../../src/event-store/stream-ownership';
import { eventIdFromKey } from '../../../src/event-store/handle-command';

describe('stream ownership: one rule for who writes where', () => {
  it('knows the domain and service streams by category, whatever their case', () => {
    expect(['fact-1', 'figure-2', 'annals-integrity', 'Fact-3', 'keys-x', 'watch-1', 'fact'].map(isServiceStream)).toEqual([true, true, true, true, true, true, true]);
    expect(['facts-3', 'orders-4', 'notes-1', 'factory-9', 'x-fact-1'].map(isServiceStream)).toEqual([false, false, false, false, false]);
  });

  it('applies a domain event only where its stream category and its type agree', () => {
    expect(domainEventOf({ streamId: 'fact-1', type: 'FactCorrected' })).toBe('fact');
    expect(domainEventOf({ streamId: 'figure-1', type: 'ClaimAsserted' })).toBe('figure');
    expect(domainEventOf({ streamId: 'notes-1', type: 'FactCorrected' })).toBeUndefined();
    expect(domainEventOf({ streamId: 'fact-1', type: 'ClaimAsserted' })).toBeUndefined();
    expect(domainEventOf({ streamId: 'figure-1', type: 'FactRecorded' })).toBeUndefined();
  });

  it('refuses service types and derived ids in the user namespace, and lets anything else through', () => {
    const ok = { id: randomUUID(), type: 'NoteTaken' };
    expect(outsideAppendRefusal('notes-1', [ok])).toBeUndefined();
    expect(outsideAppendRefusal('notes-1', [ok, { id: randomUUID(), type: 'factcorrected' }])).toMatch(/events\[1\]\.type/);
    expect(outsideAppendRefusal('notes-1', [{ id: randomUUID(), type: 'IntegrityMismatchAcknowledged' }])).toMatch(/Annals event type/);
    expect(outsideAppendRefusal('notes-1', [{ id: eventIdFromKey('editor', 'k', 'fact-1', 0), type: 'NoteTaken' }])).toMatch(/version 8/);
    expect(outsideAppendRefusal('annals-integrity', [ok])).toMatch(/reserves/);
    expect(outsideAppendRefusal('fact-1', [ok])).toMatch(/domain stream/);
  });

  it('wraps the store so that an outside surface cannot write past the rule, and reads pass through', async () => {
    const store = new SqliteEventStore({ path: ':memory:' });
    try {
      const outside = outsideWriter(store);
      expect(outsideWriter(outside)).toBe(outside);
      await expect(outside.appendToStream('fact-1', [{ id: randomUUID(), type: 'NoteTaken', data: {} }])).rejects.toBeInstanceOf(ReservedForServiceError);
      await expect(outside.appendToStream('notes-1', [{ id: randomUUID(), type: 'FactRecorded', data: {} }])).rejects.toBeInstanceOf(ReservedForServiceError);
      await outside.appendToStream('notes-1', [{ id: randomUUID(), type: 'NoteTaken', data: { n: 1 } }]);
      expect((await outside.readStream('notes-1')).map((e) => e.type)).toEqual(['NoteTaken']);
      expect(await store.headPosition()).toBe(1n);
    } finally {
      await store.close();
    }
  });
});
