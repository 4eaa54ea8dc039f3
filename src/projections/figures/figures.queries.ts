import type Database from 'better-sqlite3';
import type { ReadModelSource } from '../read-model-database';
import { certaintyBy, settledBefore, type Certainty } from '../../domain/certainty';
import { FIRST_DAY, LAST_DAY, shownDay, type DayWindow } from '../../domain/edtf';
import { claimValueBounds, type ClaimAsserted, type ClaimRank, type FigureDefined } from '../../domain/figure/figure.events';

export interface FigureFilter {
  /** Each claimant's latest claim certainly asserted by this day ('YYYY-MM-DD'). */
  readonly asOf?: string;
  /** What the service said at this instant. */
  readonly knownAt?: Date;
}

/** The days a date can mean, as answers show them beside the text: null where it has no bound. */
export interface ShownDays {
  readonly earliest: string | null;
  readonly latest: string | null;
}

export interface ClaimView extends ClaimAsserted {
  readonly status: 'asserted' | 'retracted';
  readonly rank: ClaimRank;
  readonly assertedDays: ShownDays;
  /** Whether it was certainly or only possibly asserted by asOf (certain when no asOf is asked). */
  readonly certainty: Certainty;
  readonly low: number;
  readonly high: number;
  readonly recordedAt: string;
  readonly position: string;
}

/** A claimant's latest certain claim, with the claims of theirs that may be newer still. */
export interface LatestClaimView extends ClaimView {
  readonly possiblyNewer: ClaimView[];
}

export interface HistoryEntry {
  readonly kind: 'asserted' | 'revised' | 'corrected' | 'retracted' | 'ranked';
  readonly claimId: string;
  readonly claimant: string;
  readonly assertedOn: string;
  readonly assertedDays: ShownDays;
  /** As of asOf, when asked: whether the claim was certainly or only possibly made by then. */
  readonly certainty?: Certainty;
  readonly value: ClaimAsserted['value'];
  readonly rank: ClaimRank;
  /** For a revision: the claimant's previous claim and how far the number moved. */
  readonly previous?: { readonly claimId: string; readonly assertedOn: string; readonly value: ClaimAsserted['value'] };
  readonly change?: { readonly low: number; readonly high: number; readonly ratio: number | null };
  /**
   * True when the dates cannot settle whether this claim came after the one before it (their
   * windows overlap): then no revision and no change is reported, and `orderUncertainWith` names
   * the claims it may come before or after.
   */
  readonly orderUncertain?: true;
  readonly orderUncertainWith?: string[];
  readonly actor: string | null;
  readonly reason: string | null;
  readonly recordedAt: string;
  readonly position: string;
}

export interface FigureSummary extends FigureDefined {
  readonly id: string;
  readonly revision: string;
  readonly asOf: string | null;
  readonly knownAt: string | null;
  /** Latest certain claim per claimant, lowest first, each with its possibly newer ones. */
  readonly claims: LatestClaimView[];
  /** Claims of claimants who had certainly made none by asOf, but possibly some. */
  readonly possibleClaims: ClaimView[];
  /** Over the latest certain claims only (deprecated ones left out while others remain). */
  readonly spread: { readonly low: number; readonly high: number; readonly ratio: number | null } | null;
}

export interface FigureView extends FigureSummary {
  /** Per claimant, in the order their dates put them; corrections, retractions and ranks marked. */
  readonly history: Record<string, HistoryEntry[]>;
}

interface ClaimRow {
  claim_id: string;
  claimant: string;
  asserted_earliest: string;
  asserted_latest: string;
  asserted_position: number;
  rank: number;
  status: 'asserted' | 'retracted';
  position: number;
  event_type: string;
  actor: string | null;
  reason: string | null;
  recorded_from: number;
  recorded_to: number | null;
  body: string;
}

const COLUMNS =
  'claim_id, claimant, asserted_earliest, asserted_latest, asserted_position, rank, status, position, event_type, actor, reason, recorded_from, recorded_to, body';
const IN_FORCE = `figure_id = @figureId AND claimant = @claimant AND status = 'asserted' AND recorded_from <= @at AND (recorded_to IS NULL OR recorded_to > @at)`;

/** Figure reads: one indexed read of the figure's claim versions, then grouping in memory. */
export class FigureQueries {
  private figureRow!: Database.Statement;
  private claimRows!: Database.Statement;
  private list!: Database.Statement;
  private claimants!: Database.Statement;
  private latestOfClaimant!: Database.Statement;
  private possibleOfClaimant!: Database.Statement;
  private revisionAt!: Database.Statement;
  private inForce!: Database.Statement;
  private preparedOn: Database.Database | undefined;
  private readonly source: ReadModelSource;

  /** A source whose connection may be swapped by a rebuild, or one fixed connection. */
  constructor(source: ReadModelSource | Database.Database) {
    this.source = 'prepare' in source ? { db: source } : source;
  }

  /** Statements belong to a connection: prepared again on the new one after a swap. */
  private prepared(): this {
    const db = this.source.db;
    if (this.preparedOn === db) return this;
    this.preparedOn = db;
    this.revisionAt = db
      .prepare('SELECT revision FROM claim_versions WHERE figure_id = ? AND recorded_from <= ? ORDER BY revision DESC LIMIT 1')
      .pluck();
    this.claimants = db.prepare('SELECT claimant FROM figure_claimants WHERE figure_id = ?').pluck();
    // A claimant's latest claim certainly made by @asOf: any rank but deprecated before a deprecated
    // one; then the latest window; for the same days a preferred claim before a normal one; then the
    // later record.
    this.latestOfClaimant = db.prepare(
      `SELECT ${COLUMNS} FROM claim_versions WHERE ${IN_FORCE} AND asserted_latest <= @asOf
       ORDER BY rank = 0, asserted_earliest DESC, asserted_latest DESC, rank DESC, asserted_position DESC LIMIT 1`,
    );
    // Claims that may have been made by @asOf and may be newer than the one chosen (not settled before it),
    // but not deprecated ones, nor one of the same days that the chosen one outranks: the rank settled that.
    this.possibleOfClaimant = db.prepare(
      `SELECT ${COLUMNS} FROM claim_versions WHERE ${IN_FORCE} AND asserted_earliest <= @asOf
         AND asserted_latest >= @after AND claim_id <> @chosen AND rank > 0
         AND NOT (asserted_earliest = @after AND asserted_latest = @chosenLatest AND rank < @chosenRank)
       ORDER BY asserted_earliest, asserted_latest, asserted_position LIMIT 50`,
    );
    this.figureRow = db.prepare('SELECT figure_id, recorded_at, body FROM figures WHERE figure_id = ? AND recorded_at <= ?');
    this.claimRows = db.prepare(`SELECT ${COLUMNS} FROM claim_versions WHERE figure_id = ? AND recorded_from <= ? ORDER BY revision`);
    this.list = db.prepare('SELECT figure_id, body FROM figures WHERE recorded_at <= ? ORDER BY figure_id LIMIT ? OFFSET ?');
    this.inForce = db.prepare(
      `SELECT ${COLUMNS} FROM claim_versions
       WHERE figure_id = @figureId AND asserted_latest <= @asOf AND status = 'asserted' AND recorded_from <= @at AND (recorded_to IS NULL OR recorded_to > @at)
       ORDER BY asserted_earliest, asserted_latest, asserted_position`,
    );
    return this;
  }

  /** Figures with their latest claims and spread, without histories: a few indexed lookups per claimant. */
  figures(filter: FigureFilter, limit: number, offset: number): FigureSummary[] {
    const rows = this.prepared().list.all(instant(filter), limit, offset) as FigureRow[];
    return rows.map((row) => this.summary(row, filter));
  }

  /** A figure with its latest claims, spread and every claimant's history. */
  figure(figureId: string, filter: FigureFilter = {}): FigureView | undefined {
    const at = instant(filter);
    const row = this.prepared().figureRow.get(figureId, at) as FigureRow | undefined;
    if (!row) return undefined;
    const rows = this.claimRows.all(figureId, at) as ClaimRow[];
    const visible = rows.filter((r) => r.recorded_to === null || r.recorded_to > at);
    return { ...this.summary(row, filter), history: history(rows, visible, filter.asOf) };
  }

  /** Every claim of the figure in force (not retracted, as corrected) at knownAt and certainly asserted by asOf, in assertion order: the figure's sheet. */
  claims(figureId: string, filter: FigureFilter = {}): ClaimView[] {
    const asOf = filter.asOf ?? LAST_DAY;
    const rows = this.prepared().inForce.all({ figureId, asOf, at: instant(filter) }) as ClaimRow[];
    return rows.map((row) => toClaimView(row, asOf));
  }

  private summary(row: FigureRow, filter: FigureFilter): FigureSummary {
    const asOf = filter.asOf ?? LAST_DAY;
    const params = { figureId: row.figure_id, asOf, at: instant(filter) };
    const claims: LatestClaimView[] = [];
    const possibleClaims: ClaimView[] = [];
    for (const claimant of this.claimants.all(row.figure_id) as string[]) {
      const latest = this.latestOfClaimant.get({ ...params, claimant }) as ClaimRow | undefined;
      const after = latest ? latest.asserted_earliest : FIRST_DAY;
      const chosen = { chosen: latest?.claim_id ?? '', chosenLatest: latest?.asserted_latest ?? '', chosenRank: latest?.rank ?? 0 };
      const possible = (this.possibleOfClaimant.all({ ...params, claimant, after, ...chosen }) as ClaimRow[]).map((r) => toClaimView(r, asOf));
      if (latest) claims.push({ ...toClaimView(latest, asOf), possiblyNewer: possible });
      else possibleClaims.push(...possible);
    }
    claims.sort((a, b) => a.low - b.low || a.claimant.localeCompare(b.claimant));
    // The figure's stream revision (at knownAt): every event after its definition (revision 0) is a claim version.
    const revision = (this.revisionAt.get(row.figure_id, params.at) as number | undefined) ?? 0;
    return {
      id: row.figure_id,
      ...(JSON.parse(row.body) as FigureDefined),
      revision: String(revision),
      asOf: filter.asOf ?? null,
      knownAt: filter.knownAt?.toISOString() ?? null,
      claims,
      possibleClaims,
      spread: spread(claims),
    };
  }
}

interface FigureRow {
  figure_id: string;
  body: string;
}

function instant(filter: FigureFilter): number {
  return filter.knownAt?.getTime() ?? Number.MAX_SAFE_INTEGER;
}

const window = (row: ClaimRow): DayWindow => ({ earliest: row.asserted_earliest, latest: row.asserted_latest });
const shown = (row: ClaimRow): ShownDays => ({ earliest: shownDay(row.asserted_earliest), latest: shownDay(row.asserted_latest) });

function toClaimView(row: ClaimRow, asOf: string): ClaimView {
  const claim = JSON.parse(row.body) as ClaimAsserted;
  return {
    ...claim,
    rank: claim.rank ?? { value: 'normal' },
    status: row.status,
    assertedDays: shown(row),
    certainty: certaintyBy(window(row), asOf) ?? 'possible',
    ...claimValueBounds(claim.value),
    recordedAt: new Date(row.recorded_from).toISOString(),
    position: String(row.position),
  };
}

/** The order of a claimant's claims: by the days their dates can mean, then as recorded. */
function byAssertion(a: ClaimRow, b: ClaimRow): number {
  return (
    compare(a.asserted_earliest, b.asserted_earliest) || compare(a.asserted_latest, b.asserted_latest) || a.asserted_position - b.asserted_position
  );
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Deprecated claims count only when every latest claim is deprecated. */
function spread(claims: ClaimView[]): FigureSummary['spread'] {
  const ranked = claims.filter((c) => c.rank.value !== 'deprecated');
  const counted = ranked.length > 0 ? ranked : claims;
  if (counted.length === 0) return null;
  const low = Math.min(...counted.map((c) => c.low));
  const high = Math.max(...counted.map((c) => c.high));
  return { low, high, ratio: low > 0 ? round(high / low) : null };
}

/**
 * Each claimant's record: assertions in the order their dates put them (a later one is a revision,
 * with the change from the live claim before it, only when the dates settle that it came later),
 * and our corrections, retractions and rankings of those records. `rows` are every version recorded
 * by then; `visible` the ones in force then.
 */
function history(rows: ClaimRow[], visible: ClaimRow[], asOf: string | undefined): Record<string, HistoryEntry[]> {
  // A claim is in scope when it may have been made by asOf, by its date now (a correction may have moved it).
  const current = new Map(visible.map((r) => [r.claim_id, r]));
  const inScope = (row: ClaimRow) => asOf === undefined || (current.get(row.claim_id) ?? row).asserted_earliest <= asOf;
  const previousOf = new Map<string, ClaimRow>();
  const uncertainWith = new Map<string, string[]>();
  const live = new Map<string, ClaimRow[]>();
  for (const row of visible.filter(inScope).sort(byAssertion)) {
    const before = live.get(row.claimant) ?? [];
    const prior = before[before.length - 1];
    if (prior && settledBefore(window(prior), window(row))) previousOf.set(row.claim_id, prior);
    const overlapping = before.filter((other) => !settledBefore(window(other), window(row))).map((other) => other.claim_id);
    if (overlapping.length > 0) uncertainWith.set(row.claim_id, overlapping);
    // A retracted claim keeps its place in the history but is no claim that a later one revises.
    if (row.status === 'asserted') live.set(row.claimant, [...before, row]);
  }
  // A claim whose claimant we corrected stays under the claimant it has now, with its whole record.
  const now = (row: ClaimRow) => current.get(row.claim_id) ?? row;
  const byClaimant: Record<string, { row: ClaimRow; entry: HistoryEntry }[]> = {};
  for (const row of rows.filter(inScope)) {
    const claimant = (current.get(row.claim_id) ?? row).claimant;
    const entry = entryOf(row, previousOf.get(row.claim_id), uncertainWith.get(row.claim_id), asOf);
    (byClaimant[claimant] ??= []).push({ row, entry: { ...entry, claimant } });
  }
  return Object.fromEntries(
    Object.entries(byClaimant).map(([claimant, entries]) => [
      claimant,
      // Each claim's versions together, where its dates as now recorded put it, then in record order.
      entries.sort((a, b) => byAssertion(now(a.row), now(b.row)) || a.row.position - b.row.position).map((e) => e.entry),
    ]),
  );
}

const LIFECYCLE: Record<string, HistoryEntry['kind']> = { ClaimCorrected: 'corrected', ClaimRetracted: 'retracted', ClaimRanked: 'ranked' };

function entryOf(row: ClaimRow, previous: ClaimRow | undefined, uncertainWith: string[] | undefined, asOf: string | undefined): HistoryEntry {
  const claim = JSON.parse(row.body) as ClaimAsserted;
  const certainty = asOf === undefined ? undefined : (certaintyBy(window(row), asOf) ?? undefined);
  const base = {
    claimId: row.claim_id,
    claimant: row.claimant,
    assertedOn: claim.assertedOn,
    assertedDays: shown(row),
    ...(certainty === undefined ? {} : { certainty }),
    value: claim.value,
    rank: claim.rank ?? { value: 'normal' as const },
    actor: row.actor,
    reason: row.reason,
    recordedAt: new Date(row.recorded_from).toISOString(),
    position: String(row.position),
  };
  const lifecycle = LIFECYCLE[row.event_type];
  if (lifecycle) return { kind: lifecycle, ...base };
  // Only the assertion's own version row says whether its order is settled: the claim's live version decides.
  const uncertain = uncertainWith === undefined ? {} : { orderUncertain: true as const, orderUncertainWith: uncertainWith };
  if (!previous || uncertainWith !== undefined) return { kind: 'asserted', ...base, ...uncertain };
  const before = JSON.parse(previous.body) as ClaimAsserted;
  const now = claimValueBounds(claim.value);
  const then = claimValueBounds(before.value);
  return {
    kind: 'revised',
    ...base,
    previous: { claimId: previous.claim_id, assertedOn: before.assertedOn, value: before.value },
    change: { low: now.low - then.low, high: now.high - then.high, ratio: then.high > 0 ? round(now.high / then.high) : null },
  };
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
