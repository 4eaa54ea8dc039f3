import type Database from 'better-sqlite3';
import type { ReadModelSource } from '../read-model';
import { certaintyBy, type Certainty } from '../../domain/certainty';
import { invalid } from '../../domain/errors';
import { FIRST_DAY, LAST_DAY, shownDay, type DayWindow } from '../../domain/edtf';
import { latestClaim, possiblyNewerThan, revisionChain, CHAIN_LIST_LIMIT, type ChainClaim, type ChainPlace, type RankedClaim } from '../../domain/figure/revision-chain';
import { claimValueBounds, type ClaimAsserted, type ClaimRank, type ClaimRankValue, type ClaimValue, type FigureDefined } from '../../domain/figure/figure.events';
import { holdsViews, sharedView, viewFromText } from '../answer-text';
import { claimOrderBeyond, claimOrderBy, claimOrderKey, compareClaimOrder, type ClaimOrderKey } from './claim-order';

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
  readonly change?: ValueChange;
  /** For a revision: claims whose place is uncertain and that may lie between the previous claim and this one. */
  readonly mayLieBetween?: string[];
  /**
   * True when the dates cannot settle this claim's place among its claimant's claims (an undated or
   * wide window overlapping claims that are not merely wider still): then no revision and no change is
   * reported, and `orderUncertainWith` names the claims it may come before or after.
   */
  readonly orderUncertain?: true;
  readonly orderUncertainWith?: string[];
  readonly actor: string | null;
  readonly reason: string | null;
  readonly recordedAt: string;
  readonly position: string;
}

/** How a revision moved the number: each end (a range's low and high; a single value moves both), and what else changed. */
export interface ValueChange {
  readonly low: number;
  readonly high: number;
  /** New high over old high. */
  readonly ratio: number | null;
  readonly kind?: { readonly from: ClaimValue['kind']; readonly to: ClaimValue['kind'] };
  readonly qualifier?: { readonly from: string | null; readonly to: string | null };
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
  /** Over the latest certain claims only (deprecated ones left out while others remain), all of them, shown or not. */
  readonly spread: { readonly low: number; readonly high: number; readonly ratio: number | null } | null;
  /** In a list: the claimants whose latest claims `claims` leaves out (the figure's own answer has them all). */
  readonly claimsMore?: number;
}

export interface HistoryPage {
  /** Per claimant, in the order their dates put them; corrections, retractions and ranks marked. */
  readonly history: Record<string, HistoryEntry[]>;
  /** Where the next page starts (pass it as `cursor`); null on the last page. */
  readonly historyNext: string | null;
}

export interface FigureView extends FigureSummary, HistoryPage {}

/** A figure as a watch asks it: the whole history, and no stream revision (it counts claims after asOf too). */
export type WatchedFigure = Omit<FigureView, 'revision'>;

/** A page of a figure's history: at most `limit` claims (each with its whole record), after `cursor`. */
export interface HistoryPaging {
  readonly limit: number;
  readonly cursor?: string;
}

/** The whole history in one answer: for watches, which compare whole answers, and for tests. */
export const WHOLE_HISTORY: HistoryPaging = { limit: 1_000_000_000 };

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
const columnsOf = (alias: string) => COLUMNS.split(', ').map((column) => `${alias}.${column}`).join(', ');
const IN_FORCE = `figure_id = @figureId AND claimant = @claimant AND status = 'asserted' AND recorded_from <= @at AND (recorded_to IS NULL OR recorded_to > @at)`;

/** Figure reads: one indexed read of the figure's claim versions, then grouping in memory. */
export class FigureQueries {
  private figureRow!: Database.Statement;
  private figureHead!: Database.Statement;
  private lastRecorded!: Database.Statement;
  private historyLaterClaimants!: ByLimit;
  private historyRows!: ByLimit;
  private liveBefore!: Database.Statement;
  private liveAfter!: Database.Statement;
  private possiblyAfter!: Database.Statement;
  private liveOverlapping!: Database.Statement;
  private claimRecord!: Database.Statement;
  private list!: Database.Statement;
  private latestClaims!: Database.Statement;
  private latestClaimsOf!: Database.Statement;
  private claimantsOf!: Database.Statement;
  private latestClaimsOfMany!: Database.Statement;
  private revisionAt!: Database.Statement;
  private inForce!: Database.Statement;
  private preparedOn: Database.Database | undefined;
  private views = new ClaimViews();
  private readonly source: ReadModelSource;
  private readonly claimOf = (row: ClaimRow): ClaimAsserted => this.views.claim(row);

  /** A source whose connection may be swapped by a rebuild, or one fixed connection. */
  constructor(source: ReadModelSource | Database.Database) {
    this.source = 'prepare' in source ? { db: source } : source;
  }

  /** Statements belong to a connection: prepared again on the new one after a swap. */
  private prepared(): this {
    const db = this.source.db;
    if (this.preparedOn === db) return this;
    this.preparedOn = db;
    this.views = new ClaimViews();
    this.revisionAt = db
      .prepare('SELECT revision FROM claim_versions WHERE figure_id = ? AND recorded_from <= ? ORDER BY revision DESC LIMIT 1')
      .pluck();
    // Each claimant's latest claim certainly made by @asOf: any rank but deprecated before a deprecated
    // one (deprecated looked for only when no other is found); then the latest window; for the same days a
    // preferred claim before a normal one; then the later record. Each is a walk back from @asOf along the
    // claimant's history order that stops at the first window (the rank only sorts that window's ties).
    // A figure's summary is this one statement for all its claimants, not two statements per claimant.
    this.latestClaims = db.prepare(latestClaimsSql('fc.figure_id = @figureId'));
    // The same for a page of figures at once (GET /figures, the timeline's world): one statement, not one a figure.
    this.latestClaimsOfMany = db.prepare(latestClaimsSql('fc.figure_id IN (SELECT value FROM json_each(@figureIds))'));
    // The same for one claimant: what a watch reads again when an event touched only that claimant's claims.
    this.latestClaimsOf = db.prepare(latestClaimsSql('fc.figure_id = @figureId AND fc.claimant = @claimant'));
    this.claimantsOf = db.prepare('SELECT claimant FROM figure_claimants WHERE figure_id = ? ORDER BY claimant').pluck();
    // When a higher-ranked claim is the latest instead of the one latest by its days: the claims not settled before it.
    this.possiblyAfter = db.prepare(
      `SELECT ${COLUMNS} FROM claim_versions WHERE ${IN_FORCE} AND asserted_earliest <= @asOf AND asserted_latest >= @from AND rank > 0
       ORDER BY ${claimOrderBy()} LIMIT 51`,
    );
    this.figureRow = db.prepare('SELECT figure_id, recorded_at, body FROM figures WHERE figure_id = ? AND recorded_at <= ?');
    // A figure's answer: its row with its stream revision and its last claim version's instant (revisionAt and
    // lastRecorded, the same seek) in one statement, not three.
    const lastVersion = (column: string) =>
      `(SELECT ${column} FROM claim_versions c WHERE c.figure_id = f.figure_id AND c.recorded_from <= @at ORDER BY c.revision DESC LIMIT 1)`;
    this.figureHead = db.prepare(
      `SELECT figure_id, body, ${lastVersion('revision')} AS revision, ${lastVersion('recorded_from')} AS last_recorded
       FROM figures f WHERE figure_id = @figureId AND recorded_at <= @at`,
    );
    this.lastRecorded = db
      .prepare('SELECT recorded_from FROM claim_versions WHERE figure_id = ? AND recorded_from <= ? ORDER BY revision DESC LIMIT 1')
      .pluck();
    // The claimants after the cursor's, each walked from its first claim: one statement whose nested loops
    // (claimants in key order, then each one's index range up to asOf) are already in history order.
    this.historyLaterClaimants = new ByLimit(db, (limit) =>
      `SELECT ${columnsOf('v')} FROM figure_claimants fc CROSS JOIN claim_versions v INDEXED BY claim_versions_possible
         ON v.figure_id = fc.figure_id AND v.claimant = fc.claimant
       WHERE fc.figure_id = @figureId AND fc.claimant > @claimant AND v.asserted_earliest <= @asOf
         AND v.recorded_from <= @at AND (v.recorded_to IS NULL OR v.recorded_to > @at)
       ORDER BY fc.claimant, ${claimOrderBy({ alias: 'v' })} LIMIT ${limit}`,
    );
    // A claimant's claims as recorded at @at (their version then), in history order after the cursor's
    // key: a seek into claim_versions_possible, then a walk that stops at the page's end or at asOf.
    this.historyRows = new ByLimit(db, (limit) =>
      `SELECT ${COLUMNS} FROM claim_versions
       WHERE figure_id = @figureId AND claimant = @claimant AND asserted_earliest <= @asOf
         AND ${claimOrderBeyond('>')}
         AND recorded_from <= @at AND (recorded_to IS NULL OR recorded_to > @at)
       ORDER BY ${claimOrderBy()} LIMIT ${limit}`,
    );
    // Before a page's first claim of a claimant: the live claims just before it (what it may revise)…
    this.liveBefore = db.prepare(
      `SELECT ${COLUMNS} FROM claim_versions
       WHERE ${IN_FORCE} AND ${claimOrderBeyond('<')}
       ORDER BY ${claimOrderBy({ descending: true })} LIMIT ${CHAIN_LIST_LIMIT}`,
    );
    // …and after a page's last claim, those that start by the page's furthest day (their order against the page's may be open).
    this.liveAfter = db.prepare(
      `SELECT ${COLUMNS} FROM claim_versions
       WHERE ${IN_FORCE} AND asserted_earliest <= @reach AND asserted_earliest <= @asOf AND ${claimOrderBeyond('>')}
       ORDER BY ${claimOrderBy()} LIMIT ${CHAIN_LIST_LIMIT}`,
    );
    // …and the live ones before it whose windows reach its first day: the only earlier claims whose
    // order with the page's claims the dates may not settle (any other ended before they began).
    // Both walk the claimant's history order up to the page's first claim (it is in scope, so all before it are).
    this.liveOverlapping = db.prepare(
      `SELECT ${COLUMNS} FROM claim_versions
       WHERE ${IN_FORCE} AND asserted_latest >= @earliest
         AND ${claimOrderBeyond('<')}
       ORDER BY ${claimOrderBy()}`,
    );
    this.claimRecord = db.prepare(`SELECT ${COLUMNS} FROM claim_versions WHERE figure_id = ? AND claim_id = ? AND recorded_from <= ? ORDER BY position`);
    this.list = db.prepare('SELECT figure_id, body FROM figures WHERE recorded_at <= ? AND figure_id > ? ORDER BY figure_id LIMIT ? OFFSET ?');
    this.inForce = db.prepare(
      `SELECT ${COLUMNS} FROM claim_versions
       WHERE figure_id = @figureId AND asserted_latest <= @asOf AND status = 'asserted' AND recorded_from <= @at AND (recorded_to IS NULL OR recorded_to > @at)
       ORDER BY ${claimOrderBy()}`,
    );
    return this;
  }

  /**
   * Figures (after the figure id `after`, in id order) with their latest claims and spread, without
   * histories: one statement each. Each shows at most `claimsLimit` claims, so that a list's answer
   * does not grow with claimants × figures (see boundedClaims); `claimsMore` counts the others.
   */
  figures(filter: FigureFilter, limit: number, offset: number, after = '', claimsLimit = Number.POSITIVE_INFINITY): FigureSummary[] {
    return this.summaries(this.prepared().list.all(instant(filter), after, limit, offset) as FigureRow[], filter, claimsLimit);
  }

  /** A page of `figures`: `limit` of them, and whether there are more (a row read past the page, not summarised). */
  figurePage(filter: FigureFilter, limit: number, offset: number, after = '', claimsLimit = Number.POSITIVE_INFINITY): { items: FigureSummary[]; more: boolean } {
    const rows = this.prepared().list.all(instant(filter), after, limit + 1, offset) as FigureRow[];
    return { items: this.summaries(rows.slice(0, limit), filter, claimsLimit), more: rows.length > limit };
  }

  private summaries(rows: FigureRow[], filter: FigureFilter, claimsLimit: number): FigureSummary[] {
    const latest = new Map<string, LatestRow[]>();
    if (rows.length > 0) {
      const params = { figureIds: JSON.stringify(rows.map((row) => row.figure_id)), asOf: filter.asOf ?? LAST_DAY, at: instant(filter) };
      for (const r of this.latestClaimsOfMany.all(params) as LatestRow[]) {
        const group = latest.get(r.figure);
        if (group) group.push(r);
        else latest.set(r.figure, [r]);
      }
    }
    return holdsViews(
      rows.map((row) => {
        const summary = this.summary(row, filter, latest.get(row.figure_id) ?? []);
        if (!Number.isFinite(claimsLimit)) return summary;
        const bounded = boundedClaims(summary.claims, claimsLimit);
        return holdsViews({ ...summary, claims: holdsViews(bounded.claims), claimsMore: bounded.claimsMore });
      }),
    );
  }

  /** A figure with its latest claims, spread and the first page of its history (or the page after `paging.cursor`). */
  figure(figureId: string, filter: FigureFilter = {}, paging: HistoryPaging = WHOLE_HISTORY): FigureView | undefined {
    const row = this.prepared().figureHead.get({ figureId, at: instant(filter) }) as FigureRow | undefined;
    if (!row) return undefined;
    // The summary is this answer's own: the page's keys go after its keys, as a spread of the two gives them, without the copy.
    return Object.assign(this.summary(row, filter), this.historyPage(figureId, filter, paging, row.last_recorded));
  }

  /**
   * The whole-history answer of a figure as of `asOf` on the current record (what a watch asks,
   * without the stream revision), from `previous` (that answer at an earlier position) with only
   * the parts of `claimants` read again: their latest and possibly newer claims and their history.
   * Every other part of the answer is a claimant's own (a claimant's latest claim, possible claims
   * and history depend on that claimant's claims alone) and is taken from `previous` as it is, the
   * same objects; the claims' order and the spread, which span claimants, are worked out again.
   * Right only when every claim version recorded since `previous` that can change the answer is of
   * one of `claimants` (the watch engine passes every claimant any version of a reached claim has
   * had); the result is then the answer figure() gives, key for key and in the same order.
   */
  figureRevisited(previous: WatchedFigure, figureId: string, asOf: string | undefined, claimants: Iterable<string>): WatchedFigure | undefined {
    const row = this.prepared().figureRow.get(figureId, Number.MAX_SAFE_INTEGER) as FigureRow | undefined;
    if (!row) return undefined;
    const day = asOf ?? LAST_DAY;
    const at = (this.lastRecorded.get(figureId, Number.MAX_SAFE_INTEGER) as number | undefined) ?? 0;
    const fresh = new Map<string, { latest?: LatestClaimView; possible: ClaimView[]; history?: HistoryEntry[] }>();
    for (const claimant of claimants) {
      let chosen: ClaimRow | undefined;
      const newer: ClaimRow[] = [];
      const possible: ClaimView[] = [];
      const params = { figureId, claimant, asOf: day, at: Number.MAX_SAFE_INTEGER };
      for (const r of this.latestClaimsOf.all(params) as (ClaimRow & { chosen: number })[]) {
        if (r.chosen) chosen = r;
        else if (chosen) newer.push(r);
        else possible.push(this.views.of(r, day));
      }
      const rows = this.historyRows.all({ figureId, claimant, asOf: day, earliest: '', latest: '', assertedPosition: -1, at, limit: WHOLE_HISTORY.limit }) as ClaimRow[];
      fresh.set(claimant, {
        latest: chosen && this.latestOf(chosen, newer, params),
        possible,
        history: this.entries(figureId, rows, at, asOf, undefined, false)[claimant],
      });
    }
    const latestBefore = new Map(previous.claims.map((c) => [c.claimant, c]));
    const possibleBefore = new Map<string, ClaimView[]>();
    for (const c of previous.possibleClaims) possibleBefore.set(c.claimant, [...(possibleBefore.get(c.claimant) ?? []), c]);
    const claims: LatestClaimView[] = [];
    const possibleClaims: ClaimView[] = [];
    const history: Record<string, HistoryEntry[]> = {};
    // In the claimants' order, as the full statements give them.
    for (const claimant of this.claimantsOf.all(figureId) as string[]) {
      const part = fresh.get(claimant) ?? { latest: latestBefore.get(claimant), possible: possibleBefore.get(claimant) ?? [], history: previous.history[claimant] };
      if (part.latest) claims.push(part.latest);
      else possibleClaims.push(...part.possible);
      if (part.history && part.history.length > 0) history[claimant] = part.history;
    }
    claims.sort(byLow);
    // Keys in figure()'s order, revision left out.
    return {
      id: row.figure_id,
      ...(JSON.parse(row.body) as FigureDefined),
      asOf: asOf ?? null,
      knownAt: null,
      claims,
      possibleClaims,
      spread: spread(claims),
      history,
      historyNext: null,
    };
  }

  /** A figure with its latest claims and spread, without its history. */
  summaryOf(figureId: string, filter: FigureFilter = {}): FigureSummary | undefined {
    const row = this.prepared().figureRow.get(figureId, instant(filter)) as FigureRow | undefined;
    return row ? this.summary(row, filter) : undefined;
  }

  /** A page of the figure's history, undefined when the figure was not defined (by knownAt). */
  history(figureId: string, filter: FigureFilter, paging: HistoryPaging): HistoryPage | undefined {
    if (!this.prepared().figureRow.get(figureId, instant(filter))) return undefined;
    return this.historyPage(figureId, filter, paging);
  }

  /**
   * Claims in history order (claimant, then the days their dates can mean, then as asserted), each
   * with its record, walked from the cursor's key: the cost of a page is its own claims, whatever
   * the history's length. The cursor also pins the record instant the first page was read at, so
   * writes between pages never shift a paging in progress (read from the first page to see them).
   */
  private historyPage(figureId: string, filter: FigureFilter, paging: HistoryPaging, lastRecorded?: number | null): HistoryPage {
    const after = paging.cursor === undefined ? undefined : decodeHistoryCursor(paging.cursor);
    const at = after?.at ?? ((lastRecorded === undefined ? (this.lastRecorded.get(figureId, instant(filter)) as number | undefined) : lastRecorded) ?? 0);
    const asOf = filter.asOf ?? LAST_DAY;
    const limit = paging.limit + 1;
    // The rest of the cursor's claimant, then the claimants after it.
    const page = after ? (this.historyRows.all({ ...after, figureId, asOf, limit }) as ClaimRow[]) : [];
    if (page.length < limit) {
      page.push(...(this.historyLaterClaimants.all({ figureId, claimant: after?.claimant ?? '', asOf, at, limit: limit - page.length }) as ClaimRow[]));
    }
    const shown = page.slice(0, paging.limit);
    const last = shown[shown.length - 1];
    const next = page.length > paging.limit && last ? encodeHistoryCursor({ claimant: last.claimant, ...claimOrderKey(last), at }) : null;
    return { history: this.entries(figureId, shown, at, filter.asOf, after, next !== null), historyNext: next };
  }

  /**
   * The history entries of a page's claims: each claim's versions, and its place in its claimant's
   * revision chain (revision-chain.ts), worked out over the page's claims and the claims around them.
   */
  private entries(figureId: string, page: ClaimRow[], at: number, asOf: string | undefined, after: HistoryCursor | undefined, more: boolean): Record<string, HistoryEntry[]> {
    const byClaimant = new Map<string, ClaimRow[]>();
    for (const row of page) {
      const rows = byClaimant.get(row.claimant);
      if (rows) rows.push(row);
      else byClaimant.set(row.claimant, [row]);
    }
    const places = new Map<string, ChainPlace>();
    const rowsById = new Map<string, ClaimRow>();
    const claimants = [...byClaimant.keys()];
    for (const [claimant, rows] of byClaimant) {
      // Only the cursor's claimant has claims before the page, only the last one claims after it.
      const before = after && claimant === after.claimant ? this.liveContext(figureId, rows[0], at) : [];
      const later = more && claimant === claimants[claimants.length - 1] ? this.laterContext(figureId, rows, at, asOf ?? LAST_DAY) : [];
      const chain = [...before, ...rows, ...later];
      for (const row of chain) rowsById.set(row.claim_id, row);
      for (const [id, place] of revisionChain(chain.map(toChainClaim))) places.set(id, place);
    }
    const history: Record<string, HistoryEntry[]> = {};
    for (const current of page) {
      // A claim whose claimant we corrected stays under the claimant it has now, with its whole record.
      const record = current.position === current.asserted_position ? [current] : (this.claimRecord.all(figureId, current.claim_id, at) as ClaimRow[]);
      const place = places.get(current.claim_id) ?? {};
      const previous = place.previous === undefined ? undefined : rowsById.get(place.previous);
      const entries = (history[current.claimant] ??= []);
      for (const row of record) entries.push(entryOf(row, current.claimant, previous, place, asOf, this.claimOf));
    }
    return history;
  }

  /**
   * The claimant's live claims before `first` that the page's claims may follow or revise: those
   * whose windows reach its first day, and the last CHAIN_LIST_LIMIT before it, in history order.
   * Earlier ones ended before every claim of the page began and lie behind that many others.
   */
  private liveContext(figureId: string, first: ClaimRow, at: number): ClaimRow[] {
    const params = { figureId, claimant: first.claimant, at, ...claimOrderKey(first) };
    const overlapping = this.liveOverlapping.all(params) as ClaimRow[];
    const before = (this.liveBefore.all(params) as ClaimRow[]).reverse();
    const seen = new Set(before.map((row) => row.claim_id));
    return [...overlapping.filter((row) => !seen.has(row.claim_id)), ...before].sort(byHistoryKey);
  }

  /** The claimant's claims after the page's last whose windows may reach back into the page's (their order against them unsettled). */
  private laterContext(figureId: string, rows: ClaimRow[], at: number, asOf: string): ClaimRow[] {
    const last = rows[rows.length - 1];
    const reach = rows.reduce((top, row) => (row.asserted_latest > top ? row.asserted_latest : top), '');
    return this.liveAfter.all({ figureId, claimant: last.claimant, at, asOf, reach, ...claimOrderKey(last) }) as ClaimRow[];
  }

  /** Every claim of the figure in force (not retracted, as corrected) at knownAt and certainly asserted by asOf, in assertion order: the figure's sheet. */
  claims(figureId: string, filter: FigureFilter = {}): ClaimView[] {
    const asOf = filter.asOf ?? LAST_DAY;
    const rows = this.prepared().inForce.all({ figureId, asOf, at: instant(filter) }) as ClaimRow[];
    return rows.map((row) => this.views.of(row, asOf));
  }

  /**
   * A claimant's latest claim from the one latest by its days and the claims whose order against it is
   * open: a possibly later claim never displaces a higher-ranked one whose order against it is open
   * (revision-chain.ts); what may be newer than the one chosen goes to possiblyNewer.
   */
  private latestOf(byDays: ClaimRow, unsettled: readonly ClaimRow[], params: { figureId: string; asOf: string; at: number }): LatestClaimView {
    const asOf = params.asOf;
    // Nothing whose order against it is open: it is the latest (latestClaim's answer, without the ranking).
    if (unsettled.length === 0) return this.views.latest(byDays, asOf);
    const ranked = new Map([byDays, ...unsettled].map((r) => [rankedOf(r), r] as const));
    const [first] = ranked.keys();
    const chosen = ranked.get(latestClaim(first, [...ranked.keys()], (c) => c.window.latest <= asOf))!;
    const others =
      chosen === byDays
        ? unsettled
        : possiblyNewerThan(rankedOf(chosen), (this.possiblyAfter.all({ ...params, claimant: chosen.claimant, from: chosen.asserted_earliest }) as ClaimRow[]).map(rankedOf)).map(
            (c) => c.row,
          );
    return { ...this.views.of(chosen, asOf), possiblyNewer: others.filter((r) => r.claim_id !== chosen.claim_id).map((r) => this.views.of(r, asOf)) };
  }

  /** `latestRows`: the figure's rows of the latest-claims statement, when a list read them for all its figures at once. */
  private summary(row: FigureRow, filter: FigureFilter, latestRows?: LatestRow[]): FigureSummary {
    const asOf = filter.asOf ?? LAST_DAY;
    const params = { figureId: row.figure_id, asOf, at: instant(filter) };
    const latest = new Map<string, ClaimRow>();
    const newer = new Map<string, ClaimRow[]>();
    const possibleClaims: ClaimView[] = [];
    // The chosen claims (latest by their days) come first, then the others in claimant and history order.
    for (const r of latestRows ?? (this.latestClaims.all(params) as LatestRow[])) {
      if (r.chosen) latest.set(r.claimant, r);
      else if (latest.has(r.claimant)) (newer.get(r.claimant) ?? newer.set(r.claimant, []).get(r.claimant)!).push(r);
      else possibleClaims.push(this.views.of(r, asOf));
    }
    const claims: LatestClaimView[] = [...latest.values()].map((byDays) => this.latestOf(byDays, newer.get(byDays.claimant) ?? [], params));
    claims.sort(byLow);
    // The figure's stream revision (at knownAt): every event after its definition (revision 0) is a claim version.
    const revision = (row.revision === undefined ? (this.revisionAt.get(row.figure_id, params.at) as number | undefined) : row.revision) ?? 0;
    return holdsViews({
      id: row.figure_id,
      ...(JSON.parse(row.body) as FigureDefined),
      revision: String(revision),
      asOf: filter.asOf ?? null,
      knownAt: filter.knownAt?.toISOString() ?? null,
      claims: holdsViews(claims),
      possibleClaims: holdsViews(possibleClaims),
      spread: spread(claims),
    });
  }
}

/**
 * At most `limit` of a figure's latest claims, still lowest first: the spread's two ends (the lowest
 * and the highest claim: the dispute at a glance), then the most recently asserted of the others.
 */
export function boundedClaims(claims: readonly LatestClaimView[], limit: number): { claims: LatestClaimView[]; claimsMore: number } {
  if (claims.length <= limit) return { claims: [...claims], claimsMore: 0 };
  const ends = new Set<LatestClaimView>([claims[0], claims.reduce((top, c) => (c.high > top.high ? c : top), claims[0])]);
  const recent = claims
    .filter((c) => !ends.has(c))
    .sort((a, b) => {
      // An open end (null) is the latest it can be.
      const [x, y] = [a.assertedDays.latest ?? '9999-12-31', b.assertedDays.latest ?? '9999-12-31'];
      return x !== y ? (y < x ? -1 : 1) : Number(BigInt(b.position) - BigInt(a.position));
    });
  const kept = new Set([...ends].slice(0, limit).concat(recent.slice(0, Math.max(0, limit - ends.size))));
  return { claims: claims.filter((c) => kept.has(c)), claimsMore: claims.length - kept.size };
}

/**
 * A statement whose LIMIT is written into its text, one prepared statement per limit asked: SQLite runs
 * these walks markedly faster with a literal LIMIT than with a bound one (timed on the 100k read models:
 * a figure's first history page 0.09 against 0.17 ms of CPU). A page's limit takes few values (the
 * default page, the whole history, what clients ask): past LIMITS_KEPT of them, the bound one answers.
 */
class ByLimit {
  private readonly statements = new Map<number, Database.Statement>();
  private readonly bound: Database.Statement;

  constructor(
    private readonly db: Database.Database,
    private readonly sql: (limit: string) => string,
  ) {
    this.bound = db.prepare(sql('@limit'));
  }

  /** The statement's text with its limit bound, as a Statement's `source` (what a query-plan check reads). */
  get source(): string {
    return this.bound.source;
  }

  all(params: { readonly limit: number } & Record<string, unknown>): unknown[] {
    const { limit, ...rest } = params;
    let statement = this.statements.get(limit);
    if (statement === undefined) {
      if (this.statements.size >= LIMITS_KEPT || !Number.isSafeInteger(limit) || limit < 0) return this.bound.all(params);
      statement = this.db.prepare(this.sql(String(limit)));
      this.statements.set(limit, statement);
    }
    return statement.all(rest);
  }
}

const LIMITS_KEPT = 16;

/** A row of the latest-claims statement: a figure's claimant's chosen claim (chosen = 1) or one possibly newer. */
interface LatestRow extends ClaimRow {
  chosen: number;
  figure: string;
}

interface FigureRow {
  figure_id: string;
  body: string;
  /** Read with the row by figure() (figureHead): the stream revision and the last claim version's instant at knownAt. */
  revision?: number | null;
  last_recorded?: number | null;
}

function instant(filter: FigureFilter): number {
  return filter.knownAt?.getTime() ?? Number.MAX_SAFE_INTEGER;
}

const window = (row: ClaimRow): DayWindow => ({ earliest: row.asserted_earliest, latest: row.asserted_latest });
const shown = (row: ClaimRow): ShownDays => ({ earliest: shownDay(row.asserted_earliest), latest: shownDay(row.asserted_latest) });

/**
 * Claim views by their version row's log position, kept by one FigureQueries for its connection. A
 * version row's body, status, days and record time never change: its view is built once (parse, dates,
 * bounds) in each of its two certainties, and answers share them, frozen, instead of a copy each. A row
 * found under a position with other contents (read models rebuilt from another log on the same
 * connection) is built again.
 */
class ClaimViews {
  private readonly views = new Map<
    number,
    {
      row: ClaimRow;
      claim: ClaimAsserted;
      certain?: ClaimView;
      possible?: ClaimView;
      latestCertain?: LatestClaimView;
      latestPossible?: LatestClaimView;
      /** The views' texts, written before their objects (null: not spliced, see claimViewText). */
      certainText?: string | null;
      possibleText?: string | null;
    }
  >();

  of(row: ClaimRow, asOf: string): ClaimView {
    const kept = this.kept(row);
    const certainty = certaintyBy(window(row), asOf) ?? 'possible';
    if (kept[certainty] !== undefined) return kept[certainty];
    const text = this.text(kept, certainty);
    return (kept[certainty] = text === null ? sharedView(Object.freeze(toClaimView(row, kept.claim, certainty))) : viewFromText<ClaimView>(text));
  }

  /**
   * The version as a claimant's latest claim with nothing possibly newer (most of them): shared as the views
   * are, and text first: the view's text with an empty possiblyNewer spliced in, parsed (the plain view's
   * object is not built for it).
   */
  latest(row: ClaimRow, asOf: string): LatestClaimView {
    const kept = this.kept(row);
    const certainty = certaintyBy(window(row), asOf) ?? 'possible';
    const latest = certainty === 'certain' ? 'latestCertain' : 'latestPossible';
    if (kept[latest] !== undefined) return kept[latest];
    const text = this.text(kept, certainty);
    if (text === null) return (kept[latest] = sharedView(Object.freeze({ ...this.of(row, asOf), possiblyNewer: NOTHING_NEWER })));
    const made = viewFromText<LatestClaimView>(`${text.slice(0, -1)},"possiblyNewer":[]}`);
    Object.freeze(made.possiblyNewer);
    return (kept[latest] = made);
  }

  private text(kept: { row: ClaimRow; claim: ClaimAsserted; certainText?: string | null; possibleText?: string | null }, certainty: Certainty): string | null {
    const key = certainty === 'certain' ? 'certainText' : 'possibleText';
    return (kept[key] ??= claimViewText(kept.row, kept.claim, certainty) ?? null);
  }

  /** The version's stored claim, parsed once (history entries read it too). */
  claim(row: ClaimRow): ClaimAsserted {
    return this.kept(row).claim;
  }

  private kept(row: ClaimRow) {
    let kept = this.views.get(row.position);
    if (kept === undefined || !sameVersion(kept.row, row)) {
      kept = { row, claim: JSON.parse(row.body) as ClaimAsserted };
      if (this.views.size >= CLAIM_VIEWS_KEPT) this.views.clear();
      this.views.set(row.position, kept);
    }
    return kept;
  }
}

const CLAIM_VIEWS_KEPT = 50_000;

const sameVersion = (a: ClaimRow, b: ClaimRow): boolean =>
  a.body === b.body && a.status === b.status && a.recorded_from === b.recorded_from && a.asserted_earliest === b.asserted_earliest && a.asserted_latest === b.asserted_latest;

/** What toClaimView writes after the stored claim's own fields: a stored claim holding one of them is not spliced. */
const DERIVED = ['status', 'assertedDays', 'certainty', 'low', 'high', 'recordedAt', 'position', 'possiblyNewer'];

/**
 * A claim version's view, text first (the limit's way, bench/support/limit-answers.ts): the stored body
 * as JSON.stringify wrote it (figures.projection.ts), spliced with the fields the row gives, written as
 * JSON.stringify writes them and in toClaimView's order (a body without a rank gets the default rank
 * after its own keys; with one, it stays where it is); the object is that text parsed. The same text
 * and object as toClaimView's, built in a tenth of the time (no spread of a parsed body, no second
 * serialisation). A stored claim the splice could get wrong (one holding a derived field's name, a
 * null rank, a value without bounds) is built the old way.
 */
export function claimViewOf(row: ClaimRow, claim: ClaimAsserted, certainty: Certainty): ClaimView {
  const text = claimViewText(row, claim, certainty);
  return text === undefined ? sharedView(Object.freeze(toClaimView(row, claim, certainty))) : viewFromText<ClaimView>(text);
}

/** claimViewOf's text; undefined for a stored claim the splice could get wrong. */
function claimViewText(row: ClaimRow, claim: ClaimAsserted, certainty: Certainty): string | undefined {
  const bounds = claimValueBounds(claim.value) as { low: number; high: number } | undefined;
  if (bounds === undefined || claim.rank === null || row.body.length < 3 || DERIVED.some((key) => key in claim)) return undefined;
  return (
    `${row.body.slice(0, -1)}${claim.rank === undefined ? ',"rank":{"value":"normal"}' : ''},"status":${JSON.stringify(row.status)},` +
      `"assertedDays":{"earliest":${JSON.stringify(shownDay(row.asserted_earliest))},"latest":${JSON.stringify(shownDay(row.asserted_latest))}},` +
      `"certainty":"${certainty}","low":${JSON.stringify(bounds.low)},"high":${JSON.stringify(bounds.high)},` +
      `"recordedAt":"${new Date(row.recorded_from).toISOString()}","position":"${String(row.position)}"}`
  );
}

/** The possiblyNewer of a latest claim that has none, when built the old way: one frozen empty list, shared. */
const NOTHING_NEWER: ClaimView[] = Object.freeze([]) as unknown as ClaimView[];

/** A claim version's view with its certainty as of the day asked (ClaimViews keeps both). */
export function toClaimView(row: ClaimRow, claim: ClaimAsserted, certainty: Certainty): ClaimView {
  return {
    ...claim,
    rank: claim.rank ?? { value: 'normal' },
    status: row.status,
    assertedDays: shown(row),
    certainty,
    ...claimValueBounds(claim.value),
    recordedAt: new Date(row.recorded_from).toISOString(),
    position: String(row.position),
  };
}

/** Latest claims lowest first, then by claimant. */
const byLow = (a: LatestClaimView, b: LatestClaimView) => a.low - b.low || a.claimant.localeCompare(b.claimant);

/**
 * The latest claims of the figures `figures` selects (a condition on fc.figure_id), each row named by its figure.
 * Exported for bench/support/limit-answers.ts, the hand-written limit that runs the same statement.
 */
export function latestClaimsSql(figures: string): string {
  const latestOf = (ranked: string) => `SELECT version_id FROM claim_versions INDEXED BY claim_versions_possible
   WHERE figure_id = fc.figure_id AND claimant = fc.claimant AND status = 'asserted' AND recorded_from <= @at AND (recorded_to IS NULL OR recorded_to > @at)
     AND asserted_earliest <= @asOf AND asserted_latest <= @asOf AND ${ranked}
   ORDER BY ${claimOrderBy({ descending: true, windowTies: 'rank' })} LIMIT 1`;
  const chosen = `WITH chosen AS MATERIALIZED (
   SELECT fc.figure_id, fc.claimant, COALESCE((${latestOf('rank > 0')}), (${latestOf('rank = 0')})) AS version_id
   FROM figure_claimants fc WHERE ${figures})`;
  // After them, the claims that may have been made by @asOf and may be newer than the one chosen (not settled
  // before it), but not deprecated ones, nor one of the same days that the chosen one outranks: the rank settled
  // that. At most 50 a claimant. CROSS JOIN keeps the claimants outside (a walk of each one's claims, not of
  // the figure's), and the claims chosen are materialised once, not looked for again at each row.
  return `${chosen}, picked AS MATERIALIZED (
     SELECT c.figure_id, c.claimant, c.version_id, v.asserted_earliest AS after, v.asserted_latest AS chosen_latest, v.rank AS chosen_rank
     FROM chosen c LEFT JOIN claim_versions v ON v.version_id = c.version_id)
   SELECT 1 AS chosen, c.figure_id AS figure, ${columnsOf('v')} FROM picked c JOIN claim_versions v ON v.version_id = c.version_id
   UNION ALL
   SELECT 0 AS chosen, figure, ${COLUMNS} FROM (
     SELECT c.figure_id AS figure, ${columnsOf('p')}, ROW_NUMBER() OVER (PARTITION BY c.figure_id, p.claimant ORDER BY ${claimOrderBy({ alias: 'p' })}) AS n
     FROM picked c CROSS JOIN claim_versions p ON p.figure_id = c.figure_id AND p.claimant = c.claimant
     WHERE p.status = 'asserted' AND p.recorded_from <= @at AND (p.recorded_to IS NULL OR p.recorded_to > @at)
       AND p.asserted_earliest <= @asOf AND p.asserted_latest >= COALESCE(c.after, '${FIRST_DAY}') AND p.version_id IS NOT c.version_id AND p.rank > 0
       AND NOT (p.asserted_earliest = COALESCE(c.after, '') AND p.asserted_latest = COALESCE(c.chosen_latest, '') AND p.rank < COALESCE(c.chosen_rank, 0)))
   WHERE n <= 50 ORDER BY figure, chosen DESC, claimant, ${claimOrderBy()}`;
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

const LIFECYCLE: Record<string, HistoryEntry['kind']> = { ClaimCorrected: 'corrected', ClaimRetracted: 'retracted', ClaimRanked: 'ranked' };

/** A version's history entry, under `claimant` (the claimant its claim has now). */
function entryOf(
  row: ClaimRow,
  claimant: string,
  previous: ClaimRow | undefined,
  place: ChainPlace,
  asOf: string | undefined,
  claimOf: (row: ClaimRow) => ClaimAsserted,
): HistoryEntry {
  const claim = claimOf(row);
  const certainty = asOf === undefined ? undefined : (certaintyBy(window(row), asOf) ?? undefined);
  const base = {
    claimId: row.claim_id,
    claimant,
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
  // Only the assertion's own version row says where the claim stands: the claim's live version decides.
  if (place.uncertainWith !== undefined) return { kind: 'asserted', ...base, orderUncertain: true, orderUncertainWith: [...place.uncertainWith] };
  if (!previous) return { kind: 'asserted', ...base };
  const before = claimOf(previous);
  return {
    kind: 'revised',
    ...base,
    previous: { claimId: previous.claim_id, assertedOn: before.assertedOn, value: before.value },
    change: valueChange(before.value, claim.value),
    ...(place.mayLieBetween === undefined ? {} : { mayLieBetween: [...place.mayLieBetween] }),
  };
}

/** How a value moved: each end, the ratio of the high ends, and the kind or qualifier when they changed. */
export function valueChange(from: ClaimValue, to: ClaimValue): ValueChange {
  const now = claimValueBounds(to);
  const then = claimValueBounds(from);
  const qualifierOf = (v: ClaimValue) => (v.kind === 'exact' ? null : (v.qualifier ?? null));
  return {
    low: now.low - then.low,
    high: now.high - then.high,
    ratio: then.high > 0 ? round(now.high / then.high) : null,
    ...(from.kind === to.kind ? {} : { kind: { from: from.kind, to: to.kind } }),
    ...(qualifierOf(from) === qualifierOf(to) ? {} : { qualifier: { from: qualifierOf(from), to: qualifierOf(to) } }),
  };
}

const RANKS: readonly ClaimRankValue[] = ['deprecated', 'normal', 'preferred'];
const toChainClaim = (row: ClaimRow): ChainClaim => ({ claimId: row.claim_id, window: window(row), rank: RANKS[row.rank] ?? 'normal', live: row.status === 'asserted' });
const rankedOf = (row: ClaimRow): RankedClaim & { row: ClaimRow } => ({ window: window(row), rank: RANKS[row.rank] ?? 'normal', order: row.asserted_position, row });
const byHistoryKey = (a: ClaimRow, b: ClaimRow): number => compareClaimOrder(claimOrderKey(a), claimOrderKey(b));

interface HistoryCursor extends ClaimOrderKey {
  readonly claimant: string;
  /** The record instant the first page was read at (ms). */
  readonly at: number;
}

/** Opaque to clients: the last claim's place in history order and the pinned instant, as base64url JSON. */
function encodeHistoryCursor(cursor: HistoryCursor): string {
  return Buffer.from(JSON.stringify([cursor.claimant, cursor.earliest, cursor.latest, cursor.assertedPosition, cursor.at])).toString('base64url');
}

/** A cursor this service did not give is the client's mistake, not an empty page. */
function decodeHistoryCursor(text: string): HistoryCursor {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    parsed = undefined;
  }
  const day = (v: unknown): v is string => typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v);
  const whole = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
  if (!Array.isArray(parsed) || parsed.length !== 5) throw invalid('cursor must be a historyNext this service gave', 'cursor');
  const [claimant, earliest, latest, assertedPosition, at] = parsed as unknown[];
  if (typeof claimant !== 'string' || !day(earliest) || !day(latest) || !whole(assertedPosition) || !whole(at)) {
    throw invalid('cursor must be a historyNext this service gave', 'cursor');
  }
  return { claimant, earliest, latest, assertedPosition, at };
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
