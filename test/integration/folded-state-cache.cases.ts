import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { figureDecider, figureStream, type FigureCommand, type FigureState } from '../../src/domain/figure/figure';
import type { FigureEvent } from '../../src/domain/figure/figure.events';
import { upcast } from '../../src/domain/upcast';
import { type JsonObject, WrongExpectedVersionError } from '../../src/event-store/event-store';
import { FoldedStateCache, foldedStateCacheOf } from '../../src/event-store/folded-state-cache';
import { currentState, handleCommand } from '../../src/event-store/handle-command';
import { SqliteEventStore } from '../../src/event-store/sqlite/sqlite-event-store';
import { factDecider, factStream, type FactCommand, type FactState } from '../../src/domain/fact/fact';
import type { FactEvent } from '../../src/domain/fact/fact.events';
import { KeyedSubjectSeal } from '../../src/erasure/keyed-seal';
import { SubjectKeyStore } from '../../src/erasure/subject-key-store';
import { subjectSealOf, useSubjectSeal, type SubjectMark } from '../../src/event-store/subject-seal';
import { claimData, defineFigure, recordFact, source } from '../unit/domain/factories';

/**
 * handle-command folds a stream from the state it cached at some revision: these tests make other
 * writers (another store object on the same file, as a second process would be) change the stream
 * behind a cached state, and check that no command is ever decided on the stale state.
 */

const figureId = 'civilians-killed-coalition';
const stream = figureStream(figureId);
const meta = (reason?: string) => ({ actor: 'test', correlationId: 'c', ...(reason ? { reason } : {}) });
const assert = (claimId: string, value = 1000): FigureCommand => ({ type: 'AssertClaim', ...claimData({ claimId, value: { kind: 'exact', value } }) });

/** The state as a fold of the whole stream from nothing, with no cache involved. */
async function foldedFromScratch(store: SqliteEventStore): Promise<FigureState> {
  const events = await store.readStream(stream);
  return events.reduce((s, e) => figureDecider.evolve(s, upcast({ type: e.type, data: e.data }) as unknown as FigureEvent), figureDecider.initialState);
}

describe('folded state cache', () => {
  let dir: string;
  let a: SqliteEventStore;
  let b: SqliteEventStore;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'annals-cache-'));
    a = new SqliteEventStore({ path: join(dir, 'events.db'), synchronous: 'normal' });
    b = new SqliteEventStore({ path: join(dir, 'events.db'), synchronous: 'normal' });
    await handleCommand(a, figureDecider, defineFigure(), meta());
  });
  afterEach(async () => {
    await a.close();
    await b.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('sees a claim another writer added after the state was cached, and refuses it as a duplicate', async () => {
    await handleCommand(a, figureDecider, assert('one'), meta());
    // The state after its own append is cached: the next command reads only what others wrote since.
    expect(foldedStateCacheOf(a).get(figureDecider, stream)?.revision).toBe(1n);
    await handleCommand(b, figureDecider, assert('two'), meta());
    await expect(handleCommand(a, figureDecider, assert('two'), meta())).rejects.toMatchObject({ code: 'conflict' });
    const { state, revision } = await currentState(a, figureDecider, stream);
    expect(revision).toBe(2n);
    expect(state).toEqual(await foldedFromScratch(a));
  });

  it('refuses an If-Match on the revision it cached once another writer moved the stream on, and takes the new one', async () => {
    const first = await handleCommand(a, figureDecider, assert('one'), meta());
    await handleCommand(b, figureDecider, { type: 'RetractClaim', figureId, claimId: 'one' }, meta('withdrawn'));
    await expect(handleCommand(a, figureDecider, assert('three'), meta(), { ifMatch: first.revision })).rejects.toBeInstanceOf(
      WrongExpectedVersionError,
    );
    // The retraction reached a's state: correcting the retracted claim is refused as the domain says.
    await expect(
      handleCommand(a, figureDecider, { type: 'CorrectClaim', figureId, claimId: 'one', changes: { value: { kind: 'exact', value: 5 } } }, meta('typo')),
    ).rejects.toMatchObject({ code: 'conflict' });
    const written = await handleCommand(a, figureDecider, assert('three'), meta(), { ifMatch: first.revision + 1n });
    expect(written.revision).toBe(first.revision + 2n);
  });

  it('lets exactly one of many concurrent writers of the same claim win, over two store objects', async () => {
    await handleCommand(a, figureDecider, assert('warm'), meta());
    await handleCommand(b, figureDecider, assert('warm-b'), meta());
    const outcomes = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) => handleCommand(i % 2 ? a : b, figureDecider, assert('contested', i), meta())),
    );
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    expect(outcomes.filter((o) => o.status === 'rejected').map((o) => (o as PromiseRejectedResult).reason.code)).toEqual(Array(19).fill('conflict'));
    expect(await foldedFromScratch(a)).toEqual((await currentState(a, figureDecider, stream)).state);
    expect(await foldedFromScratch(b)).toEqual((await currentState(b, figureDecider, stream)).state);
  });

  it('after any interleaving of two writers, each one decides on exactly the state a fold from scratch gives', async () => {
    let seed = 7;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const live: string[] = [];
    for (let step = 0; step < 150; step++) {
      const store = random(2) ? a : b;
      const op = random(3);
      if (op === 0 || live.length === 0) {
        const claimId = `c${step}`;
        await handleCommand(store, figureDecider, assert(claimId, step), meta());
        live.push(claimId);
      } else if (op === 1) {
        const claimId = live[random(live.length)];
        await handleCommand(store, figureDecider, { type: 'CorrectClaim', figureId, claimId, changes: { value: { kind: 'exact', value: step } } }, meta('fix'));
      } else {
        const claimId = live.splice(random(live.length), 1)[0];
        await handleCommand(store, figureDecider, { type: 'RetractClaim', figureId, claimId }, meta('withdrawn'));
      }
      const truth = await foldedFromScratch(a);
      expect((await currentState(a, figureDecider, stream)).state).toEqual(truth);
      expect((await currentState(b, figureDecider, stream)).state).toEqual(truth);
    }
  });

  it('decides on the state its own append left without reading the stream, until another writer or another append of its own moves it', async () => {
    await handleCommand(a, figureDecider, assert('one'), meta());
    await handleCommand(a, figureDecider, assert('two'), meta());
    const reads = jest.spyOn(a, 'readStreamIfAny');
    await handleCommand(a, figureDecider, assert('three'), meta());
    expect(reads).not.toHaveBeenCalled();
    // Another connection's commit (a second process) moves the mark: the claim it added is seen.
    await handleCommand(b, figureDecider, assert('four'), meta());
    await expect(handleCommand(a, figureDecider, assert('four'), meta())).rejects.toMatchObject({ code: 'conflict' });
    expect(reads).toHaveBeenCalledTimes(1);
    await handleCommand(a, figureDecider, assert('five'), meta());
    expect(reads).toHaveBeenCalledTimes(1);
    // This store's own append outside a command moves it too: the next command folds it and takes its revision.
    const retraction = figureDecider.decide({ type: 'RetractClaim', figureId, claimId: 'five' }, (await currentState(b, figureDecider, stream)).state, meta('withdrawn'));
    const appended = await a.appendToStream(stream, retraction.map((e) => ({ id: randomUUID(), type: e.type, data: e.data as unknown as JsonObject, metadata: { actor: 'test', correlationId: 'c' } })));
    await expect(
      handleCommand(a, figureDecider, { type: 'CorrectClaim', figureId, claimId: 'five', changes: { value: { kind: 'exact', value: 5 } } }, meta('typo')),
    ).rejects.toMatchObject({ code: 'conflict' });
    const written = await handleCommand(a, figureDecider, assert('six'), meta(), { ifMatch: appended.nextExpectedRevision });
    expect(written.revision).toBe(appended.nextExpectedRevision + 1n);
    expect((await currentState(a, figureDecider, stream)).state).toEqual(await foldedFromScratch(a));
    reads.mockRestore();
  });

  it('finds a retried Idempotency-Key by event id, without reading the stream, and refuses the key for another request', async () => {
    const first = await handleCommand(a, figureDecider, assert('keyed'), meta(), { idempotencyKey: 'k-1' });
    const again = await handleCommand(b, figureDecider, assert('keyed'), meta(), { idempotencyKey: 'k-1' });
    expect(again).toEqual({ ...first, written: false });
    await expect(handleCommand(a, figureDecider, assert('other'), meta(), { idempotencyKey: 'k-1' })).rejects.toThrow(/used for a different request/);
  });
});

describe('the state a writer caches after its own append', () => {
  it('is what a fold of the stored events, opened by the seal, gives: persons sealed, marks, corrections, retractions', async () => {
    const store = new SqliteEventStore({ path: ':memory:' });
    const keys = new SubjectKeyStore(':memory:');
    useSubjectSeal(store, new KeyedSubjectSeal(keys));
    const fact = 'cached-after-append';
    const person = { type: 'person' as const, name: 'Joseph Votel' };
    const steps: [FactCommand, { reason?: string; marks?: SubjectMark[] }][] = [
      [recordFact({ factId: fact, entities: [person, { type: 'organisation', name: 'CENTCOM' }], summary: 'Joseph Votel held the command.' }), { marks: [{ subject: 'Joseph Votel', path: '/summary', passage: 'Joseph Votel' }] }],
      [{ type: 'CorrectFact', factId: fact, changes: { entities: [{ type: 'person', name: 'Kenneth McKenzie' }] } }, { reason: 'successor' }],
      [{ type: 'AddFactSource', factId: fact, source: source({ url: 'http://127.0.0.1/sources/later' }) }, {}],
      [{ type: 'RetractFact', factId: fact }, { reason: 'withdrawn' }],
    ];
    for (const [step, [command, { reason, marks }]] of steps.entries()) {
      await handleCommand(store, factDecider, command, meta(reason), marks ? { marks } : {});
      const cached = foldedStateCacheOf(store).get<FactState>(factDecider, factStream(fact));
      // A new stream is not kept (most facts are never written again); from the second write on it is.
      if (step === 0) {
        expect(cached).toBeUndefined();
        await currentState(store, factDecider, factStream(fact));
        continue;
      }
      const seal = subjectSealOf(store);
      const stored = await store.readStream(factStream(fact));
      const truth = stored.reduce((s, e) => factDecider.evolve(s, upcast(seal.open({ type: e.type, data: e.data })) as unknown as FactEvent), factDecider.initialState);
      expect(cached?.revision).toBe(stored[stored.length - 1].revision);
      expect(cached?.state).toEqual(truth);
    }
    expect(JSON.stringify((await store.readStream(factStream(fact)))[0].data)).not.toContain('Joseph Votel');
    await store.close();
    keys.close();
  });

  it('is not kept when an erasure cleared the cache while the append was on its way', async () => {
    const store = new SqliteEventStore({ path: ':memory:' });
    const cache = foldedStateCacheOf(store);
    await handleCommand(store, factDecider, recordFact({ factId: 'erased-meanwhile' }), meta());
    await handleCommand(store, factDecider, { type: 'AddFactSource', factId: 'erased-meanwhile', source: source({ url: 'http://127.0.0.1/sources/a' }) }, meta());
    expect(cache.get(factDecider, factStream('erased-meanwhile'))?.revision).toBe(1n);
    const append = store.appendToStream.bind(store);
    jest.spyOn(store, 'appendToStream').mockImplementation(async (...args) => {
      cache.clear();
      return append(...args);
    });
    await handleCommand(store, factDecider, { type: 'AddFactSource', factId: 'erased-meanwhile', source: source({ url: 'http://127.0.0.1/sources/b' }) }, meta());
    expect(cache.get(factDecider, factStream('erased-meanwhile'))).toBeUndefined();
    await store.close();
  });
});

describe('FoldedStateCache bounds', () => {
  it('keeps the most recently used states within its budget of folded events', () => {
    const cache = new FoldedStateCache(100);
    const owner = {};
    cache.set(owner, 's1', { revision: 39n, state: 1 });
    cache.set(owner, 's2', { revision: 39n, state: 2 });
    expect(cache.get(owner, 's1')?.state).toBe(1);
    cache.set(owner, 's3', { revision: 39n, state: 3 });
    expect(cache.get(owner, 's2')).toBeUndefined();
    expect(cache.get(owner, 's1')?.state).toBe(1);
    expect(cache.get(owner, 's3')?.state).toBe(3);
    expect(cache.get({}, 's3')).toBeUndefined();
    cache.set(owner, 'huge', { revision: 100n, state: 4 });
    expect(cache.get(owner, 'huge')).toBeUndefined();
    expect(cache.size).toBe(2);
  });
});
