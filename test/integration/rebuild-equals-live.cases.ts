import type Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DomainError } from '../../src/domain/errors';
import { factDecider, type FactCommand } from '../../src/domain/fact/fact';
import { figureDecider, type FigureCommand } from '../../src/domain/figure/figure';
import { handleCommand } from '../../src/event-store/handle-command';
import { SqliteEventStore } from '../../src/event-store/sqlite/sqlite-event-store';
import { ProjectionRunner } from '../../src/projections/projection-runner';
import { openReadModelDatabase } from '../../src/projections/read-model-database';
import { projectionsOn } from '../../src/projections/read-model-registry';
import { rng } from '../../bench/support/data';

const quiet = { log: () => undefined, error: () => undefined };
const COMMANDS = 800;

/** Commands of every kind, many of them on facts and claims written before, some refused by the deciders. */
function randomCommand(r: () => number, n: number, facts: string[], claims: { figureId: string; claimId: string }[], figures: string[]): { decider: typeof factDecider | typeof figureDecider; command: FactCommand | FigureCommand; reason?: string } {
  const pick = <T>(items: T[]): T => items[Math.floor(r() * items.length)];
  const year = 1990 + Math.floor(r() * 35);
  const day = `${year}-${String(1 + Math.floor(r() * 12)).padStart(2, '0')}-${String(1 + Math.floor(r() * 28)).padStart(2, '0')}`;
  const date = pick([String(year), day.slice(0, 7), day]);
  const source = { publisher: pick(['Desk', 'Wire', 'Monitor']), title: `Report ${n}`, url: `https://example.org/${n}`, publishedOn: date };
  const p = r();
  if (p < 0.3 || facts.length === 0) {
    const factId = `f-${n}`;
    facts.push(factId);
    const validTime = r() < 0.3 ? { from: date, ...(r() < 0.5 ? { to: `${year + 2}` } : {}) } : { at: date };
    const tags = [pick(['war', 'aid', 'law', 'vote']), pick(['iraq', 'syria', 'yemen'])];
    const entities = r() < 0.5 ? [{ name: pick(['Coalition', 'Airwars', 'UN']), type: 'organisation' as const }] : [];
    return { decider: factDecider, command: { type: 'RecordFact', factId, title: `Fact ${n}`, summary: `About ${n}`, tags, entities, sources: [source], validTime } as FactCommand };
  }
  if (p < 0.4) return { decider: factDecider, command: { type: 'CorrectFact', factId: pick(facts), changes: r() < 0.5 ? { title: `Fact ${n} corrected` } : { validTime: { at: date }, tags: ['moved'] } }, reason: 'misread' };
  if (p < 0.45) return { decider: factDecider, command: { type: 'RetractFact', factId: pick(facts) }, reason: 'duplicate' };
  if (p < 0.5 || figures.length === 0) {
    const figureId = `g-${n}`;
    figures.push(figureId);
    return { decider: figureDecider, command: { type: 'DefineFigure', figureId, name: `Figure ${n}`, unit: 'people', scope: { places: ['Iraq'] } } };
  }
  if (p < 0.8 || claims.length === 0) {
    const claim = { figureId: pick(figures), claimId: `c-${n}` };
    claims.push(claim);
    const value = pick([{ kind: 'exact', value: n }, { kind: 'range', min: n, max: n + 10 }, { kind: 'bound', qualifier: 'at_least', value: n }]);
    return { decider: figureDecider, command: { type: 'AssertClaim', ...claim, claimant: pick(['Coalition', 'Airwars', 'Amnesty']), value, assertedOn: date, source } as FigureCommand };
  }
  const claim = pick(claims);
  if (p < 0.9) return { decider: figureDecider, command: { type: 'CorrectClaim', ...claim, changes: { value: { kind: 'exact', value: n }, assertedOn: date } }, reason: 'typo' };
  if (p < 0.95) return { decider: figureDecider, command: { type: 'RankClaim', ...claim, rank: r() < 0.5 ? { value: 'preferred' } : { value: 'deprecated', reason: 'superseded' } }, reason: 'review' };
  return { decider: figureDecider, command: { type: 'RetractClaim', ...claim }, reason: 'withdrawn' };
}

/** Every row of every read-model table, in a fixed order, and the indexes that exist. */
function contents(db: Database.Database): Record<string, unknown[]> {
  const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").pluck().all() as string[];
  const out: Record<string, unknown[]> = { indexes: db.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'index' ORDER BY name").all() };
  for (const table of tables) {
    const columns = (db.prepare(`SELECT name FROM pragma_table_info('${table}')`).pluck().all() as string[]).map((c) => `"${c}"`).join(', ');
    out[table] = db.prepare(`SELECT * FROM "${table}" ORDER BY ${columns}`).all();
  }
  return out;
}

/**
 * The read models a rebuild makes (in one pass, as a bulk load, from batches of thousands of events)
 * are the ones the live runner made event by event, row for row, on a randomised log of every kind
 * of event, corrections and retractions of earlier records among them.
 */
describe('a rebuild equals the live read models', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'annals-rebuild-live-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it.each([1, 2])('row for row, on a randomised log (seed %i)', async (seed) => {
    const clock = { now: Date.parse('2026-01-01T00:00:00Z') };
    const store = new SqliteEventStore({ path: join(dir, 'events.db'), clock: () => clock.now });
    const live = openReadModelDatabase(join(dir, 'live.db'));
    const runner = new ProjectionRunner(store, live, projectionsOn(live), quiet);
    await runner.start();
    const r = rng(seed);
    const facts: string[] = [];
    const claims: { figureId: string; claimId: string }[] = [];
    const figures: string[] = [];
    let refused = 0;
    for (let n = 0; n < COMMANDS; n++) {
      clock.now += Math.floor(r() * 5000);
      const { decider, command, reason } = randomCommand(r, n, facts, claims, figures);
      try {
        const { position } = await handleCommand(store, decider as never, command, { actor: `desk-${n % 3}`, correlationId: `c-${n}`, ...(reason ? { reason } : {}) });
        expect(await runner.waitFor(position, 5000)).toBe(true);
      } catch (error) {
        if (!(error instanceof DomainError)) throw error;
        refused += 1;
      }
    }
    await runner.stop();
    expect(refused).toBeLessThan(COMMANDS / 10);

    for (const bulkLoadFrom of [1n, 10_000_000n]) {
      const rebuilt = openReadModelDatabase(join(dir, `rebuilt-${bulkLoadFrom}.db`));
      const rebuild = new ProjectionRunner(store, rebuilt, projectionsOn(rebuilt), quiet, bulkLoadFrom);
      await rebuild.start();
      await rebuild.stop();
      expect(contents(rebuilt)).toEqual(contents(live));
      rebuilt.close();
    }
    live.close();
    await store.close();
  }, 60_000);
});
