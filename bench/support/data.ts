import { randomUUID } from 'node:crypto';
import type { Entity, FactCorrected, FactRecorded } from '../../src/domain/fact/fact.events';
import type { ClaimAsserted, ClaimCorrected, ClaimValue, FigureDefined } from '../../src/domain/figure/figure.events';
import type { Source } from '../../src/domain/source';
import type { ValidTime } from '../../src/domain/valid-time';
import type { EventData, JsonObject } from '../../src/event-store/event-store';
import { SqliteEventStore } from '../../src/event-store/sqlite/sqlite-event-store';

/**
 * Synthetic but valid domain data: every event is shaped exactly as src/domain/**.events.ts say
 * and as decide would have written it, so the projections and queries do their real work.
 * Seeded, so two runs build the same log (ids aside).
 */

export const FIGURE_COUNT = 1000;
export const FIRST_YEAR = 1990;
export const LAST_YEAR = 2025;

const TAGS = ['conflict', 'casualties', 'airstrikes', 'diplomacy', 'elections', 'economy', 'refugees', 'health', 'climate', 'courts',
  'sanctions', 'protests', 'energy', 'trade', 'media', 'migration', 'security', 'education', 'water', 'aid'];
const PLACES = ['Iraq', 'Syria', 'Raqqa', 'Mosul', 'Baghouz', 'Yemen', 'Libya', 'Afghanistan', 'Somalia', 'Mali'];
const PEOPLE = Array.from({ length: 40 }, (_, i) => `Person ${i}`);
const ORGS = ['Airwars', 'Amnesty International', 'Human Rights Watch', 'US Central Command', 'UN OCHA', 'ICRC', 'Coalition', 'MSF'];
const CLAIMANTS = Array.from({ length: 30 }, (_, i) => (i < ORGS.length ? ORGS[i] : `Monitor ${i}`));
const ACTORS = ['alice', 'bob', 'carol', 'dan', 'erin'];
const QUALIFIERS = ['at_least', 'at_most', 'about', 'almost', 'more_than', 'fewer_than'] as const;

/** mulberry32: tiny, fast, good enough to spread data. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type Random = () => number;
const pick = <T>(r: Random, list: readonly T[]): T => list[Math.floor(r() * list.length)];
const pad = (n: number) => String(n).padStart(2, '0');

/** A day between FIRST_YEAR and LAST_YEAR, as 'YYYY-MM-DD'. */
export function randomDay(r: Random): string {
  return `${FIRST_YEAR + Math.floor(r() * (LAST_YEAR - FIRST_YEAR + 1))}-${pad(1 + Math.floor(r() * 12))}-${pad(1 + Math.floor(r() * 28))}`;
}

/** A date at the precision sources give: a fifth year only, a third month, the rest a day. */
function partialDate(r: Random): string {
  const day = randomDay(r);
  const p = r();
  return p < 0.2 ? day.slice(0, 4) : p < 0.5 ? day.slice(0, 7) : day;
}

/** A day in a later year than `from` (so never before it, whatever its precision), up to 5 years on. */
function laterDay(from: string, r: Random): string {
  const year = Number(from.slice(0, 4)) + 1 + Math.floor(r() * 5);
  return `${year}-12-${pad(1 + Math.floor(r() * 28))}`;
}

/** 70% one-off events, 30% states held over a period (a third of them still open). */
function validTime(r: Random): ValidTime {
  const start = partialDate(r);
  if (r() < 0.7) return { at: start };
  return r() < 0.33 ? { from: start } : { from: start, to: laterDay(start, r) };
}

function source(r: Random, n: string): Source {
  return { publisher: pick(r, ORGS), title: `Report ${n}`, url: `https://example.org/reports/${n}`, publishedOn: randomDay(r) };
}

function tags(r: Random): string[] {
  return [...new Set(Array.from({ length: 1 + Math.floor(r() * 3) }, () => pick(r, TAGS)))];
}

function entities(r: Random): Entity[] {
  const list: Entity[] = [{ type: 'place', name: pick(r, PLACES) }];
  if (r() < 0.6) list.push({ type: 'organisation', name: pick(r, ORGS) });
  if (r() < 0.4) list.push({ type: 'person', name: pick(r, PEOPLE) });
  return list;
}

export function factRecorded(r: Random, factId: string, summary?: string): FactRecorded {
  return {
    factId,
    title: `Strike reported near ${pick(r, PLACES)} (${factId})`,
    summary: summary ?? `Synthetic fact ${factId} for the benchmark: a dated report with its sources, entities and tags.`,
    tags: tags(r),
    entities: entities(r),
    sources: [source(r, factId)],
    validTime: validTime(r),
  };
}

export function factCorrected(r: Random, factId: string): FactCorrected {
  const p = r();
  const changes = p < 0.4 ? { title: `Corrected title of ${factId}` } : p < 0.7 ? { validTime: validTime(r) } : { tags: tags(r) };
  return { factId, changes };
}

export function figureId(n: number): string {
  return `figure-${n}`;
}

export function figureDefined(r: Random, n: number): FigureDefined {
  return {
    figureId: figureId(n),
    name: `Civilians killed in strikes, series ${n}`,
    unit: pick(r, ['people', 'strikes', 'usd', 'households']),
    scope: { places: [pick(r, PLACES)], period: { from: `${FIRST_YEAR + (n % 20)}` } },
  };
}

function claimValue(r: Random): ClaimValue {
  const base = Math.round(r() * 10000);
  const p = r();
  if (p < 0.5) return { kind: 'exact', value: base };
  if (p < 0.75) return { kind: 'range', min: base, max: base + Math.round(r() * 1000) };
  return { kind: 'bound', value: base, qualifier: pick(r, QUALIFIERS) };
}

export function claimAsserted(r: Random, figure: string, claimId: string): ClaimAsserted {
  return { figureId: figure, claimId, claimant: pick(r, CLAIMANTS), value: claimValue(r), assertedOn: partialDate(r), sources: [source(r, claimId)] };
}

export function claimCorrected(r: Random, figure: string, claimId: string): ClaimCorrected {
  return { figureId: figure, claimId, changes: { value: claimValue(r) } };
}

export function metadata(r: Random, reason?: string): JsonObject {
  const meta: JsonObject = { actor: pick(r, ACTORS), correlationId: randomUUID() };
  if (reason) meta.reason = reason;
  return meta;
}

export function event(type: string, data: object, meta: JsonObject): EventData {
  return { id: randomUUID(), type, data: data as JsonObject, metadata: meta };
}

/** What a generated log holds, to explain the query figures. */
/** A pool of 500 realistic FactRecorded payloads (the store-append measurements); ids are fresh per event, in every loop alike. */
export function payloads(): EventData[] {
  const r = rng(7);
  return Array.from({ length: 500 }, (_, i) => event('FactRecorded', factRecorded(r, `fact-${i}`), metadata(r)));
}

export interface LogProfile {
  events: number;
  factsRecorded: number;
  factCorrections: number;
  figures: number;
  claimsAsserted: number;
  claimCorrections: number;
}

const CLAIM_BATCH = 20;

/**
 * What both generators share: the store (synchronous NORMAL, so that generation is not a benchmark of
 * fsync), the profile of what was appended, the fact events, and the close at each size.
 */
function logWriter(path: string, r: Random) {
  let store = new SqliteEventStore({ path, synchronous: 'normal' });
  const profile: LogProfile = { events: 0, factsRecorded: 0, factCorrections: 0, figures: 0, claimsAsserted: 0, claimCorrections: 0 };
  const append = async (stream: string, events: EventData[], expected: 'no_stream' | 'any') => {
    await store.appendToStream(stream, events, { expectedRevision: expected });
    profile.events += events.length;
  };
  return {
    profile,
    append,
    /** A correction of an earlier fact when `correct` (and there is one), else a new fact. */
    async fact(correct: boolean): Promise<void> {
      if (correct && profile.factsRecorded > 0) {
        const factId = `fact-${Math.floor(r() * profile.factsRecorded).toString(36)}`;
        await append(`fact-${factId}`, [event('FactCorrected', factCorrected(r, factId), metadata(r, 'wrong date in the source'))], 'any');
        profile.factCorrections++;
      } else {
        const factId = `fact-${profile.factsRecorded.toString(36)}`;
        await append(`fact-${factId}`, [event('FactRecorded', factRecorded(r, factId), metadata(r))], 'no_stream');
        profile.factsRecorded++;
      }
    },
    /** Closing checkpoints the WAL into the main file, so the file alone is the whole log; the log then keeps growing unless `last`. */
    async sizeReached(target: number, last: boolean, onSize: (size: number, profile: LogProfile) => Promise<void> | void): Promise<void> {
      await store.close();
      await onSize(target, { ...profile });
      if (!last) store = new SqliteEventStore({ path, synchronous: 'normal' });
    },
  };
}

/**
 * Appends a mixed log through SqliteEventStore (synchronous NORMAL, so that generation is not
 * a benchmark of fsync): 1,000 figures first, then about half fact events (records, and 1 in 10
 * a later correction of an earlier fact) and half claim events (appended 20 to a figure stream,
 * 1 in 10 a correction of an earlier claim of that figure). At each size in `sizes` the store is
 * closed and `onSize(size, profile)` may copy the file; the log then keeps growing.
 */
export async function generateLog(
  path: string,
  sizes: readonly number[],
  onSize: (size: number, profile: LogProfile) => Promise<void> | void,
  seed = 42,
): Promise<void> {
  const r = rng(seed);
  const targets = [...sizes].sort((a, b) => a - b);
  const { profile, append, fact, sizeReached } = logWriter(path, r);
  const claimsOf: string[][] = Array.from({ length: FIGURE_COUNT }, () => []);
  let nextClaim = 0;

  for (let n = 0; n < FIGURE_COUNT && profile.events < targets[targets.length - 1]; n++) {
    await append(`figure-${figureId(n)}`, [event('FigureDefined', figureDefined(r, n), metadata(r))], 'no_stream');
    profile.figures++;
  }
  for (const target of targets) {
    while (profile.events < target) {
      const room = target - profile.events;
      const p = r();
      if (p < 1 / (CLAIM_BATCH + 1)) {
        const f = Math.floor(r() * FIGURE_COUNT);
        const figure = figureId(f);
        const batch: EventData[] = [];
        for (let i = 0; i < Math.min(CLAIM_BATCH, room); i++) {
          const known = claimsOf[f];
          if (known.length > 0 && r() < 0.1) {
            batch.push(event('ClaimCorrected', claimCorrected(r, figure, pick(r, known)), metadata(r, 'transcription error')));
            profile.claimCorrections++;
          } else {
            const claimId = `claim-${(nextClaim++).toString(36)}`;
            known.push(claimId);
            batch.push(event('ClaimAsserted', claimAsserted(r, figure, claimId), metadata(r)));
            profile.claimsAsserted++;
          }
        }
        await append(`figure-${figure}`, batch, 'any');
      } else {
        await fact(p < 0.1);
      }
    }
    await sizeReached(target, target === targets[targets.length - 1], onSize);
  }
}

/** The archive log's figures: each its own claimants and number of claim events, from one distribution at every size. */
export const ARCHIVE_CLAIMANTS = { min: 1, max: 8 } as const;
export const ARCHIVE_CLAIM_EVENTS = { min: 1, max: 60 } as const;
/** Figures being written at once: the rest are complete. */
const ARCHIVE_OPEN_FIGURES = 10;

/**
 * Appends a log that grows the way an archive grows: more facts and more figures as the log grows,
 * while each figure's claims are drawn from the same distribution at every size. Half the events are
 * fact events (records, 1 in 10 a correction of an earlier fact), half figure events: a figure is
 * defined with its own claimants (1–8 of the 30, uniform) and its own number of claim events (1–60,
 * uniform; 1 in 10 a correction of an earlier claim of that figure), then written in batches of up to
 * 20 while at most 10 figures are open at once; a figure whose claims are all written is closed and
 * another is defined. So a 1M log holds ~100× the figures of a 10k log, each figure (but the ≤ 10 open)
 * the same shape. `generateLog` (1,000 figures growing 3 → 30 claimants) stays as the other series.
 */
export async function generateArchiveLog(
  path: string,
  sizes: readonly number[],
  onSize: (size: number, profile: LogProfile) => Promise<void> | void,
  seed = 43,
): Promise<void> {
  const r = rng(seed);
  const targets = [...sizes].sort((a, b) => a - b);
  const { profile, append, fact, sizeReached } = logWriter(path, r);
  interface Open { n: number; claimants: string[]; left: number; claims: string[] }
  const open: Open[] = [];
  let figureEvents = 0;
  let nextClaim = 0;
  const between = (range: { min: number; max: number }) => range.min + Math.floor(r() * (range.max - range.min + 1));
  for (const target of targets) {
    while (profile.events < target) {
      const room = target - profile.events;
      if (figureEvents <= profile.events - figureEvents) {
        if (open.length < ARCHIVE_OPEN_FIGURES) {
          const n = profile.figures++;
          const claimants = [...CLAIMANTS];
          const k = between(ARCHIVE_CLAIMANTS);
          for (let i = 0; i < k; i++) {
            const j = i + Math.floor(r() * (claimants.length - i));
            [claimants[i], claimants[j]] = [claimants[j], claimants[i]];
          }
          claimants.length = k;
          await append(`figure-${figureId(n)}`, [event('FigureDefined', figureDefined(r, n), metadata(r))], 'no_stream');
          figureEvents++;
          open.push({ n, claimants, left: between(ARCHIVE_CLAIM_EVENTS), claims: [] });
          continue;
        }
        const at = Math.floor(r() * open.length);
        const f = open[at];
        const figure = figureId(f.n);
        const batch: EventData[] = [];
        for (let i = 0; i < Math.min(CLAIM_BATCH, f.left, room); i++) {
          if (f.claims.length > 0 && r() < 0.1) {
            batch.push(event('ClaimCorrected', claimCorrected(r, figure, pick(r, f.claims)), metadata(r, 'transcription error')));
            profile.claimCorrections++;
          } else {
            const claimId = `claim-${(nextClaim++).toString(36)}`;
            f.claims.push(claimId);
            batch.push(event('ClaimAsserted', { ...claimAsserted(r, figure, claimId), claimant: pick(r, f.claimants) }, metadata(r)));
            profile.claimsAsserted++;
          }
        }
        f.left -= batch.length;
        if (f.left === 0) open.splice(at, 1);
        await append(`figure-${figure}`, batch, 'any');
        figureEvents += batch.length;
      } else {
        await fact(r() < 0.1);
      }
    }
    await sizeReached(target, target === targets[targets.length - 1], onSize);
  }
}

/** Request bodies for the HTTP write endpoints: valid for the DTOs and for decide, each with a fresh id. */
export function factBody(r: Random, id: string, summary?: string): Record<string, unknown> {
  const fact = factRecorded(r, id, summary);
  return { id, title: fact.title, summary: fact.summary, tags: fact.tags, entities: fact.entities, sources: fact.sources, validTime: fact.validTime };
}

export function claimBody(r: Random, id: string): Record<string, unknown> {
  const claim = claimAsserted(r, 'unused', id);
  return { id, claimant: claim.claimant, value: claim.value, assertedOn: claim.assertedOn, sources: claim.sources };
}
