import type Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { factDecider, type FactCommand } from '../../src/domain/fact/fact';
import { figureDecider, type FigureCommand } from '../../src/domain/figure/figure';
import type { ValidTime } from '../../src/domain/valid-time';
import { handleCommand } from '../../src/event-store/handle-command';
import { SqliteEventStore } from '../../src/event-store/sqlite/sqlite-event-store';
import { FigureQueries } from '../../src/projections/figures/figures.queries';
import { FiguresProjection } from '../../src/projections/figures/figures.projection';
import { ProjectionRunner } from '../../src/projections/projection-runner';
import { openReadModelDatabase, READ_MODEL_VERSION } from '../../src/projections/read-model-database';
import { TimelineProjection } from '../../src/projections/timeline/timeline.projection';
import { TimelineQueries } from '../../src/projections/timeline/timeline.queries';

const quiet = { log: () => undefined, error: () => undefined };
const meta = (reason?: string) => ({ actor: 'desk', correlationId: 'c-1', ...(reason ? { reason } : {}) });
const source = { publisher: 'Desk', title: 'Note', url: 'https://example.org/n', publishedOn: '2019-03' };

function recordFact(factId: string, title: string, validTime: ValidTime, tags = ['coalition']): FactCommand {
  return { type: 'RecordFact', factId, title, summary: '', tags, entities: [], sources: [source], validTime };
}

/** A service's worth of parts on files in `dir`, with a store clock the test moves by hand. */
function open(dir: string, clock: { now: number }, bulkLoadFrom?: bigint) {
  const store = new SqliteEventStore({ path: join(dir, 'events.db'), clock: () => clock.now });
  const db: Database.Database = openReadModelDatabase(join(dir, 'read-models.db'));
  const runner = new ProjectionRunner(store, db, [new TimelineProjection(db), new FiguresProjection(db)], quiet, bulkLoadFrom);
  const parts = { store, db, runner, timeline: new TimelineQueries(db), figures: new FigureQueries(db) };
  const write = async (decider: typeof factDecider | typeof figureDecider, command: FactCommand | FigureCommand, reason?: string) => {
    const result = await handleCommand(store, decider as never, command, meta(reason));
    await runner.waitFor(result.position, 5000);
    return result;
  };
  const close = async () => {
    await runner.stop();
    db.close();
    await store.close();
  };
  return { ...parts, write, close };
}

describe('projections', () => {
  let dir: string;
  const clock = { now: Date.parse('2026-01-01T00:00:00Z') };
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'annals-projections-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  async function seed(service: ReturnType<typeof open>) {
    await service.write(factDecider, recordFact('formed', 'Coalition formed', { at: '2014-09' }));
    await service.write(factDecider, recordFact('votel', 'Votel commands CENTCOM', { from: '2016-03-30', to: '2019-03-28' }, ['centcom']));
    await service.write(factDecider, recordFact('mckenzie', 'McKenzie commands CENTCOM', { from: '2019-03-28' }, ['centcom']));
    await service.write(figureDecider, { type: 'DefineFigure', figureId: 'deaths', name: 'Civilian deaths', unit: 'people', scope: { places: ['Iraq', 'Syria'] } });
    await service.write(figureDecider, {
      type: 'AssertClaim', figureId: 'deaths', claimId: 'cjtf-2019-03', claimant: 'Coalition',
      value: { kind: 'bound', qualifier: 'at_least', value: 1257 }, assertedOn: '2019-03-28', source,
    });
    await service.write(figureDecider, {
      type: 'AssertClaim', figureId: 'deaths', claimId: 'airwars-2019-03', claimant: 'Airwars',
      value: { kind: 'bound', qualifier: 'about', value: 7600 }, assertedOn: '2019-03', source,
    });
    clock.now += 60_000;
    await service.write(factDecider, { type: 'CorrectFact', factId: 'formed', changes: { title: 'US-led coalition formed' } }, 'fuller name');
  }

  function answers(service: ReturnType<typeof open>) {
    return {
      timeline: service.timeline.timeline({ limit: 50 }).items.map((f) => [f.id, f.title, f.revision]),
      knownBefore: service.timeline.timeline({ limit: 50, knownAt: new Date(clock.now - 1) }).items.map((f) => f.title),
      inEffect2017: service.timeline.inEffect('2017-06-01', {}, 20).items.map((f) => f.id),
      figure: service.figures.figure('deaths', { asOf: '2019-04-01' }),
      history: service.timeline.history('formed').map((v) => [v.title, v.lastChange.type, v.lastChange.reason]),
    };
  }

  it('answers asOf and knownAt from the read models', async () => {
    const service = open(dir, clock);
    await service.runner.start();
    await seed(service);
    const a = answers(service);
    expect(a.timeline.map(([id]) => id)).toEqual(['formed', 'votel', 'mckenzie']);
    expect(a.knownBefore[0]).toBe('Coalition formed');
    expect(a.timeline[0]).toEqual(['formed', 'US-led coalition formed', '1']);
    expect(a.inEffect2017).toEqual(['votel']);
    expect(a.figure?.claims.map((c) => [c.claimant, c.low])).toEqual([['Coalition', 1257], ['Airwars', 7600]]);
    expect(a.figure?.spread).toEqual({ low: 1257, high: 7600, ratio: 6.05 });
    expect(a.history).toEqual([
      ['Coalition formed', 'FactRecorded', null],
      ['US-led coalition formed', 'FactCorrected', 'fuller name'],
    ]);
    await service.close();
  });

  it('rebuilds the same answers after the read models are deleted', async () => {
    const first = open(dir, clock);
    await first.runner.start();
    await seed(first);
    const before = answers(first);
    await first.close();
    rmSync(join(dir, 'read-models.db'), { force: true });
    rmSync(join(dir, 'read-models.db-wal'), { force: true });
    rmSync(join(dir, 'read-models.db-shm'), { force: true });

    const rebuilt = open(dir, clock);
    expect(rebuilt.runner.position).toBe(-1n);
    await rebuilt.runner.start();
    expect(answers(rebuilt)).toEqual(before);
    await rebuilt.close();
  });

  it('rebuilds the same answers as a bulk load, with every index back and the schema version set', async () => {
    const first = open(dir, clock);
    await first.runner.start();
    await seed(first);
    const before = answers(first);
    const indexes = (db: Database.Database) => db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' ORDER BY name").pluck().all();
    const allIndexes = indexes(first.db);
    await first.close();
    for (const suffix of ['', '-wal', '-shm']) rmSync(join(dir, `read-models.db${suffix}`), { force: true });

    const rebuilt = open(dir, clock, 1n);
    await rebuilt.runner.start();
    expect(answers(rebuilt)).toEqual(before);
    expect(indexes(rebuilt.db)).toEqual(allIndexes);
    expect(rebuilt.db.pragma('user_version', { simple: true })).toBe(READ_MODEL_VERSION);
    await rebuilt.close();
  });

  it('resumes from its checkpoint after a restart without applying an event twice', async () => {
    const first = open(dir, clock);
    await first.runner.start();
    await seed(first);
    const checkpoint = first.runner.position;
    await first.close();

    const second = open(dir, clock);
    expect(second.runner.position).toBe(checkpoint);
    // Written while no runner was following: the restarted runner must catch up on it.
    await handleCommand(second.store, factDecider, recordFact('baghouz', 'Baghouz cleared', { at: '2019-03-23' }), meta());
    await second.runner.start();
    expect(second.timeline.history('formed')).toHaveLength(2);
    expect(second.timeline.timeline({ limit: 50 }).items.map((f) => f.id)).toEqual(['formed', 'votel', 'baghouz', 'mckenzie']);
    await second.close();
  });
});
